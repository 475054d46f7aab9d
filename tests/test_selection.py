import itertools

import numpy as np
import pytest
from scipy import stats

from conftest import L_SIM, SITE_WIDTH, plant_sites
from gsattn.selection import (
    ROW_KEYS,
    enrichment,
    length_groups,
    mask_permutations,
    pooled_enrichment,
    precision,
    random_k,
    selection_mask,
    selection_pvalue,
    selection_rows,
    shift_hit_table,
    top_k_of,
)

N_PERM = 99
P_MIN = 1 / (1 + N_PERM)


def valid_mask(lengths, length):
    return np.arange(length)[None, :] < np.asarray(lengths)[:, None]


def random_blocks(lengths, length, width, rng):
    """One contiguous run of ``width`` positions per sequence, uniformly placed inside its length."""
    starts = rng.integers(0, np.asarray(lengths) - width + 1)
    pos = np.arange(length)[None, :]
    return (pos >= starts[:, None]) & (pos < starts[:, None] + width)


# --------------------------------------------------------------------------- masks and metrics
def test_selection_mask_hand_values():
    index = np.array([[3, 0, 1], [2, 4, 4]])
    valid = np.array([[True, True, False], [True, True, False]])
    mask = selection_mask(index, valid, 5)
    assert mask.tolist() == [
        [True, False, False, True, False],
        [False, False, True, False, True],
    ]
    with pytest.raises(ValueError, match="repeated"):
        selection_mask(index, np.ones_like(valid), 5)
    with pytest.raises(ValueError, match="index values"):
        selection_mask(index, valid, 4)
    with pytest.raises(ValueError, match="valid"):
        selection_mask(index, valid.astype(int), 5)


def test_precision_and_enrichment_hand_values():
    selected = np.array(
        [
            [True, True, False, False, False, False],
            [True, False, True, True, False, False],
            [False, False, False, False, False, False],
            [True, False, False, False, False, False],
        ]
    )
    positive = np.array(
        [
            [True, False, False, False, False, False],
            [True, True, True, False, False, False],
            [True, False, False, False, False, False],
            [False, False, False, False, False, False],
        ]
    )
    lengths = np.array([4, 6, 3, 5])
    np.testing.assert_allclose(precision(selected, positive), [0.5, 2 / 3, np.nan, 0.0])
    # precision / (positives / length): 0.5 / (1/4), (2/3) / (3/6); no selection; no positive
    np.testing.assert_allclose(enrichment(selected, positive, lengths), [2.0, 4 / 3, np.nan, np.nan])
    # pooled over rows with a positive (0, 1, 2): 3 hits / (2 * 1/4 + 3 * 3/6 + 0 * 1/3) expected
    assert pooled_enrichment(selected, positive, lengths) == pytest.approx(1.5)
    assert np.isnan(pooled_enrichment(np.zeros_like(selected), positive, lengths))
    with pytest.raises(ValueError, match="PAD"):
        enrichment(selected, positive, np.array([4, 6, 3, 0]))


# --------------------------------------------------------------------------- baselines
def test_top_k_of_never_selects_pad_and_breaks_ties_early():
    rng = np.random.default_rng(0)
    length, k = 30, 5
    lengths = np.array([30, 12, 5, 3, 0, 20])
    scores = rng.standard_normal((lengths.size, length))
    scores[~valid_mask(lengths, length)] = 1e6  # PAD scores would win if they were considered
    chosen = top_k_of(scores, lengths, k)
    assert not (chosen & ~valid_mask(lengths, length)).any()
    assert chosen.sum(axis=1).tolist() == [5, 5, 5, 3, 0, 5]
    for i in np.flatnonzero(lengths >= k):
        best = np.argsort(-scores[i, : lengths[i]])[:k]
        assert set(np.flatnonzero(chosen[i])) == set(best)
    ties = top_k_of(np.zeros((1, 8)), np.array([8]), 3)
    assert np.flatnonzero(ties[0]).tolist() == [0, 1, 2]
    # many ties on long rows: among equal scores the earliest positions are kept
    coarse = rng.integers(0, 3, size=(20, 200)).astype(float)
    chosen = top_k_of(coarse, np.full(20, 200), 30)
    for row, mask in zip(coarse, chosen, strict=True):
        order = sorted(range(200), key=lambda j: (-row[j], j))[:30]
        assert np.flatnonzero(mask).tolist() == sorted(order)
    with pytest.raises(ValueError, match="finite"):
        top_k_of(np.full((1, 4), np.nan), np.array([4]), 2)


