import numpy as np
import pytest
from scipy import stats

from gsattn.selection import (
    ROW_KEYS,
    enrichment,
    pooled_enrichment,
    precision,
    random_k,
    selection_mask,
    selection_rows,
    shift_hit_table,
    shift_null_pvalue,
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
        result = shift_null_pvalue(positive, positive, lengths, n_perm=N_PERM, seed=0, method=method)
        assert result["p_value"] == pytest.approx(P_MIN)
        assert result["observed"] == 90 and result["n_sequences"] == 15
    # exact per-sequence shift p-value: only the zero shift covers the whole block
    result = shift_null_pvalue(positive, positive, lengths, n_perm=N_PERM, seed=0)
    np.testing.assert_allclose(result["p_sequence"], 1 / lengths)
    assert result["expected"] == pytest.approx((36 / lengths).sum())


def test_p_value_hand_values_and_unused_sequences():
    # one sequence of length 4, two positives, one selected on a positive:
    # both nulls hit with probability 2/4, so p_sequence = 0.5
    selected = np.array([[True, False, False, False], [True, False, False, False]])
    positive = np.array([[True, True, False, False], [False, False, False, False]])
    lengths = np.array([4, 4])
    for method in ("shift", "permutation"):
        result = shift_null_pvalue(selected, positive, lengths, n_perm=2000, seed=1, method=method)
        assert result["n_sequences"] == 1 and result["observed"] == 1
        assert result["p_sequence"][0] == pytest.approx(0.5) and np.isnan(result["p_sequence"][1])
        assert result["p_value"] == pytest.approx(0.5, abs=0.04)
        assert result["null_mean"] == pytest.approx(0.5, abs=0.04) and result["expected"] == 0.5
    none = shift_null_pvalue(selected, np.zeros_like(positive), lengths, n_perm=10)
    assert np.isnan(none["p_value"]) and none["n_sequences"] == 0
    with pytest.raises(ValueError, match="method"):
        shift_null_pvalue(selected, positive, lengths, method="bootstrap")


def test_p_value_is_deterministic_for_a_seed():
    rng = np.random.default_rng(8)
    lengths = rng.integers(30, 41, size=20)
    positive = (rng.random((20, 40)) < 0.2) & valid_mask(lengths, 40)
    selected = random_k(lengths, 40, 4, seed=1)
    first = shift_null_pvalue(selected, positive, lengths, n_perm=N_PERM, seed=4)
    again = shift_null_pvalue(selected, positive, lengths, n_perm=N_PERM, seed=4)
    assert first["p_value"] == again["p_value"] and first["null_mean"] == again["null_mean"]


def calibration_pvalues(make_data, method, n_sets=200):
    """p-values of independent small null data sets, each seeded by its index."""
    pvalues = []
    for seed in range(n_sets):
        rng = np.random.default_rng(seed)
        selected, positive, lengths = make_data(rng)
        result = shift_null_pvalue(selected, positive, lengths, n_perm=N_PERM, seed=rng, method=method)
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
    assert recovery["p_value"] == pytest.approx(P_MIN)
    assert recovery["p_value_permutation"] == pytest.approx(P_MIN)
    assert recovery["enrichment"] == pytest.approx(recovery["observed"] / recovery["expected"])
    assert recovery["enrichment"] > 5
    # P0 sits in the odd sequences, P2 in every fourth (even) one
    assert by[("predictive", "P0")]["n_sequences"] == 20 and by[("predictive", "P0")]["precision"] == 1.0
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


def test_selection_rows_use_the_shift_null_for_p_value():
    # a run of 10 selected positions overlapping a site of 5 by 2 positions, 5 sequences of 50:
    # observed 10 hits vs 5 expected; scattered-position (permutation) null calls that significant,
    # the contiguity-preserving shift null does not (p ~ 0.17-0.22 over seeds)
    motif_index = np.full((5, 50), -1, dtype=np.int16)
    motif_index[:, 20:25] = 0
    selected = np.zeros((5, 50), dtype=bool)
    selected[:, 23:33] = True
    rows = selection_rows(selected, motif_index, np.full(5, 50), ["P"], ["predictive"], N_PERM, 0)
    assert [row["motif"] for row in rows] == ["all", "P"]
    row = rows[0]
    assert row["observed"] == 10 and row["expected"] == 5.0
    assert row["precision"] == 0.2 and row["chance"] == 0.1 and row["enrichment"] == pytest.approx(2.0)
    assert row["p_value"] > 0.1
    assert row["p_value_permutation"] <= 0.05
