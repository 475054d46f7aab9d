import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from statsmodels.stats.multitest import multipletests

from gsattn.stats import BOOTSTRAP_KEYS, accuracy_from_logits, adjust_pvalues, auroc, paired_bootstrap


def noisy_logits(y, noise, rng):
    """Logits of class 1 that separate the classes less well as ``noise`` grows."""
    return np.where(y == 1, 1.0, -1.0) + noise * rng.standard_normal(y.size)


# --------------------------------------------------------------------------- metrics
def test_accuracy_from_logits_hand_values():
    y = np.array([0, 1, 1, 0])
    assert accuracy_from_logits(y, np.array([-1.0, 2.0, 0.5, 3.0])) == 0.75
    # a logit of exactly 0 predicts class 0
    assert accuracy_from_logits(y, np.array([0.0, 0.0, 0.0, 0.0])) == 0.5
    with pytest.raises(ValueError, match="binary"):
        accuracy_from_logits(np.array([0, 2]), np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="shape"):
        accuracy_from_logits(y, np.array([1.0, 1.0]))


def test_auroc_matches_sklearn_and_is_nan_for_one_class():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=50)
    score = rng.standard_normal(50)
    assert auroc(y, score) == pytest.approx(roc_auc_score(y, score))
    assert auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert np.isnan(auroc(np.zeros(5, dtype=int), score[:5]))


# --------------------------------------------------------------------------- paired bootstrap
def test_identical_scores_give_zero_difference_and_unit_ratio():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=80)
    score = noisy_logits(y, 1.5, rng)
    result = paired_bootstrap(y, score, score.copy(), accuracy_from_logits, n_boot=300, seed=3)
    assert tuple(result) == BOOTSTRAP_KEYS
    assert result["difference"] == 0.0
    assert (result["difference_ci_low"], result["difference_ci_high"]) == (0.0, 0.0)
    assert result["ratio"] == 1.0
    assert (result["ratio_ci_low"], result["ratio_ci_high"]) == (1.0, 1.0)
    assert result["difference_ci"] == (0.0, 0.0) and result["ratio_ci"] == (1.0, 1.0)
    assert result["n"] == 80 and result["n_boot"] == 300 and result["n_skipped"] == 0


def test_hand_checked_metrics_and_single_sequence():
    y = np.array([0, 1, 1, 0])
    a = np.array([-1.0, 1.0, -1.0, 1.0])  # accuracy 0.5
    b = np.array([-1.0, 1.0, 1.0, -1.0])  # accuracy 1.0
    result = paired_bootstrap(y, a, b, accuracy_from_logits, n_boot=200, seed=0)
    assert result["metric_a"] == 0.5 and result["metric_b"] == 1.0
    assert result["difference"] == 0.5 and result["ratio"] == 2.0
    # b is right everywhere, a on half: every resample has b - a = 1 - a in [0, 1]
    assert 0.0 <= result["difference_ci_low"] <= 0.5 <= result["difference_ci_high"] <= 1.0
    # one sequence: every resample is the data itself
    one = paired_bootstrap(y[:1], a[:1], -a[:1], accuracy_from_logits, n_boot=50, seed=0)
    assert (one["difference"], one["difference_ci_low"], one["difference_ci_high"]) == (-1.0, -1.0, -1.0)
    assert (one["ratio"], one["ratio_ci_low"], one["ratio_ci_high"]) == (0.0, 0.0, 0.0)
    flipped = paired_bootstrap(y[:1], -a[:1], a[:1], accuracy_from_logits, n_boot=50, seed=0)
    assert flipped["difference_ci_low"] == 1.0
    assert np.isnan(flipped["ratio"]) and np.isnan(flipped["ratio_ci_low"])  # a's accuracy is 0


def test_clearly_better_model_has_interval_excluding_zero():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, size=300)
    weak, strong = noisy_logits(y, 3.0, rng), noisy_logits(y, 0.3, rng)
    for metric in (accuracy_from_logits, auroc):
        result = paired_bootstrap(y, weak, strong, metric, n_boot=200, seed=0)
        assert result["difference"] > 0
        assert result["difference_ci_low"] > 0
        assert result["ratio_ci_low"] > 1
        assert result["difference_ci_low"] <= result["difference"] <= result["difference_ci_high"]
        reverse = paired_bootstrap(y, strong, weak, metric, n_boot=100, seed=0)
        assert reverse["difference_ci_high"] < 0


def test_bootstrap_is_deterministic_for_a_seed():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, size=60)
    a, b = noisy_logits(y, 1.0, rng), noisy_logits(y, 1.2, rng)
    first = paired_bootstrap(y, a, b, auroc, n_boot=100, seed=11)
    assert paired_bootstrap(y, a, b, auroc, n_boot=100, seed=11) == first
    other = paired_bootstrap(y, a, b, auroc, n_boot=100, seed=12)
    assert other["difference_ci_low"] != first["difference_ci_low"]
    assert other["difference"] == first["difference"]  # the point estimate does not resample


def test_single_class_resamples_are_skipped_and_counted():
    y = np.array([0, 0, 1])
    a, b = np.array([0.1, 0.2, 0.9]), np.array([0.3, 0.1, 0.2])
    result = paired_bootstrap(y, a, b, auroc, n_boot=600, seed=0)
    # P(a resample of 3 holds one class) = (2/3)^3 + (1/3)^3 = 1/3: ~200 +- 11.5
    assert 160 <= result["n_skipped"] <= 240
    assert result["metric_a"] == 1.0 and result["metric_b"] == 0.5
    assert np.isfinite(result["difference_ci_low"])


def test_bootstrap_validation():
    y = np.array([0, 1, 1])
    score = np.array([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="rows"):
        paired_bootstrap(y, score, score[:2], auroc)
    with pytest.raises(ValueError, match="n_boot"):
        paired_bootstrap(y, score, score, auroc, n_boot=0)
    with pytest.raises(ValueError, match="level"):
        paired_bootstrap(y, score, score, auroc, level=1.0)
    with pytest.raises(ValueError, match="callable"):
        paired_bootstrap(y, score, score, "auroc")


# --------------------------------------------------------------------------- p-value adjustment
@pytest.mark.parametrize("method", ["fdr_bh", "holm"])
def test_adjust_pvalues_matches_statsmodels(method):
    p = np.array([0.001, 0.2, 0.013, 0.04, 0.5, 0.011, 0.03])
    expected = multipletests(p, method=method)[1]
    np.testing.assert_allclose(adjust_pvalues(p, method=method), expected)


def test_adjust_pvalues_hand_values_and_nan():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    # BH on the three tested values: 0.01*3/1 = 0.03, 0.03*3/2 = 0.045 -> 0.04 (cumulative min), 0.04
    np.testing.assert_allclose(adjust_pvalues(p), [0.03, np.nan, 0.04, 0.04])
    # Holm: 0.01*3 = 0.03, 0.03*2 = 0.06, max(0.04*1, 0.06) = 0.06
    np.testing.assert_allclose(adjust_pvalues(p, method="holm"), [0.03, np.nan, 0.06, 0.06])
    assert np.isnan(adjust_pvalues(np.full(3, np.nan))).all()
    grid = adjust_pvalues(np.array([[0.01, 0.04], [np.nan, 0.03]]))
    assert grid.shape == (2, 2)
    np.testing.assert_allclose(grid, [[0.03, 0.04], [np.nan, 0.04]])
    assert np.isnan(p[1]) and p[0] == 0.01  # input untouched


def test_adjust_pvalues_rejects_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues(np.array([0.5, 1.2]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues(np.array([-0.1]))
