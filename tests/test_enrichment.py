"""Phase 4 known-motif enrichment (gsattn.enrichment, rules scan_motifs and test_enrichment).

Which test is which:

* the statistical rule on hand-made tables with hand-computed answers, including the
  count where the call flips at alpha, the site strata on a hand-made set, and a
  positional confound: a set fixed where the motif sits is (correctly) not enriched,
  one with the same positional range that follows the motif is;
* Benjamini-Hochberg against hand-computed values; the random control;
* the scan: a planted SP1 consensus found at its position and strand;
* the **positive control** (``test_positive_control_*``): a dedicated synthetic fixture
  (400 sequences planted by ``gsattn.simulate`` with the tiny config's motifs: SP1 and
  TBP predictive, FOXA1 a decoy) and a hand-built "model" whose positions are exactly
  the planted predictive sites: the planted motifs must rank at the top and be called
  enriched, the decoy and the random control must not. The tiny config's models are
  trained for 2 epochs on 40 sequences and are too weak for that claim;
* **plumbing** (``test_rules_on_the_tiny_config``, slow): scan_motifs and test_enrichment
  run by Snakemake on the tiny config's ``tiny_any`` with its real (weak) models: every set
  and rho is tested against every scanned matrix, ranked, with the planted roles and the
  JASPAR release recorded. No claim about what those weak models find.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from conftest import DATA, REPO
from gsattn.enrichment import (
    bh_adjust,
    class_rows,
    cmh_one_sided,
    cmh_sums,
    hits_overlapping,
    jaspar_collection,
    merge_sites,
    random_set,
    ranked_rows,
    scan_tokens,
    sequences_with_hit,
    set_summary,
    site_tables,
    universe_mask,
    woolf_ci,
)
from gsattn.io import read_table
from gsattn.selection import top_k_of
from gsattn.seq import encode, reverse_complement

RELEASE = "JASPAR2024"
PLANTED = ["MA0079.5", "MA0108.3"]  # SP1, TBP: predictive in tests/config/tiny.yaml's tiny_any
DECOY = "MA0148.5"  # FOXA1
OTHERS = ["MA0035.5", "MA0139.2", "MA0060.4", "MA0028.3", "MA0095.4"]  # GATA1, CTCF, NFYA, ELK1, YY1


def _one_table(a, b, c, d):
    return {k: np.array([v], float) for k, v in zip("abcd", (a, b, c, d), strict=True)}


def _full(n, length):
    return universe_mask(np.arange(n), np.full(n, length), (n, length))


def _sites(rows, starts, ends, motif=None):
    rows = np.asarray(rows)
    motif = np.zeros(rows.size, int) if motif is None else np.asarray(motif)
    return {"row": rows, "motif": motif, "start": np.asarray(starts), "end": np.asarray(ends)}


# --------------------------------------------------------------------------- the rule
def test_cmh_single_stratum_hand_computed():
    # [[10, 10], [10, 30]]: E[a] = 20*20/60, Var = 20*40*20*40/(60^2*59), z = (10 - E - 1/2) / sd
    test = cmh_one_sided(cmh_sums(_one_table(10, 10, 10, 30)))
    assert test["odds_ratio"][0] == pytest.approx(3.0)
    assert test["z"][0] == pytest.approx(1.632243471422079)
    assert test["p_value"][0] == pytest.approx(0.05131410317865437)


@pytest.mark.parametrize(
    ("a", "z", "p", "called"),
    [(8, 1.567907310185565, 0.05845138276051623, False), (9, 2.195070234259791, 0.014079280006481162, True)],
)
def test_cmh_call_flips_between_eight_and_nine(a, z, p, called):
    # margins fixed: 20 exposed, 40 others, 15 with the outcome; E[a] = 5, sd = 1.5945;
    # one-sided 0.05 needs (a - 5 - 1/2) / sd >= 1.645, i.e. a >= 8.12
    test = cmh_one_sided(cmh_sums(_one_table(a, 20 - a, 15 - a, 25 + a)))
    assert test["z"][0] == pytest.approx(z) and test["p_value"][0] == pytest.approx(p)
    assert bool(test["p_value"][0] < 0.05) is called


def test_cmh_at_the_expected_count_is_above_half_and_falls_with_a():
    p = [cmh_one_sided(cmh_sums(_one_table(a, 20 - a, 15 - a, 25 + a)))["p_value"][0] for a in range(4, 10)]
    assert p[1] == pytest.approx(0.6230805294952959) and all(x > y for x, y in zip(p, p[1:], strict=False))


def test_one_site_is_not_called_however_rare_its_window():
    # one site, touched by its sequence's set and by 74 of the 400 other sets: exact p = 75/401 = 0.187;
    # corrected z = (1 - 0.187 - 1/2) / sqrt(0.187 * 0.813) = 0.8027 (uncorrected it would be p = 0.019)
    test = cmh_one_sided(cmh_sums(_one_table(1, 0, 74, 326)))
    assert test["p_value"][0] == pytest.approx(0.21110023881753198) and test["p_value"][0] > 75 / 401


def test_cmh_matches_statsmodels_on_random_strata():
    rng = np.random.default_rng(0)
    tables = rng.integers(1, 40, size=(6, 2, 2))
    tables[:, 0, 0] += 30  # the set side enriched: z > 0, where z^2 is the corrected statistic
    st = StratifiedTable(tables.transpose(1, 2, 0).astype(float))
    cells = {k: tables[:, i, j].astype(float) for k, (i, j) in zip("abcd", np.ndindex(2, 2), strict=True)}
    test = cmh_one_sided(cmh_sums(cells))
    assert test["odds_ratio"][0] == pytest.approx(st.oddsratio_pooled)
    assert (test["ci_low"][0], test["ci_high"][0]) == pytest.approx(st.oddsratio_pooled_confint())
    assert test["z"][0] > 0 and test["z"][0] ** 2 == pytest.approx(
        st.test_null_odds(correction=True).statistic
    )


def test_site_strata_hand_computed():
    # 4 sequences of length 10; the set of sequence 0 covers 2-3, of 1 covers 2, of 2 covers 7, of 3 nothing
    selected = np.zeros((4, 10), bool)
    selected[0, 2:4] = selected[1, 2] = selected[2, 7] = True
    tables = site_tables(_sites([0, 3], [1, 6], [4, 9]), selected, _full(4, 10))
    # site in seq 0 at [1, 4): touched there; elsewhere by seq 1 only -> [[1, 0], [1, 2]]
    # site in seq 3 at [6, 9): not touched there; elsewhere by seq 2 only -> [[0, 1], [1, 2]]
    assert tables["a"].tolist() == [1, 0] and tables["b"].tolist() == [0, 1]
    assert tables["c"].tolist() == [1, 1] and tables["d"].tolist() == [2, 2]


def test_site_strata_compare_only_sequences_of_the_same_length():
    selected = np.zeros((3, 10), bool)
    selected[:, 0] = True
    universe = universe_mask(np.arange(3), np.array([10, 10, 6]), (3, 10))
    tables = site_tables(_sites([0], [0], [2]), selected, universe)
    assert tables["a"].tolist() == [1] and tables["c"].tolist() == [1] and tables["d"].tolist() == [0]


def test_a_set_fixed_where_the_motif_sits_is_not_enriched_one_that_follows_it_is():
    # Sites at 0-9 in half of 200 sequences. A set fixed at 0-4 touches every site, but it
    # touches the same window in every other sequence as well: nothing to call (OR 1). The
    # crude comparison with the rest of the sequence would call it. A set that moves to the
    # site (0-4 where the site is, 10-14 elsewhere) has the same positional range and is called.
    n, length = 200, 20
    sites = _sites(np.arange(0, n, 2), np.zeros(n // 2, int), np.full(n // 2, 10))
    fixed = np.zeros((n, length), bool)
    fixed[:, :5] = True
    test = cmh_one_sided(cmh_sums(site_tables(sites, fixed, _full(n, length))))
    assert test["p_value"][0] == 1.0 and not bool(test["odds_ratio"][0] > 1)
    follows = np.zeros((n, length), bool)
    follows[0::2, :5] = True
    follows[1::2, 10:15] = True
    test = cmh_one_sided(cmh_sums(site_tables(sites, follows, _full(n, length))))
    assert test["odds_ratio"][0] == np.inf and test["p_value"][0] < 1e-10


def test_overlapping_hits_merge_into_one_site():
    hits = _sites([0, 0, 0, 1, 0], [3, 2, 10, 2, 2], [9, 8, 12, 8, 8], motif=[0, 0, 0, 0, 1])
    sites = merge_sites(hits)
    assert sites["row"].tolist() == [0, 0, 1, 0] and sites["motif"].tolist() == [0, 0, 0, 1]
    assert sites["start"].tolist() == [2, 10, 2, 2] and sites["end"].tolist() == [9, 12, 8, 8]


def test_set_outside_its_sequences_is_refused():
    universe = universe_mask(np.array([0]), np.array([4, 4]), (2, 4))
    selected = np.zeros((2, 4), bool)
    selected[1, 0] = True
    with pytest.raises(ValueError, match="outside its sequences"):
        site_tables(_sites([0], [0], [1]), selected, universe)


def test_benjamini_hochberg_hand_computed_and_ranking():
    # p = 0.01, 0.04, 0.03, 0.20 (m = 4): BH = 0.04, 0.0533, 0.0533, 0.20
    assert bh_adjust(np.array([0.01, 0.04, 0.03, 0.20])) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert bh_adjust(np.array([])).size == 0
    # motif 0: [[5, 15], [10, 30]] (OR 1, p 0.623 as above); motif 1: [[10, 10], [10, 30]] (OR 3)
    cells = {"a": [5, 10], "b": [15, 10], "c": [10, 10], "d": [30, 30], "motif": [0, 1]}
    summary = cmh_sums({k: np.array(v) for k, v in cells.items()}, n_motifs=2)
    summary |= {"hits_in": np.array([1.0, 2.0]), "hits_out": np.array([3.0, 4.0])}
    rows = ranked_rows(summary, alpha=0.05)
    assert [r["motif"] for r in rows] == [1, 0] and [r["rank"] for r in rows] == [1, 2]
    assert rows[1]["p_value"] == pytest.approx(0.6230805294952959) and not rows[1]["enriched"]
    assert rows[0]["sites_in"] == 10 and rows[0]["sites"] == 20 and rows[0]["hits_in"] == 2
    assert rows[0]["expected_in"] == pytest.approx(20 * 20 / 60)


# --------------------------------------------------------------------------- counts and control
def test_hit_overlap_counts():
    hits = _sites([0, 1, 1], [1, 0, 3], [3, 2, 5], motif=[0, 0, 1])
    selected = np.zeros((2, 6), bool)
    selected[1, 4] = True
    universe = universe_mask(np.array([1]), np.array([6, 6]), (2, 6))
    touching, rest = hits_overlapping(hits, selected, universe)
    assert touching.tolist() == [1] and rest.tolist() == [0]  # row 0's hit is outside the set's sequences


def test_random_control_counts_seeding_and_uniformity():
    universe = universe_mask(np.arange(3), np.array([10, 4, 10]), (3, 10))
    counts = np.array([3, 6, 0])
    drawn = random_set(universe, counts, np.random.default_rng(1))
    assert drawn.sum(axis=1).tolist() == [3, 4, 0] and not (drawn & ~universe).any()
    again = random_set(universe, counts, np.random.default_rng(1))
    other = random_set(universe, counts, np.random.default_rng(2))
    assert (drawn == again).all() and not (drawn == other).all()
    freq = random_set(_full(4000, 10), np.full(4000, 2), np.random.default_rng(3)).sum(axis=0)
    assert stats.chisquare(freq).pvalue > 0.001  # 8,000 draws spread evenly over 10 positions


def test_classes_fisher_one_sided_and_woolf():
    present = np.array([[1, 1, 1, 1, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0, 1, 0]], bool)
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    rows = {r["motif"]: r for r in class_rows(present, labels, alpha=0.05)}
    assert rows[0]["p_value"] == pytest.approx(stats.fisher_exact([[4, 0], [0, 4]], alternative="greater")[1])
    assert rows[0]["rank"] == 1 and rows[0]["odds_ratio"] == math.inf and rows[0]["positives_with_hit"] == 4
    assert rows[1]["odds_ratio"] == pytest.approx(1.0) and not rows[1]["enriched"]
    odds, low, high = woolf_ci(10, 5, 5, 10)
    half = 1.959963985 * math.sqrt(1 / 10 + 1 / 5 + 1 / 5 + 1 / 10)
    assert odds == pytest.approx(4.0)
    assert (math.log(low), math.log(high)) == pytest.approx((math.log(4.0) - half, math.log(4.0) + half))
    assert woolf_ci(4, 0, 0, 4)[0] == pytest.approx(81.0)  # 0.5 added to every cell: 4.5^2 / 0.5^2


# --------------------------------------------------------------------------- scan
def test_scan_finds_a_planted_sp1_at_its_position_and_strand():
    matrices = jaspar_collection(RELEASE, [*PLANTED, DECOY])
    consensus = "".join("ACGT"[i] for i in matrices[0].probs.argmax(0))
    assert consensus == "GGGGCGGGG"
    background = "".join(np.random.default_rng(0).choice(list("AT"), 60))  # no GC-box by chance
    forward = background[:10] + consensus + background[19:]
    reverse = background[:30] + reverse_complement(consensus) + background[39:]
    tokens = np.stack([encode(forward), encode(reverse)])
    hits = scan_tokens(matrices, tokens, np.array([60, 60]), 1e-4)
    sp1 = hits["motif"] == 0
    assert hits["row"][sp1].tolist() == [0, 1]
    assert hits["start"][sp1].tolist() == [10, 30] and hits["end"][sp1].tolist() == [19, 39]
    assert hits["strand"][sp1].tolist() == ["+", "-"]
    assert (hits["p_value"] < 1e-4).all()


def test_unknown_matrix_is_refused():
    with pytest.raises(ValueError, match="MA9999.1"):
        jaspar_collection(RELEASE, ["MA9999.1"])


# --------------------------------------------------------------------------- positive control
def make_planted(planted: list[str], decoy: str, seed: int, scanned: list[str]) -> dict:
    """400 sequences of 100 bp: the ``planted`` JASPAR ids decide the class, ``decoy`` is in
    half of both classes; ``sites`` ``(400, 100)`` marks the planted predictive sites; the
    ``scanned`` matrices are scanned (FIMO, p < 1e-4)."""
    from gsattn.motifs import fetch_jaspar_motifs
    from gsattn.simulate import IIDBackground, PlantingPlan, simulate

    predictive = fetch_jaspar_motifs([{"id": m} for m in planted], RELEASE, "predictive")
    decoys = fetch_jaspar_motifs([{"id": decoy}], RELEASE, "decoy")
    data = simulate(
        PlantingPlan(n_sequences=400, length=100), predictive, decoys, IIDBackground.from_gc(0.41), seed=seed
    )
    shape = data.tokens.shape
    row = {seq_id: i for i, seq_id in enumerate(data.ids)}
    sites = np.zeros(shape, bool)
    for site in data.sites:
        if site.motif.split(":")[0] in planted:
            sites[row[site.seq_id], site.start : site.end] = True
    matrices = jaspar_collection(RELEASE, scanned)
    hits = scan_tokens(matrices, data.tokens, np.full(shape[0], shape[1]), 1e-4)
    return {"data": data, "sites": sites, "matrices": matrices, "hits": hits, "shape": shape}


@pytest.fixture(scope="module")
def planted_fixture():
    """SP1 / TBP decide the class, FOXA1 the decoy (:func:`make_planted`, seed 7); the
    hand-built model's positions are exactly the planted predictive sites."""
    return make_planted(PLANTED, DECOY, 7, [*PLANTED, DECOY, *OTHERS])


