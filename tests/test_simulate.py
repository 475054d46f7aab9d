import dataclasses
import itertools
from collections import Counter

import numpy as np
import pytest

from conftest import deterministic_motif
from gsattn.config import ConfigError
from gsattn.io import FastaRecord
from gsattn.motifs import fetch_jaspar_motifs, score_instance, site_tokens
from gsattn.seq import decode, reverse_complement
from gsattn.simulate import (
    ClassRule,
    IIDBackground,
    MarkovBackground,
    Placement,
    PlantingPlan,
    satisfies_class_rule,
    simulate,
    stratified_split,
)

BG = IIDBackground.from_gc(0.41)
EXACT = [deterministic_motif("GATTACA"), deterministic_motif("CCCGGGTT", matrix_id="XX0002.1")]
DECOY = [deterministic_motif("TTTTAAAA", role="decoy", matrix_id="XX0003.1")]


def _plan(**kw):
    return PlantingPlan(n_sequences=200, length=100, sites_max=3, **kw)


def _sites_by_seq(data):
    by = {i: [] for i in data.ids}
    for s in data.sites:
        by[s.seq_id].append(s)
    return by


def test_planted_motif_sits_exactly_at_its_bed_coordinates():
    data = simulate(_plan(), EXACT, DECOY, BG, seed=5)
    row = {seq_id: i for i, seq_id in enumerate(data.ids)}
    strands = Counter()
    for s in data.sites:
        consensus = s.motif.split(":")[1]
        window = decode(data.tokens[row[s.seq_id], s.start : s.end])
        expected = consensus if s.strand == "+" else reverse_complement(consensus)
        assert window == expected, s
        strands[s.strand] += 1
    assert strands["+"] > 50 and strands["-"] > 50


def test_bed_score_is_log_odds_of_the_site_read_on_its_strand():
    motifs = fetch_jaspar_motifs([{"id": "MA0139.2"}], "JASPAR2024", "predictive")
    data = simulate(_plan(), motifs, [], BG, seed=1)
    row = {seq_id: i for i, seq_id in enumerate(data.ids)}
    for s in data.sites:
        read = site_tokens(data.tokens[row[s.seq_id]], s.start, s.end, s.strand)
        assert score_instance(read, motifs[0].probs, BG.base_freqs) == pytest.approx(s.score)


@pytest.mark.parametrize(
    "placement",
    [
        Placement("uniform"),
        Placement("centred", sd=15.0),
        Placement("window", window_start=20, window_end=70),
    ],
)
def test_sites_never_overlap_and_respect_placement(placement):
    data = simulate(_plan(placement=placement, decoy_rate=1.0), EXACT, DECOY, BG, seed=2)
    for sites in _sites_by_seq(data).values():
        spans = sorted((s.start, s.end) for s in sites)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
        if placement.mode == "window":
            assert all(20 <= s.start and s.end <= 70 for s in sites)


@pytest.mark.parametrize("rule", [ClassRule("any"), ClassRule("all"), ClassRule("all", min_gap=2, max_gap=5)])
def test_class_rule_holds_for_every_sequence(rule):
    data = simulate(_plan(rule=rule), EXACT, DECOY, BG, seed=3)
    predictive = [m.label for m in EXACT]
    by = _sites_by_seq(data)
    for i, seq_id in enumerate(data.ids):
        assert satisfies_class_rule(by[seq_id], predictive, rule) == bool(data.clean_labels[i])
    assert 0 < data.clean_labels.sum() < len(data.ids)


def test_class_rule_by_hand():
    from gsattn.io import Site

    a = Site("s", 0, 5, "A", 1.0, "+")
    b_near, b_far = Site("s", 8, 12, "B", 1.0, "+"), Site("s", 40, 44, "B", 1.0, "-")
    assert satisfies_class_rule([b_far], ["A", "B"], ClassRule("any"))
    assert not satisfies_class_rule([a], ["A", "B"], ClassRule("all"))
    spaced = ClassRule("all", min_gap=1, max_gap=5)
    assert satisfies_class_rule([a, b_far, b_near], ["A", "B"], spaced)
    assert not satisfies_class_rule([a, b_far], ["A", "B"], spaced)