def test_random_k_counts_support_and_seed():
    lengths = np.array([40, 10, 3, 0])
    first = random_k(lengths, 40, 4, seed=5)
    assert first.sum(axis=1).tolist() == [4, 4, 3, 0]
    assert not (first & ~valid_mask(lengths, 40)).any()
    assert np.array_equal(random_k(lengths, 40, 4, seed=5), first)
    assert not np.array_equal(random_k(lengths, 40, 4, seed=6), first)
    # uniform over valid positions: each of 10 positions is kept with probability 4/10
    many = random_k(np.full(2000, 10), 10, 4, seed=0)
    assert np.abs(many.mean(axis=0) - 0.4).max() < 0.05


# --------------------------------------------------------------------------- null distributions
def test_shift_hit_table_matches_brute_force():
    rng = np.random.default_rng(3)
    lengths = np.array([17, 9, 17, 1])
    valid = valid_mask(lengths, 20)
    selected = (rng.random((4, 20)) < 0.3) & valid
    positive = (rng.random((4, 20)) < 0.4) & valid
    table = shift_hit_table(selected, positive, lengths)
    for i, n in enumerate(lengths):
        for u in range(n):
            shifted = (np.flatnonzero(selected[i]) + u) % n
            assert table[i, u] == positive[i, shifted].sum()
        assert (table[i, n:] == 0).all()


def test_planted_selection_reaches_the_minimum_p_value():
    rng = np.random.default_rng(7)
    lengths = rng.integers(40, 61, size=15)
    positive = random_blocks(lengths, 60, 6, rng)
    for method in ("shift", "permutation"):
        result = selection_pvalue(positive, positive, lengths, n_perm=N_PERM, seed=0, method=method)
        assert result["p_value"] == pytest.approx(P_MIN)
        assert result["observed"] == 90 and result["n_sequences"] == 15
    # exact per-sequence shift p-value: only the zero shift covers the whole block
    result = selection_pvalue(positive, positive, lengths, n_perm=N_PERM, seed=0, method="shift")
    np.testing.assert_allclose(result["p_sequence"], 1 / lengths)
    assert result["expected"] == pytest.approx((36 / lengths).sum())


def test_p_value_hand_values_and_unused_sequences():
    # one sequence of length 4, two positives, one selected on a positive:
    # both nulls hit with probability 2/4, so p_sequence = 0.5
    selected = np.array([[True, False, False, False], [True, False, False, False]])
    positive = np.array([[True, True, False, False], [False, False, False, False]])
    lengths = np.array([4, 4])
    for method in ("shift", "permutation"):
        result = selection_pvalue(selected, positive, lengths, n_perm=2000, seed=1, method=method)
        assert result["n_sequences"] == 1 and result["observed"] == 1
        assert result["p_sequence"][0] == pytest.approx(0.5) and np.isnan(result["p_sequence"][1])
        assert result["p_value"] == pytest.approx(0.5, abs=0.04)
        assert result["null_mean"] == pytest.approx(0.5, abs=0.04) and result["expected"] == 0.5
        assert result["expected_null"] == 0.5 and result["n_exchangeable"] == 1
    # the mask null: the only used sequence has no other mask to receive, so nothing moves
    mask = selection_pvalue(selected, positive, lengths, n_perm=50, seed=1)
    assert mask["method"] == "mask" and mask["p_value"] == 1.0 and mask["n_exchangeable"] == 0
    assert mask["p_sequence"][0] == 1.0 and mask["expected_null"] == 1.0 and mask["expected"] == 0.5
    none = selection_pvalue(selected, np.zeros_like(positive), lengths, n_perm=10)
    assert np.isnan(none["p_value"]) and none["n_sequences"] == 0
    with pytest.raises(ValueError, match="method"):
        selection_pvalue(selected, positive, lengths, method="bootstrap")