def _ranked(fixture, selected, by_class=True):
    shape, hits = fixture["shape"], fixture["hits"]
    groups = fixture["data"].labels if by_class else None
    summary = set_summary(hits, merge_sites(hits), selected, _full(*shape), len(fixture["matrices"]), groups)
    rows = ranked_rows(summary, alpha=0.05)
    return {fixture["matrices"][r["motif"]].matrix_id: r for r in rows}


def _perfect_model(fixture, k=10):
    """k positions per sequence (as a selector keeps): the planted predictive sites first."""
    shape = fixture["shape"]
    scores = fixture["sites"] + 0.5 * np.random.default_rng(11).random(shape)
    return top_k_of(scores, np.full(shape[0], shape[1]), k)


def test_positive_control_planted_motifs_top_the_sites_of_a_perfect_model(planted_fixture):
    rows = _ranked(planted_fixture, _perfect_model(planted_fixture))
    assert {m for m, r in rows.items() if r["rank"] <= 2} == set(PLANTED)
    assert all(rows[m]["enriched"] and rows[m]["ci_low"] > 1 for m in PLANTED)
    assert not rows[DECOY]["enriched"]
    assert not any(rows[m]["enriched"] for m in OTHERS)


def test_positive_control_random_positions_call_nothing(planted_fixture):
    universe = _full(*planted_fixture["shape"])
    for seed in range(5):
        selected = random_set(universe, np.full(universe.shape[0], 10), np.random.default_rng(seed))
        assert not any(r["enriched"] for r in _ranked(planted_fixture, selected).values())


