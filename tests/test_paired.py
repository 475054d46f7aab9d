"""Paired tests of two models: t, Wilcoxon, TOST (seeds) and McNemar (one run)."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from gsattn.paired import mcnemar_test, paired_seed_tests, tost_paired

A = np.array([0.80, 0.82, 0.79, 0.81, 0.83, 0.80])
B = np.array([0.84, 0.83, 0.85, 0.82, 0.86, 0.845])


# --------------------------------------------------------------------------- seed-level tests
def test_paired_seed_tests_equal_scipy():
    result = paired_seed_tests(A, B)
    t = stats.ttest_rel(B, A)
    w = stats.wilcoxon(B, A)
    ci = t.confidence_interval(0.95)
    assert result["n_seeds"] == 6
    assert result["mean_difference"] == pytest.approx(np.mean(B - A))
    assert result["t_statistic"] == pytest.approx(t.statistic)
    assert result["t_statistic"] > 0  # B larger -> positive
    assert result["t_p_value"] == pytest.approx(t.pvalue)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert result["wilcoxon_statistic"] == pytest.approx(w.statistic)
    assert result["wilcoxon_p_value"] == pytest.approx(w.pvalue)
    assert result["wilcoxon_note"] == ""
    # hand check of the t-interval
    d = B - A
    half = stats.t.ppf(0.975, 5) * d.std(ddof=1) / math.sqrt(6)
    assert result["ci_low"] == pytest.approx(d.mean() - half)


def test_wilcoxon_nan_when_all_differences_zero_or_too_few():
    same = paired_seed_tests(A, A.copy())
    assert math.isnan(same["wilcoxon_p_value"]) and "zero" in same["wilcoxon_note"]
    assert math.isnan(same["t_p_value"])
    one = paired_seed_tests(np.array([0.5]), np.array([0.6]))
    assert math.isnan(one["wilcoxon_p_value"]) and math.isnan(one["t_p_value"])
    with pytest.raises(ValueError, match="shape"):
        paired_seed_tests(A, B[:3])
    with pytest.raises(ValueError, match="finite"):
        paired_seed_tests(A, np.where(B > 0.84, np.nan, B))


# --------------------------------------------------------------------------- McNemar
def test_mcnemar_equals_statsmodels_on_hand_table():
    # table: A correct & B correct = 3, only A correct = 1, only B correct = 4, both wrong = 2
    y = np.array([1, 0, 1, 1, 0, 1, 0, 1, 0, 1])
    sign = np.where(y == 1, 1.0, -1.0)
    a_ok = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    b_ok = np.array([1, 1, 1, 0, 1, 1, 1, 1, 0, 0], dtype=bool)
    logits_a = np.where(a_ok, sign, -sign)
    logits_b = np.where(b_ok, 2 * sign, -2 * sign)
    result = mcnemar_test(y, logits_a, logits_b)
    table = np.array([[3, 1], [4, 2]])
    np.testing.assert_array_equal(result["table"], table)
    assert (result["b01"], result["b10"]) == (1, 4)
    expected = mcnemar(table, exact=True)
    assert result["exact"] and "exact" in result["method"]
    assert result["statistic"] == pytest.approx(expected.statistic)
    assert result["p_value"] == pytest.approx(expected.pvalue)
    assert result["accuracy_difference"] == pytest.approx(0.3)


def test_mcnemar_uses_chi_square_from_25_discordant_pairs():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=200)
    sign = np.where(y == 1, 1.0, -1.0)
    a_ok = np.ones(200, dtype=bool)
    a_ok[:30] = False  # 30 only-B-correct
    b_ok = np.ones(200, dtype=bool)
    b_ok[30:40] = False  # 10 only-A-correct
    result = mcnemar_test(y, np.where(a_ok, sign, -sign), np.where(b_ok, sign, -sign))
    expected = mcnemar(np.array([[160, 10], [30, 0]]), exact=False, correction=True)
    assert not result["exact"] and "continuity" in result["method"]
    assert result["statistic"] == pytest.approx(expected.statistic)
    assert result["p_value"] == pytest.approx(expected.pvalue)


# --------------------------------------------------------------------------- TOST
def test_tost_equivalent_for_tiny_differences():
    a = np.array([0.80, 0.82, 0.81, 0.83, 0.79])
    b = a + np.array([0.001, -0.002, 0.0015, 0.0, -0.001])
    result = tost_paired(a, b, margin=0.05)
    assert result["equivalent"]
    assert result["p_value"] == max(result["p_lower"], result["p_upper"]) < 0.05
    assert -0.05 < result["ci_low"] < result["ci_high"] < 0.05


def test_tost_not_equivalent_near_margin_or_noisy():
    a = np.array([0.80, 0.82, 0.81, 0.83, 0.79])
    near = tost_paired(a, a + np.array([0.009, 0.011, 0.010, 0.012, 0.008]), margin=0.01)
    assert not near["equivalent"] and near["p_value"] > 0.05
    # B - A > 0 sits above +margin: the upper one-sided test is the binding one
    assert near["p_upper"] > near["p_lower"]
    noisy = tost_paired(a, a + np.array([0.2, -0.2, 0.15, -0.15, 0.0]), margin=0.05)
    assert not noisy["equivalent"]
    with pytest.raises(ValueError, match="margin"):
        tost_paired(a, a, margin=0.0)