def test_p_value_is_deterministic_for_a_seed():
    rng = np.random.default_rng(8)
    lengths = rng.integers(30, 41, size=20)
    positive = (rng.random((20, 40)) < 0.2) & valid_mask(lengths, 40)
    selected = random_k(lengths, 40, 4, seed=1)
    for method in ("mask", "shift", "permutation"):
        first = selection_pvalue(selected, positive, lengths, n_perm=N_PERM, seed=4, method=method)
        again = selection_pvalue(selected, positive, lengths, n_perm=N_PERM, seed=4, method=method)
        assert first["p_value"] == again["p_value"] and first["null_mean"] == again["null_mean"]


def calibration_pvalues(make_data, method, n_sets=200):
    """p-values of independent small null data sets, each seeded by its index."""
    pvalues = []
    for seed in range(n_sets):
        rng = np.random.default_rng(seed)
        selected, positive, lengths = make_data(rng)
        result = selection_pvalue(selected, positive, lengths, n_perm=N_PERM, seed=rng, method=method)
        pvalues.append(result["p_value"])
    return np.array(pvalues)


def iid_null(rng):
    """Random sites at 30% of the positions, random_k selections independent of them."""
    lengths = rng.integers(35, 51, size=40)
    positive = (rng.random((40, 50)) < 0.3) & valid_mask(lengths, 50)
    return random_k(lengths, 50, 5, seed=rng), positive, lengths


def block_null(rng):
    """One site of width 6 and one contiguous selected run of 10, placed independently."""
    lengths = rng.integers(70, 101, size=30)
    return random_blocks(lengths, 100, 10, rng), random_blocks(lengths, 100, 6, rng), lengths


@pytest.mark.parametrize("method", ["shift", "permutation"])
def test_random_selections_give_uniform_p_values(method):
    pvalues = calibration_pvalues(iid_null, method)
    assert stats.kstest(pvalues, "uniform").pvalue > 0.01
    # Binomial(200, 0.05): sd 0.015; Monte Carlo p-values of a discrete statistic are conservative
    assert (pvalues <= 0.05).mean() <= 0.05 + 3 * 0.0155
    assert (pvalues <= 0.2).mean() >= 0.2 - 3 * 0.029
    assert abs(pvalues.mean() - 0.5) < 0.05


def test_shift_null_keeps_contiguity_calibrated_where_permutation_is_not():
    shift = calibration_pvalues(block_null, "shift")
    assert stats.kstest(shift, "uniform").pvalue > 0.01
    assert (shift <= 0.05).mean() <= 0.05 + 3 * 0.0155
    # scattered positions spread over more distinct sites than a contiguous run: too many small p
    permutation = calibration_pvalues(block_null, "permutation")
    assert (permutation <= 0.05).mean() > 0.12


# --------------------------------------------------------------------------- the mask (positional) null
def test_length_groups_and_mask_permutations():
    lengths = np.array([5, 3, 5, 7, 3, 5])
    groups = length_groups(lengths)
    assert [g.tolist() for g in groups] == [[1, 4], [0, 2, 5], [3]]
    donors = mask_permutations(groups, 6, 6000, np.random.default_rng(0))
    assert donors.shape == (6000, 6)
    for rows in groups:  # each draw permutes every group within itself; a singleton keeps its mask
        assert (np.sort(donors[:, rows], axis=1) == rows).all()
    assert (donors[:, 3] == 3).all()
    # uniform over the 3! permutations of the group of length 5 (expected 1000 each, sd ~29)
    _, counts = np.unique(donors[:, [0, 2, 5]], axis=0, return_counts=True)
    assert counts.size == 6 and np.abs(counts - 1000).max() < 120