def test_a_set_drawn_in_positives_only_needs_the_class_strata(planted_fixture):
    # random positions, but only in positive sequences: across classes they "find" SP1
    # (which marks positives); compared within the class they find nothing
    universe = _full(*planted_fixture["shape"])
    counts = np.where(planted_fixture["data"].labels == 1, 10, 0)
    selected = random_set(universe, counts, np.random.default_rng(0))
    assert _ranked(planted_fixture, selected, by_class=False)["MA0079.5"]["enriched"]
    assert not any(r["enriched"] for r in _ranked(planted_fixture, selected).values())


def test_positive_control_classes_find_the_planted_not_the_decoy(planted_fixture):
    hits, matrices = planted_fixture["hits"], planted_fixture["matrices"]
    present = sequences_with_hit(hits, len(matrices), planted_fixture["shape"][0])
    rows = {
        matrices[r["motif"]].matrix_id: r for r in class_rows(present, planted_fixture["data"].labels, 0.05)
    }
    assert all(rows[m]["enriched"] for m in PLANTED) and not rows[DECOY]["enriched"]


# --------------------------------------------------------------------------- plumbing
@pytest.mark.slow
def test_rules_on_the_tiny_config(tmp_path):
    shutil.copytree(DATA, tmp_path / "tests" / "data")
    targets = [f"results/phase4/tiny_any/enrichment/{f}" for f in ("positions.tsv", "classes.tsv")]
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "--cores",
        "1",
        "--configfile",
        str(REPO / "tests/config/tiny.yaml"),
        "--directory",
        str(tmp_path),
        *targets,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = tmp_path / "results/phase4/tiny_any"
    motifs = read_table(folder / "motifs.tsv")
    assert {m["release"] for m in motifs} == {RELEASE} and len(motifs) == 10
    hits = read_table(folder / "motif_hits.tsv")
    assert sum(m["n_hits"] for m in motifs) == len(hits) and all(h["end"] <= 60 for h in hits)
    rows = read_table(folder / "enrichment/positions.tsv")
    groups = {(r["set"], r["rho"]) for r in rows}
    assert groups == {
        (s, rho) for s in ("sparse", "attention", "saliency", "ism", "random") for rho in (0.1, 0.2)
    }
    for group in groups:
        ranked = [r for r in rows if (r["set"], r["rho"]) == group]
        assert sorted(r["rank"] for r in ranked) == list(range(1, 11)) and {r["seed"] for r in ranked} == {
            "all"
        }
        assert all(r["p_adjusted"] >= r["p_value"] for r in ranked)
    roles = {r["matrix_id"]: r["planted"] for r in rows}
    assert roles["MA0079.5"] == roles["MA0108.3"] == "predictive" and roles[DECOY] == "decoy"
    assert roles["MA0139.2"] == ""  # CTCF: scanned, not planted in tiny_any
    per_seed = read_table(folder / "enrichment/positions_per_seed.tsv")
    assert {r["seed"] for r in per_seed} == {1} and len(per_seed) == len(rows)
    classes = read_table(folder / "enrichment/classes.tsv")
    assert len(classes) == 10 and {c["seed"] for c in classes} == {"all"}
