import itertools
import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from conftest import L_SIM, plant_sites
from gsattn.masks import dilate, position_sets
from gsattn.recovery import (
    NULLS,
    ROW_KEYS,
    enrichment,
    per_sequence_auc,
    summarize_recovery,
    topk_hits,
)
from gsattn.stats import hit_rate_test

ROLES = np.array(["predictive", "decoy"])


def toy_dataset(n=120, length=40, seed=0):
    """Class 1 carries a predictive site (motif 0), both classes a decoy site (motif 1)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(30, length + 1, size=n).astype(np.int32)
    labels = (np.arange(n) % 2).astype(np.int8)
    motif_index = np.full((n, length), -1, dtype=np.int16)
    for i in range(n):
        if labels[i] == 1:
            motif_index[i, 2:7] = 0
        motif_index[i, 15:20] = 1
    return motif_index, lengths, labels


# --------------------------------------------------------------------------- AUROC / AUPRC
def test_auc_hand_made_mask():
    scores = np.array([[0.1, 0.9, 0.8, 0.2]])
    positive = np.array([[False, True, True, False]])
    auroc, auprc = per_sequence_auc(scores, positive, np.ones_like(positive))
    assert auroc.tolist() == [1.0]
    assert auprc.tolist() == [1.0]
    auroc, auprc = per_sequence_auc(-scores, positive, np.ones_like(positive))
    assert auroc.tolist() == [0.0]
    assert auprc[0] == pytest.approx((1 / 3 + 2 / 4) / 2)


def test_auc_matches_sklearn_with_ties_and_masks():
    rng = np.random.default_rng(1)
    n, length = 60, 30
    scores = rng.integers(0, 5, size=(n, length)).astype(float)  # many ties
    scores[::3] = rng.random((len(scores[::3]), length))
    positive = rng.random((n, length)) < 0.25
    scored = positive | (rng.random((n, length)) < 0.6)
    positive[0] = False  # no positive -> NaN
    scored[1] = positive[1]  # no negative -> NaN
    scores_in = scores.copy()
    auroc, auprc = per_sequence_auc(scores, positive, scored)
    np.testing.assert_array_equal(scores, scores_in)
    assert np.isnan(auroc[:2]).all() and np.isnan(auprc[:2]).all()
    for i in range(2, n):
        y, s = positive[i][scored[i]], scores[i][scored[i]]
        assert auroc[i] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        assert auprc[i] == pytest.approx(average_precision_score(y, s), abs=1e-12)


def test_auc_ignores_excluded_positions():
    # a decoy position with the top score and a PAD position with a huge score
    # must not change the predictive AUROC
    motif_index = np.array([[-1, 0, 1, -1, -1]], dtype=np.int16)
    scores = np.array([[0.2, 0.5, 0.9, 0.1, np.nan]])
    positive, scored = position_sets(motif_index, np.array([4]), ROLES)
    auroc, auprc = per_sequence_auc(scores, positive, scored)
    assert auroc.tolist() == [1.0] and auprc.tolist() == [1.0]
    everything = np.array([[True, True, True, True, False]])
    auroc_all, _ = per_sequence_auc(scores, positive, everything)
    assert auroc_all[0] == pytest.approx(2 / 3)


def test_auc_rejects_nonfinite_scored_scores():
    with pytest.raises(ValueError, match="finite"):
        per_sequence_auc(np.array([[np.nan, 1.0]]), np.array([[True, False]]), np.array([[True, True]]))
    with pytest.raises(ValueError, match="subset"):
        per_sequence_auc(np.zeros((1, 2)), np.array([[True, False]]), np.array([[False, True]]))


# --------------------------------------------------------------------------- enrichment
def test_enrichment_hand_value():
    scores = np.array([[1.0, 3.0, 0.0, 4.0, 100.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    positive = np.array([[False, True, False, False, False], [True, False, False, False, False]])
    scored = np.array([[True, True, True, True, False], [True, True, False, False, False]])
    value = enrichment(scores, positive, scored)
    # (3 / 8) / (1 / 4) = 1.5; the unscored 100 does not count; zero mass -> NaN
    assert value[0] == pytest.approx(1.5)
    assert np.isnan(value[1])
    with pytest.raises(ValueError, match="non-negative"):
        enrichment(-scores, positive, scored)


# --------------------------------------------------------------------------- top-k
def brute_force_chance(valid_idx, target_idx, k):
    draws = list(itertools.combinations(valid_idx, min(k, len(valid_idx))))
    return sum(bool(set(d) & set(target_idx)) for d in draws) / len(draws)


@pytest.mark.parametrize("k", [1, 2, 3, 9])
@pytest.mark.parametrize("tolerance", [0, 1])
def test_topk_chance_matches_enumeration(k, tolerance):
    length = 8
    valid = np.arange(length)[None, :] < 7
    positive = np.zeros((1, length), dtype=bool)
    positive[0, 3] = True
    target = [i for i in range(7) if abs(i - 3) <= tolerance]
    _, chance = topk_hits(np.zeros((1, length)), positive, valid, k, tolerance, null="uniform")
    assert chance[0] == pytest.approx(brute_force_chance(range(7), target, k))
    m, n = len(target), 7
    if k <= n:
        assert chance[0] == pytest.approx(1 - math.comb(n - m, k) / math.comb(n, k))


def test_topk_hits_tolerance_padding_and_no_positives():
    scores = np.array([[0.1, 0.2, 0.9, 0.3, 0.0, 5.0], [0.5, 0.1, 0.2, 0.3, 0.4, 0.0]])
    positive = np.array([[False, False, False, True, False, False], [False] * 6])
    valid = np.array([[True] * 5 + [False], [True] * 6])
    hits, chance = topk_hits(scores, positive, valid, k=1, tolerance=0, null="uniform")
    assert hits.tolist() == [False, False]  # top valid is position 2; PAD 5.0 ignored
    assert chance[0] == pytest.approx(1 / 5) and np.isnan(chance[1])
    hits, chance = topk_hits(scores, positive, valid, k=1, tolerance=1, null="uniform")
    assert hits.tolist() == [True, False]
    assert chance[0] == pytest.approx(3 / 5)
    # positional: the only sequence with a positive is read with its own top position
    for tolerance, expected in ((0, 0.0), (1, 1.0)):
        hits, chance = topk_hits(scores, positive, valid, k=1, tolerance=tolerance)
        assert chance[0] == expected and np.isnan(chance[1])
    with pytest.raises(ValueError, match="null"):
        topk_hits(scores, positive, valid, k=1, null="shift")
    hits, _ = topk_hits(scores, positive, valid, k=2, tolerance=0)
    assert hits.tolist() == [True, False]


def test_hit_rate_random_scores_vs_mask_scores():
    motif_index, lengths, _ = toy_dataset(n=200, seed=4)
    positive, _ = position_sets(motif_index, lengths, ROLES, role="decoy")
    valid = np.arange(motif_index.shape[1])[None, :] < lengths[:, None]
    random_scores = np.random.default_rng(5).random(positive.shape)
    for null in NULLS:
        assert hit_rate_test(*topk_hits(random_scores, positive, valid, k=1, null=null))["p_value"] > 0.01
    # the decoy sits at positions 15-19 of every sequence: scores equal to the mask cannot be told
    # from a fixed preference for those positions (positional chance 1), only from uniform positions
    mask_scores = positive.astype(float)
    assert hit_rate_test(*topk_hits(mask_scores, positive, valid, k=1, null="uniform"))["p_value"] < 1e-50
    hits, chance = topk_hits(mask_scores, positive, valid, k=1)
    assert hits.all() and (chance == 1.0).all() and hit_rate_test(hits, chance)["p_value"] == 1.0


# --------------------------------------------------------------------------- positional chance
def test_positional_chance_matches_enumeration():
    # three rows of length 6 read with each other's top-2 positions, one row of length 5 alone
    valid = np.arange(6)[None, :] < np.array([6, 6, 6, 5])[:, None]
    scores = np.array(
        [[9, 8, 0, 0, 0, 0], [0, 0, 9, 0, 8, 0], [0, 0, 0, 0, 8, 9], [0, 0, 0, 9, 8, 0]], dtype=float
    )
    positive = np.array(
        [[0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]], dtype=bool
    )
    tops = [{0, 1}, {2, 4}, {4, 5}, {3, 4}]
    for tolerance in (0, 1):
        target = [set(np.flatnonzero(dilate(positive, tolerance)[i] & valid[i])) for i in range(4)]
        hits, chance = topk_hits(scores, positive, valid, k=2, tolerance=tolerance)
        assert hits.tolist() == [bool(tops[i] & target[i]) for i in range(4)]
        expected = [np.mean([bool(tops[j] & target[i]) for j in range(3)]) for i in range(3)]
        np.testing.assert_allclose(chance[:3], expected)
        assert chance[3] == float(hits[3])
    # tolerance 0: row 0 is hit only by row 1's top positions, row 1 by rows 1 and 2, row 2 by row 0
    np.testing.assert_allclose(topk_hits(scores, positive, valid, k=2)[1], [1 / 3, 2 / 3, 1 / 3, 0.0])


def avoids_the_ends(rng, lengths):
    """Noise, 50 lower within 10 bp of either end: the top positions avoid the ends."""
    pos = np.arange(L_SIM)[None, :]
    inside = (pos >= 10) & (pos < lengths[:, None] - 10)
    return np.where(inside, 0.0, -50.0) + rng.gumbel(size=(lengths.size, L_SIM))


def prefers_the_centre(rng, lengths):
    """Gumbel noise on a normal log-density (sd 15 bp) around the centre: top positions near it."""
    pos = np.arange(L_SIM)[None, :]
    log_weight = -((pos - lengths[:, None] / 2) ** 2) / (2 * 15.0**2)
    return log_weight + rng.gumbel(size=(lengths.size, L_SIM))


SCORERS = {"avoids_the_ends": avoids_the_ends, "prefers_the_centre": prefers_the_centre}


def topk_pvalues(scorer, mode, k, null, n_sets=200, n_sequences=150):
    """Hit-rate p-values of null data sets: scores drawn independently of the sites, 90 or 100 bp."""
    pvalues = np.empty(n_sets)
    for seed in range(n_sets):
        rng = np.random.default_rng(seed)
        lengths = rng.choice([90, 100], size=n_sequences)
        positive = plant_sites(rng, lengths, mode)
        valid = np.arange(L_SIM)[None, :] < lengths[:, None]
        scores = SCORERS[scorer](rng, lengths)
        pvalues[seed] = hit_rate_test(*topk_hits(scores, positive, valid, k, null=null))["p_value"]
    return pvalues


@pytest.mark.parametrize("mode", ["uniform", "centred"])
@pytest.mark.parametrize("scorer", sorted(SCORERS))
def test_positional_chance_is_calibrated_for_positional_scores(scorer, mode):
    # measured share of p < 0.01 (top1, top5): positional 0-0.01; uniform 0-0.69 (0.655 and 0.69
    # for centre-preferring scores on centred sites)
    for k in (1, 5):
        pvalues = topk_pvalues(scorer, mode, k, "positional")
        assert (pvalues < 0.01).mean() <= 0.02
        assert (pvalues <= 0.05).mean() <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / pvalues.size)


def test_positional_chance_fixes_the_uniform_chance_for_centre_scores_on_centred_sites():
    # uniform positions meet centred sites less often than top positions near the centre do
    # (measured share of p < 0.01: uniform 0.655, positional 0.005)
    assert (topk_pvalues("prefers_the_centre", "centred", 1, "uniform") < 0.01).mean() > 0.5
    assert (topk_pvalues("prefers_the_centre", "centred", 1, "positional") < 0.01).mean() <= 0.02


@pytest.mark.parametrize("mode", ["uniform", "centred"])
def test_positional_chance_finds_scores_that_are_the_sites(mode):
    rng = np.random.default_rng(12)
    lengths = rng.choice([90, 100], size=150)
    positive = plant_sites(rng, lengths, mode)
    valid = np.arange(L_SIM)[None, :] < lengths[:, None]
    scores = positive + 0.1 * rng.random(positive.shape)  # top position inside a site, not always its start
    hits, chance = topk_hits(scores, positive, valid, k=1)
    result = hit_rate_test(hits, chance)
    assert hits.all() and result["p_value"] < 1e-20
    # top positions inside sites share the sites' profile: the positional chance exceeds the uniform
    # one, a little for uniform planting (sites cannot cross the ends; measured 29.0 vs 26.6 expected
    # hits), much for centred planting (36.1 vs 26.3)
    uniform = topk_hits(scores, positive, valid, k=1, null="uniform")[1].sum()
    low, high = {"uniform": (1.03, 1.15), "centred": (1.25, 1.5)}[mode]
    assert low * uniform < result["expected"] < high * uniform


# --------------------------------------------------------------------------- summary
def test_summarize_recovery_rows():
    motif_index, lengths, labels = toy_dataset()
    valid = np.arange(motif_index.shape[1])[None, :] < lengths[:, None]
    scores = np.where(motif_index == 0, 1.0, 0.0) * valid  # attends to predictive sites only
    index_in, lengths_in = motif_index.copy(), lengths.copy()
    rows = summarize_recovery(
        scores, motif_index, lengths, labels, np.array(["P", "D"]), ROLES, k_values=(1, 5)
    )
    np.testing.assert_array_equal(motif_index, index_in)
    np.testing.assert_array_equal(lengths, lengths_in)
    assert all(tuple(r) == ROW_KEYS for r in rows)
    assert all(type(v) in (str, int, float) for r in rows for v in r.values())
    table = {(r["group"], r["role"], r["motif"], r["subset"], r["metric"]): r for r in rows}

    pred = table[("recovery", "predictive", "all", "class1", "auroc")]
    assert pred["n"] == 60 and pred["mean"] == 1.0 and pred["chance"] == 0.5
    assert pred["p_value"] < 1e-6
    top1 = table[("recovery", "predictive", "P", "all", "top1")]
    assert top1["mean"] == 1.0
    # the predictive site sits at positions 2-6 of every class-1 sequence, and so does each top position:
    # the positional chance is 1 (p = 1); uniform positions would hit it with probability 5 / length
    assert top1["chance"] == 1.0 and top1["p_value"] == 1.0
    assert top1["chance_uniform"] == pytest.approx(np.mean(5 / lengths[labels == 1]))
    assert top1["p_value_uniform"] < 1e-50
    assert table[("recovery", "predictive", "all", "all", "enrichment")]["mean"] > 1.0
    # class 0 has no predictive sites: those rows are omitted
    assert not any(k[1] == "predictive" and k[3] == "class0" for k in table)

    decoy = table[("decoy", "decoy", "all", "class0", "auroc")]
    assert decoy["n"] == 60 and decoy["mean"] == 0.5  # decoys and background tie at 0
    assert np.isnan(decoy["p_value"])
    assert np.isnan(decoy["chance_uniform"]) and np.isnan(decoy["p_value_uniform"])
    assert {("decoy", "decoy", "D", s, "top5") in table for s in ("all", "class0", "class1")} == {True}
    assert {r["metric"] for r in rows} == {"auroc", "auprc", "enrichment", "top1", "top5"}