def test_mask_null_matches_full_enumeration():
    # three sequences of length 6 and one of length 5 (alone: keeps its mask, adds a constant 1)
    lengths = np.array([6, 6, 6, 5])
    selected = valid_mask([6, 6, 6, 5], 6) & np.array(
        [[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 0, 0, 0, 0]], dtype=bool
    )
    positive = np.array(
        [[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 1, 1], [1, 1, 0, 0, 0, 0]], dtype=bool
    )
    hits = (selected[:, None, :] & positive[None, :, :]).sum(axis=2)  # hits[j, i]: mask j on sequence i
    statistics = np.array([sum(hits[p[i], i] for i in range(3)) for p in itertools.permutations(range(3))])
    observed = 2 + 1 + 2 + 1
    assert statistics[0] + 1 == observed  # the identity permutation
    result = selection_pvalue(selected, positive, lengths, n_perm=20000, seed=0)
    assert result["observed"] == observed and result["n_exchangeable"] == 3
    assert result["expected_null"] == pytest.approx(statistics.mean() + 1)
    assert result["null_mean"] == pytest.approx(statistics.mean() + 1, abs=0.05)
    assert result["p_value"] == pytest.approx(np.mean(statistics + 1 >= observed), abs=0.015)
    # exact per-sequence p: share of the group's masks that hit sequence i at least as often as its own
    own = np.diag(hits[:3, :3])
    np.testing.assert_allclose(result["p_sequence"][:3], (hits[:3, :3] >= own[None, :]).mean(axis=0))
    assert result["p_sequence"][3] == 1.0


K_SEL = 10


def sample_k(log_weight, rng):
    """``K_SEL`` positions per row without replacement, proportional to ``exp(log_weight)`` (Gumbel top-k)."""
    keys = log_weight + rng.gumbel(size=log_weight.shape)
    mask = np.zeros(log_weight.shape, dtype=bool)
    np.put_along_axis(mask, np.argsort(-keys, axis=1)[:, :K_SEL], True, axis=1)
    return mask


def avoids_the_ends(rng, lengths):
    """Uniform among the positions at least 10 bp from either end."""
    pos = np.arange(L_SIM)[None, :]
    return sample_k(np.where((pos >= 10) & (pos < lengths[:, None] - 10), 0.0, -np.inf), rng)


def prefers_the_centre(rng, lengths):
    """Scattered positions weighted by a normal density (sd 15 bp) around the centre."""
    pos = np.arange(L_SIM)[None, :]
    log_weight = -((pos - lengths[:, None] / 2) ** 2) / (2 * 15.0**2)
    return sample_k(np.where(pos < lengths[:, None], log_weight, -np.inf), rng)


def run_in_window(rng, lengths):
    """One contiguous run of 10 starting uniformly in [20, 50): always inside [20, 60)."""
    start = rng.integers(20, 50, size=lengths.size)
    pos = np.arange(L_SIM)[None, :]
    return (pos >= start[:, None]) & (pos < start[:, None] + K_SEL)


SELECTORS = {"avoids_the_ends": avoids_the_ends, "prefers_the_centre": prefers_the_centre}
SELECTORS["run_in_window"] = run_in_window


def positional_pvalues(selector, mode, method, n_sets=400, n_sequences=150, n_perm=199):
    """p-values of null data sets: a positional selector drawn independently of the planted sites,
    sequences of 90 or 100 bp."""
    pvalues = np.empty(n_sets)
    for seed in range(n_sets):
        rng = np.random.default_rng(seed)
        lengths = rng.choice([90, 100], size=n_sequences)
        positive = plant_sites(rng, lengths, mode)
        selected = SELECTORS[selector](rng, lengths)
        result = selection_pvalue(selected, positive, lengths, n_perm, rng, method=method, per_sequence=False)
        pvalues[seed] = result["p_value"]
    return pvalues


