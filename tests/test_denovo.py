"""Phase 4 de novo motifs (gsattn.denovo, rule discover_motifs).

* seqlets, k-mer codes and the seed rule on hand-made inputs with exact answers, including
  the count where a seed (and a motif) flips at ``min_seqlets``;
* the MEME writer read back;
* the **positive control** on the planted fixture of test_enrichment (400 sequences, SP1 and
  TBP predictive, FOXA1 a decoy; a "model" whose positions are the planted predictive sites):
  the planted motifs are rediscovered with TOMTOM q < 0.05 to their own JASPAR matrix (and
  beating the motif's column-shuffled decoys, ``shuffle_p`` < 0.05); the
  edges where they must not be: random positions, and the same positions on sequences whose
  bases were shuffled (the planted sites destroyed).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_config import SCHEMA
from test_enrichment import DECOY, PLANTED, RELEASE, _perfect_model, make_planted, planted_fixture  # noqa: F401

from gsattn.denovo import (
    DenovoSpec,
    best_seed,
    block_counts,
    block_scores,
    canonical,
    counted,
    counts_to_probs,
    discover,
    extract_seqlets,
    holds_seed,
    kmer_codes,
    kmer_counts,
    kmer_text,
    match_jaspar,
    overlapping_windows,
    pack_windows,
    read_meme,
    shuffle_p,
    write_meme,
    zoops_em,
    zoops_posteriors,
)
from gsattn.enrichment import jaspar_collection, random_set, universe_mask
from gsattn.seq import encode

SCHEMA_DENOVO = {
    k: v["default"] for k, v in SCHEMA["properties"]["denovo"]["properties"].items() if "default" in v
}


def test_seqlets_are_merged_runs_widened_and_clipped():
    selected = np.zeros((2, 20), bool)
    selected[0, [1, 2, 5, 12]] = True  # runs 1-2 and 5 are 2 apart (merge at gap 2), 12 alone
    selected[1, 18] = True
    out = extract_seqlets(selected, np.array([20, 19]), gap=2, flank=3)
    assert out.tolist() == [[0, 0, 9], [0, 9, 16], [1, 15, 19]]
    assert extract_seqlets(selected, np.array([20, 19]), gap=1, flank=0).tolist() == [
        [0, 1, 3], [0, 5, 6], [0, 12, 13], [1, 18, 19]
    ]  # fmt: skip


def test_kmer_codes_canonical_and_counts():
    tokens = encode("ACGTTN").reshape(1, -1)
    raw = kmer_codes(tokens, 3)
    assert [kmer_text(c, 3) for c in raw[0, :3]] == ["ACG", "CGT", "GTT"] and raw[0, 3] == -1
    assert kmer_text(int(canonical(raw, 3)[0, 2]), 3) == "AAC"  # GTT's reverse complement
    counts = kmer_counts(canonical(raw, 3), np.array([[0, 0, 6]]), 3)
    assert counts.sum() == 3 and counts[int(canonical(raw, 3)[0, 0])] == 2  # ACG and CGT are one


@pytest.mark.parametrize(("count", "found"), [(19, False), (20, True)])
def test_seed_needs_min_seqlets(count, found):
    background = np.ones(16)
    seqlets = np.ones(16)
    seqlets[5] = count
    assert (best_seed(seqlets, background * 100, DenovoSpec(k=2, min_seqlets=20, min_z=1)) == 5) is found


def _hand_made(n_with, n=120, length=40, seed=0):
    """``n`` sequences: ``n_with`` random ones holding GGGGCGGGG at 15, the others all A;
    the set: positions 15-23 of the first, position 5 of the others (whose A-runs are as
    frequent in the seqlets as in the sequences: no seed)."""
    rng = np.random.default_rng(seed)
    tokens = np.zeros((n, length), np.int64)
    tokens[:n_with] = rng.integers(0, 4, size=(n_with, length))
    tokens[:n_with, 15:24] = encode("GGGGCGGGG")
    selected = np.zeros((n, length), bool)
    selected[:n_with, 15:24] = True
    selected[n_with:, 5] = True  # the other sequences: one random-looking position
    return tokens, selected, np.full(n, length)


@pytest.mark.parametrize(("n_with", "found"), [(19, False), (20, True)])
def test_discover_recovers_a_consensus_and_flips_at_min_seqlets(n_with, found):
    tokens, selected, lengths = _hand_made(n_with)
    spec = DenovoSpec(min_seqlets=20)
    seqlets = extract_seqlets(selected, lengths, spec.gap, spec.flank)
    motifs = discover(tokens, seqlets, np.arange(len(tokens)), lengths, spec)
    assert bool(motifs) is found
    if found:
        consensus = "".join("ACGT"[i] for i in motifs[0].probs.argmax(0))
        assert "GGGGCGGGG" in consensus or "CCCCGCCCC" in consensus
        assert motifs[0].n_seqlets >= 20


@pytest.mark.parametrize("width", [7, 16])
def test_packed_scores_and_counts_equal_the_column_by_column_sums(width):
    rng = np.random.default_rng(2)
    windows = rng.integers(0, 4, size=(500, width)).astype(np.int8)
    logodds = rng.normal(size=(4, width))
    weights = rng.random(500)
    packed = pack_windows(windows)
    assert np.allclose(block_scores(packed, logodds), logodds[windows, np.arange(width)].sum(axis=1))
    naive = np.array([[weights[windows[:, j] == b].sum() for j in range(width)] for b in range(4)])
    assert np.allclose(block_counts(packed, weights, width), naive)


def test_overlapping_windows_cover_both_strands_inside_the_sequence():
    tokens = encode("ACGTACGTNA").reshape(1, -1)
    windows, owner = overlapping_windows(tokens, np.array([[0, 2, 4]]), 3)
    text = ["".join("ACGT"[b] for b in w) for w in windows]
    # starts 0..3 overlap [2, 4); the window at 0 is ACG, its reverse complement CGT
    assert text == ["ACG", "CGT", "GTA", "TAC", "CGT", "ACG", "TAC", "GTA"] and owner.tolist() == [0] * 8
    windows, _ = overlapping_windows(tokens, np.array([[0, 7, 10]]), 3)
    assert windows.tolist() == [[1, 2, 3], [0, 1, 2]]  # CGT at 5 and ACG; GTN and TNA are out


def test_zoops_posteriors_follow_the_formula_and_fall_to_the_prior():
    packed = pack_windows(np.array([[0, 0], [1, 1], [0, 1], [2, 2]], np.int8))
    owner = np.array([0, 0, 0, 1])
    logodds = np.zeros((4, 2))
    logodds[0] = 3.0  # AA scores 6 bits, A? 3 bits
    post = zoops_posteriors(packed, owner, 2, logodds, gamma=0.4)
    lr = np.array([2.0**6, 1.0, 2.0**3]) * 0.4 / 3
    assert np.allclose(post[:3], lr / (0.6 + lr.sum()))
    assert np.isclose(post[3], 0.4)  # LR 1 in a one-window seqlet: the posterior is the prior


def _sampled_sites(probs, n_site, n_empty, length, rng):
    """``n_site`` random seqlets of ``length`` holding one site drawn from ``probs`` (random
    strand and offset), ``n_empty`` without one."""
    width = probs.shape[1]
    tokens = rng.integers(0, 4, size=(n_site + n_empty, length))
    for row in range(n_site):
        site = np.array([rng.choice(4, p=probs[:, j]) for j in range(width)])
        if rng.random() < 0.5:
            site = 3 - site[::-1]
        at = rng.integers(0, length - width + 1)
        tokens[row, at : at + width] = site
    seqlets = np.stack([np.arange(len(tokens)), np.zeros(len(tokens), int), np.full(len(tokens), length)], 1)
    return tokens, seqlets


def test_em_estimates_the_sampled_pwm_where_the_seed_windows_overshoot():
    """Known answer: 600 sites drawn from a TATA-like PWM (0.7-0.9 per column) among 300
    empty seqlets. The windows holding the exact seed are 1 at the seed's columns; EM from
    them returns to the sampling PWM (every entry within 0.08)."""
    truth = np.full((4, 7), 0.1)
    consensus, top = "TATAAAA", [0.8, 0.9, 0.7, 0.9, 0.7, 0.9, 0.7]
    for j, (b, p) in enumerate(zip(consensus, top, strict=True)):
        truth[:, j] = (1 - p) / 3
        truth["ACGT".index(b), j] = p
    rng = np.random.default_rng(4)
    tokens, seqlets = _sampled_sites(truth, 600, 300, 30, rng)
    windows, owner = overlapping_windows(tokens, seqlets, 7)
    seed_hits = np.array(["".join("ACGT"[b] for b in w) == consensus for w in windows])
    start = counts_to_probs(windows[seed_hits], 0.5)
    assert np.abs(start - truth).max() > 0.2  # the seed's columns are 1, not 0.7-0.9
    base = np.full(4, 0.25)
    spec = DenovoSpec(iterations=200)
    probs, held = zoops_em(windows, owner, len(seqlets), start, 0.3, base, spec, "TATAAA")
    assert np.abs(probs - truth).max() < 0.08
    # an empty seqlet's 48 windows have mean LR 1, so its posterior stays near the prior
    # (measured 0.45 against 0.87 for those with a site): membership is weak evidence
    assert held[:600].mean() > held[600:].mean() + 0.3


def test_em_stops_before_the_step_that_would_lose_the_seed():
    """Known answer: every seqlet is GTAAACAG..., so the first M-step from a TATAAA start
    gives a PWM whose consensus lacks TATAAA: that step is not taken and the start comes
    back unchanged; without a seed EM takes it."""
    tokens = np.tile(encode("GTAAACAGTAAACA"), (40, 1))
    seqlets = np.stack([np.arange(40), np.zeros(40, int), np.full(40, 14)], axis=1)
    windows, owner = overlapping_windows(tokens, seqlets, 6)
    start = counts_to_probs(encode("TATAAA").reshape(1, -1), 0.5)
    base = np.full(4, 0.25)
    probs, held = zoops_em(windows, owner, 40, start, 0.5, base, DenovoSpec(), "TATAAA")
    assert np.array_equal(probs, start) and held.shape == (40,) and (held > 0).all()
    free, _ = zoops_em(windows, owner, 40, start, 0.5, base, DenovoSpec())
    assert not holds_seed(free, "TATAAA")


def test_holds_seed_on_either_strand_and_not_after_a_change():
    probs = counts_to_probs(encode("GGTATAAAAG").reshape(1, -1), 0.1)
    assert holds_seed(probs, "TATAAA") and holds_seed(probs, "TTTATA")  # the reverse complement
    assert not holds_seed(probs, "TATATA")


def test_meme_round_trip(tmp_path):
    probs = np.array([[0.7, 0.1], [0.1, 0.1], [0.1, 0.7], [0.1, 0.1]])
    write_meme(tmp_path / "m.meme", [("sparse_m1", probs, 12)])
    back = read_meme(tmp_path / "m.meme")
    assert list(back) == ["sparse_m1"] and np.allclose(back["sparse_m1"], probs)


def test_shuffle_p_counts_ties_against_the_motif():
    observed = np.array([1e-6, 0.01, 0.2])
    decoys = np.array([[1e-3, 0.01, 0.2], [1e-2, 0.5, 0.2], [1e-1, 0.5, 0.3], [0.5, 0.5, 0.2]])
    # column 1: no decoy at or below 1e-6; column 2: one tie; column 3: three at or below
    assert shuffle_p(observed, decoys).tolist() == [1 / 5, 2 / 5, 4 / 5]


def test_a_match_counts_only_below_alpha_in_both_q_and_shuffle_p():
    match = {"q_value": np.array([[0.049, 0.049, 0.05]]), "shuffle_p": np.array([[0.049, 0.05, 0.01]])}
    assert counted(match, 0.05).tolist() == [[True, False, False]]


def test_shuffle_null_keeps_a_real_matrix_and_rejects_alike_columns():
    """Known answers: JASPAR's own CTCF matrix as the query beats all 19 of its shuffles
    (shuffle_p 1/20); a PWM whose columns are all alike has decoys identical to it, so
    its shuffle_p is exactly 1 against every matrix and none of its matches counts,
    whatever its q."""
    matrices = jaspar_collection(RELEASE)  # TOMTOM's background is the targets' columns: all of them
    at = [m.matrix_id for m in matrices].index("MA0139.2")
    ctcf = matrices[at].probs
    flat = np.tile(np.array([[0.4], [0.1], [0.1], [0.4]]), (1, 12))
    match = match_jaspar([ctcf, flat], matrices, 19, np.random.default_rng(0))
    assert match["shuffle_p"][0, at] == pytest.approx(1 / 20) and match["q_value"][0, at] < 0.05
    assert (match["shuffle_p"][1] == 1).all() and not counted(match, 0.05)[1].any()
    none = match_jaspar([ctcf], matrices, 0, np.random.default_rng(0))
    assert (none["shuffle_p"] == 1).all() and np.array_equal(none["p_value"][0], match["p_value"][0])


# --------------------------------------------------------------------------- positive control
def _denovo(fixture, selected, tokens=None, spec=None, targets=(*PLANTED, DECOY)):
    """``target id → (motifs,)`` TOMTOM q of every discovered motif against that matrix."""
    data = fixture["data"]
    tokens = data.tokens if tokens is None else tokens
    lengths = np.full(tokens.shape[0], tokens.shape[1])
    spec = DenovoSpec.from_config(SCHEMA_DENOVO) if spec is None else spec
    seqlets = extract_seqlets(selected, lengths, spec.gap, spec.flank)
    motifs = discover(tokens, seqlets, np.arange(len(tokens)), lengths, spec)
    matrices = jaspar_collection(RELEASE)  # the whole collection the default run scans
    match = match_jaspar([m.probs for m in motifs], matrices, spec.n_shuffles, np.random.default_rng(1))
    ids = [m.matrix_id for m in matrices]
    q = np.where(counted(match, SCHEMA_DENOVO["alpha"]), match["q_value"], 1.0)  # not counted: 1
    return {p: q[:, ids.index(p)] for p in targets}


# The edge trim of the PWMs (denovo.trim_bits) is chosen by this rule, written down before
# it was run (session 10, after the test fixture's TBP had missed at q 0.053 with 0.3 bits):
# on a *validation* fixture, never the test fixture: make_planted with CTCF and GATA1 (the
# default synthetic set's predictive motifs that the test fixture does not plant), the
# same decoy, seed 8, the perfect model's positions; for each candidate, the number of the
# two whose own matrix matches a discovered motif at q < 0.05, then the median of
# -log10(best q) over the two; most found wins, then the larger median, then the candidate
# nearest the earlier 0.3. The schema default must be the rule's choice.
# The PWM refinement was put to the same criteria on the same fixture (session 14, at each
# candidate's own trim choice): the earlier re-scan at 0.6 of the PWM maximum, median
# -log10 q 8.31; the seed windows with at most one mismatch (5.09) or two (2.44), no
# re-scan; EM under ZOOPS with the seed guard (13.32, chosen; gsattn.denovo step 3).
# The seed guard was put to a rule written before it ran (session 15): candidates "drop a
# PWM whose consensus loses its seed" (session 14) and "stop EM before the step that would
# lose it, keep the last PWM holding it"; on the validation fixture above and on a second
# one with the test fixture's motifs but another draw (make_planted SP1 + TBP, FOXA1, seed 9
# against the test fixture's 7), the perfect model's positions; fewer decoys counted, then
# more planted found, then the larger median -log10 q, then the earlier candidate. Measured:
# seed 8 both (2 found, 13.32); seed 9 drop 1 found (TBP missed), 5.49, keep 2 found (TBP
# q 0.027), 6.27; no decoy either way: keep (gsattn.denovo step 3).
TRIM_CANDIDATES = (0.0, 0.1, 0.2, 0.3, 0.5)
VALIDATION_PLANTED = ["MA0139.2", "MA0035.5"]  # CTCF, GATA1


def choose_trim(fixture) -> tuple[float, dict]:
    """The rule's ``trim_bits`` and each candidate's ``(found, median -log10 q)``."""
    selected = _perfect_model(fixture)
    scores = {}
    for bits in TRIM_CANDIDATES:
        spec = DenovoSpec.from_config({**SCHEMA_DENOVO, "trim_bits": bits})
        found = _denovo(fixture, selected, spec=spec, targets=VALIDATION_PLANTED)
        best = np.array([q.min() if q.size else 1.0 for q in found.values()])
        scores[bits] = (int((best < 0.05).sum()), float(np.median(-np.log10(best))))
    choice = max(TRIM_CANDIDATES, key=lambda b: (*scores[b], -abs(b - 0.3)))
    return choice, scores


def test_trim_default_is_the_validation_rules_choice():
    fixture = make_planted(VALIDATION_PLANTED, DECOY, 8, [*VALIDATION_PLANTED, DECOY])
    choice, scores = choose_trim(fixture)
    print("trim_bits candidates (found, median -log10 q):", scores, "choice:", choice)
    assert SCHEMA_DENOVO["trim_bits"] == choice, scores
    assert DenovoSpec() == DenovoSpec.from_config(SCHEMA_DENOVO)  # the code's defaults are the schema's


@pytest.fixture(scope="module")
def perfect_matches(planted_fixture):  # noqa: F811
    return _denovo(planted_fixture, _perfect_model(planted_fixture))


def test_positive_control_planted_motifs_rediscovered(perfect_matches):
    """SP1 and TBP matched to their own matrices (q and shuffle_p < 0.05), the decoy not.
    Measured (session 15): SP1 q 8e-10, TBP q 0.038 (session 14, when a PWM that lost its
    seed was dropped: TBP got no motif; before EM: TATAAAA at q 0.053)."""
    best = {p: float(q.min()) if q.size else 1.0 for p, q in perfect_matches.items()}
    print("best counted q per target:", best)
    assert all(best[p] < 0.05 for p in PLANTED)
    assert best[DECOY] >= 0.05


def test_positive_control_random_positions_rediscover_nothing(planted_fixture):  # noqa: F811
    universe = universe_mask(np.arange(400), np.full(400, 100), planted_fixture["shape"])
    selected = random_set(universe, np.full(400, 10), np.random.default_rng(0))
    found = _denovo(planted_fixture, selected)
    assert not any((q < 0.05).any() for q in found.values())


def test_positive_control_shuffled_sequences_rediscover_nothing(planted_fixture):  # noqa: F811
    rng = np.random.default_rng(5)
    shuffled = np.array([rng.permutation(row) for row in planted_fixture["data"].tokens])
    found = _denovo(planted_fixture, _perfect_model(planted_fixture), shuffled)
    assert not any((found[p] < 0.05).any() for p in PLANTED)