def test_decoys_are_planted_alike_in_both_classes():
    data = simulate(PlantingPlan(n_sequences=4000, length=60, decoy_rate=0.5), EXACT, DECOY, BG, seed=4)
    has_decoy = np.zeros(len(data.ids), bool)
    row = {seq_id: i for i, seq_id in enumerate(data.ids)}
    for s in data.sites:
        if s.motif == DECOY[0].label:
            has_decoy[row[s.seq_id]] = True
    rates = [has_decoy[data.clean_labels == c].mean() for c in (0, 1)]
    assert rates == pytest.approx([0.5, 0.5], abs=0.04)


def test_same_seed_same_data_and_other_seed_differs():
    first, again = (simulate(_plan(), EXACT, DECOY, BG, seed=9) for _ in range(2))
    other = simulate(_plan(), EXACT, DECOY, BG, seed=10)
    np.testing.assert_array_equal(first.tokens, again.tokens)
    assert first.sites == again.sites
    np.testing.assert_array_equal(first.strength, again.strength)
    assert not np.array_equal(first.tokens, other.tokens)


def test_label_noise_flips_about_the_asked_fraction_and_strength_tracks_sites():
    data = simulate(dataclasses.replace(_plan(), n_sequences=2000, label_noise=0.1), EXACT, [], BG, seed=6)
    assert (data.labels != data.clean_labels).mean() == pytest.approx(0.1, abs=0.02)
    assert data.strength[data.clean_labels == 1].mean() > data.strength[data.clean_labels == 0].mean() + 5


def test_stratified_split_fractions_per_class():
    labels = np.r_[np.zeros(100, int), np.ones(60, int)]
    split = stratified_split(labels, (0.7, 0.15, 0.15), np.random.default_rng(0))
    assert Counter(split[labels == 0]) == {"train": 70, "validation": 15, "test": 15}
    assert Counter(split[labels == 1]) == {"train": 42, "validation": 9, "test": 9}


def test_iid_background_gc():
    tokens = IIDBackground.from_gc(0.6).sample(50, 200, np.random.default_rng(0))
    assert np.isin(tokens, (1, 2)).mean() == pytest.approx(0.6, abs=0.01)


def test_markov_background_recovers_a_known_chain():
    rng = np.random.default_rng(1)
    truth = MarkovBackground(
        order=1,
        initial=np.full(4, 0.25),
        transitions=np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7], [0.25] * 4, [0.4, 0.4, 0.1, 0.1]]),
        base_freqs=np.full(4, 0.25),
    )
    tokens = truth.sample(20, 5000, rng)
    fitted = MarkovBackground.fit([FastaRecord(f"r{i}", decode(t), 1) for i, t in enumerate(tokens)], order=1)
    np.testing.assert_allclose(fitted.transitions, truth.transitions, atol=0.02)
    order2 = MarkovBackground.fit([FastaRecord("r", "ACGTNNACGTACGT", 1)], order=2)
    assert order2.transitions.shape == (16, 4)


def test_overfull_sequence_raises_clear_error():
    plan = PlantingPlan(n_sequences=5, length=20, sites_min=3, sites_max=3)
    with pytest.raises(RuntimeError, match="could not place"):
        simulate(plan, EXACT, [], BG, seed=0)


@pytest.mark.parametrize(
    ("placement", "rule", "message"),
    [
        (Placement("window", window_start=0, window_end=6), ClassRule(), r"motif XX0002.1:CCCGGGTT \(8 bp\)"),
        (Placement("window", window_start=30, window_end=37), ClassRule(), r"window \[30, 37\) \(7 bp\)"),
        (Placement("window", window_start=0, window_end=20), ClassRule("all", 8, 10), r"min_gap 8 \(23 bp\)"),
    ],
)
def test_a_window_narrower_than_a_motif_is_a_clear_config_error(placement, rule, message):
    plan = PlantingPlan(n_sequences=20, length=100, placement=placement, rule=rule)
    with pytest.raises(ConfigError, match=message):
        simulate(plan, EXACT, [], BG, seed=0)


def test_a_window_as_wide_as_the_widest_motif_plants_it_inside():
    plan = PlantingPlan(n_sequences=20, length=100, sites_max=1, placement=Placement("window", 0, 0, 8))
    data = simulate(plan, EXACT, [], BG, seed=0)
    assert data.sites and all(0 <= s.start and s.end <= 8 for s in data.sites)
    with pytest.raises(
        ConfigError, match=r"motif XX0003.1:TTTTAAAA \(8 bp\) does not fit in the 6-bp sequences"
    ):
        simulate(PlantingPlan(n_sequences=4, length=6), EXACT[:1], DECOY, BG, seed=0)