@pytest.mark.parametrize("mode", ["uniform", "centred"])
@pytest.mark.parametrize("selector", sorted(SELECTORS))
def test_mask_null_is_calibrated_for_positional_selectors(selector, mode):
    # measured (400 sets, p <= 0.01 / p <= 0.05): 0.005-0.0125 / 0.048-0.065 over the six cells;
    # the shift null gives 0.07-1.0 / 0.22-1.0 on the same data sets
    pvalues = positional_pvalues(selector, mode, "mask")
    assert (pvalues <= 0.01).mean() <= 0.02  # n_perm = 199: p <= 0.01 is a level-0.01 test
    assert (pvalues <= 0.05).mean() <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / pvalues.size)


def test_mask_null_fixes_the_shift_null_for_a_selector_that_avoids_the_ends():
    # the defect of the old default: sites cannot cross the ends, so the middle is more often in a
    # site than the shift null (which moves the selection onto the ends) assumes; 300 sequences
    # (measured share of p < 0.01: shift 0.61, mask 0.005)
    data = {"selector": "avoids_the_ends", "mode": "uniform", "n_sets": 200, "n_sequences": 300}
    assert (positional_pvalues(method="shift", **data) < 0.01).mean() > 0.5
    assert (positional_pvalues(method="mask", **data) < 0.01).mean() <= 0.02


@pytest.mark.parametrize("mode", ["uniform", "centred"])
def test_mask_null_finds_a_selection_that_is_the_sites(mode):
    rng = np.random.default_rng(11)
    lengths = rng.choice([90, 100], size=150)
    positive = plant_sites(rng, lengths, mode)
    result = selection_pvalue(positive, positive, lengths, n_perm=N_PERM, seed=rng)
    assert result["p_value"] == pytest.approx(P_MIN) and result["n_exchangeable"] == 150
    assert result["observed"] == positive.sum() > result["expected_null"]
    # a selection that is the sites has their positional profile: the mask null expects more hits than
    # a uniformly placed selection (measured 527.6 vs 506.6 uniform, 646.3 vs 486.9 centred)
    low, high = {"uniform": (1.02, 1.1), "centred": (1.2, 1.5)}[mode]
    assert low * result["expected"] < result["expected_null"] < high * result["expected"]
    # half of the sites kept: still at the minimum; a selection shifted off the sites is not
    half = positive & (np.cumsum(positive, axis=1) <= SITE_WIDTH // 2)
    assert selection_pvalue(half, positive, lengths, n_perm=N_PERM, seed=1)["p_value"] == pytest.approx(P_MIN)
    off = np.roll(positive, SITE_WIDTH, axis=1) & valid_mask(lengths, L_SIM) & ~positive
    assert selection_pvalue(off, positive, lengths, n_perm=N_PERM, seed=1)["p_value"] > 0.5


# --------------------------------------------------------------------------- summary rows
def toy_dataset(n=40, length=50, seed=0):
    """Class 1 carries a predictive site (motif 0) and every sequence a decoy site (motif 1)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(40, length + 1, size=n)
    motif_index = np.full((n, length), -1, dtype=np.int16)
    motif_index[1::2, 2:7] = 0
    motif_index[:, 15:20] = 1
    motif_index[::4, 25:30] = 2
    return motif_index, lengths


def test_selection_rows_on_planted_predictive_selection():
    motif_index, lengths = toy_dataset()
    selected = (motif_index == 0) | (motif_index == 2)
    rows = selection_rows(
        selected, motif_index, lengths, ["P0", "D1", "P2"], ["predictive", "decoy", "predictive"], N_PERM, 0
    )
    assert all(tuple(row) == ROW_KEYS for row in rows)
    by = {(row["role"], row["motif"]): row for row in rows}
    expected_keys = {("predictive", "all"), ("predictive", "P0"), ("predictive", "P2")}
    assert set(by) == expected_keys | {("decoy", "all"), ("decoy", "D1")}
    recovery = by[("predictive", "all")]
    assert recovery["group"] == "recovery" and recovery["n_sequences"] == 30
    assert recovery["precision"] == 1.0 and recovery["observed"] == recovery["n_selected"]
    # mixing the P0 masks (positions 2-6) with the P2 masks (25-29) of equal-length sequences loses hits
    assert recovery["p_value"] == pytest.approx(P_MIN) and recovery["expected_null"] < recovery["observed"]
    assert recovery["p_value_shift"] == pytest.approx(P_MIN)
    assert recovery["p_value_permutation"] == pytest.approx(P_MIN)
    used_lengths = lengths[selected.any(axis=1)]
    _, counts = np.unique(used_lengths, return_counts=True)
    assert recovery["n_exchangeable"] == counts[counts > 1].sum()
    assert recovery["enrichment"] == pytest.approx(recovery["observed"] / recovery["expected"])
    assert recovery["enrichment"] > 5
    # P0 sits in the odd sequences, P2 in every fourth (even) one
    p0 = by[("predictive", "P0")]
    assert p0["n_sequences"] == 20 and p0["precision"] == 1.0
    # P0 sits at the same positions in every sequence, so do its masks: a selector that always keeps
    # positions 2-6 would do as well, and the mask null says so (the shift null does not)
    assert p0["p_value"] == 1.0 and p0["expected_null"] == p0["observed"] and p0["enrichment_null"] == 1.0
    assert p0["p_value_shift"] == pytest.approx(P_MIN)
    assert by[("predictive", "P2")]["n_sequences"] == 10
    decoy = by[("decoy", "D1")]
    assert decoy["group"] == "decoy" and decoy["n_sequences"] == 40
    assert decoy["precision"] == 0.0 and decoy["observed"] == 0 and decoy["p_value"] == 1.0
    assert decoy["chance"] == pytest.approx(np.mean(5 / lengths[selected.any(axis=1)]))


def test_selection_rows_is_deterministic_and_validates():
    motif_index, lengths = toy_dataset(seed=1)
    selected = random_k(lengths, motif_index.shape[1], 5, seed=2)
    args = (selected, motif_index, lengths, ["A", "B", "C"], ["predictive", "decoy", "known"], N_PERM, 3)
    rows = selection_rows(*args)
    assert selection_rows(*args) == rows
    assert {row["group"] for row in rows} == {"recovery", "decoy"}
    assert {row["role"] for row in rows} == {"predictive", "decoy", "known"}
    with pytest.raises(ValueError, match="roles"):
        selection_rows(selected, motif_index, lengths, ["A", "B", "C"], ["predictive", "decoy", "other"])
    short = int(np.argmin(lengths))
    assert lengths[short] < motif_index.shape[1]
    padded = selected.copy()
    padded[short, -1] = True
    with pytest.raises(ValueError, match="PAD"):
        selection_rows(padded, motif_index, lengths, ["A", "B", "C"], ["predictive", "decoy", "known"])
    assert not selected[short, -1]  # input untouched


def test_selection_rows_use_the_mask_null_for_p_value():
    # a run of 10 selected positions overlapping a site of 5 by 2 positions, 5 sequences of 50:
    # observed 10 hits vs 5 expected; scattered-position (permutation) null calls that significant,
    # the contiguity-preserving shift null does not (p ~ 0.17-0.22 over seeds), and the mask null,
    # with every sequence's mask the same, cannot move the selection at all (p = 1)
    motif_index = np.full((5, 50), -1, dtype=np.int16)
    motif_index[:, 20:25] = 0
    selected = np.zeros((5, 50), dtype=bool)
    selected[:, 23:33] = True
    rows = selection_rows(selected, motif_index, np.full(5, 50), ["P"], ["predictive"], N_PERM, 0)
    assert [row["motif"] for row in rows] == ["all", "P"]
    row = rows[0]
    assert row["observed"] == 10 and row["expected"] == 5.0
    assert row["precision"] == 0.2 and row["chance"] == 0.1 and row["enrichment"] == pytest.approx(2.0)
    assert row["p_value"] == 1.0 and row["expected_null"] == 10.0 and row["n_exchangeable"] == 5
    assert row["p_value_shift"] > 0.1
    assert row["p_value_permutation"] <= 0.05
