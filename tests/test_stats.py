import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score
from statsmodels.stats.multitest import multipletests

from conftest import REPO
from gsattn.stats import (
    BOOTSTRAP_KEYS,
    accuracy_from_logits,
    adjust_pvalues,
    auroc,
    average_precision,
    hit_rate_test,
    paired_bootstrap,
    poisson_binomial_pmf,
    two_level_bootstrap,
)


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


def test_auroc_equals_sklearn_with_ties_integers_and_imbalance():
    """The rank-sum AUROC is scikit-learn's on ties, float16/int scores and 1-vs-many classes."""
    rng = np.random.default_rng(4)
    for n, p_pos, levels in [(7, 0.5, 3), (200, 0.1, 5), (500, 0.5, 0), (31, 0.9, 2)]:
        y = (rng.random(n) < p_pos).astype(int)
        y[0], y[1] = 0, 1
        score = rng.integers(0, levels, size=n) if levels else rng.standard_normal(n).astype(np.float16)
        assert auroc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert auroc(np.array([1, 0]), np.array([0.0, 1.0])) == 0.0
    assert auroc(np.array([1, 0, 1]), np.array([2.0, 2.0, 2.0])) == 0.5


def test_average_precision_equals_sklearn_with_ties_imbalance_and_by_hand():
    rng = np.random.default_rng(5)
    for n, p_pos, levels in [(7, 0.5, 3), (200, 0.1, 5), (500, 0.5, 0), (31, 0.9, 2), (40, 0.5, 1)]:
        y = (rng.random(n) < p_pos).astype(int)
        y[0], y[1] = 0, 1
        score = rng.integers(0, levels, size=n) if levels else rng.standard_normal(n).astype(np.float16)
        assert average_precision(y, score) == pytest.approx(average_precision_score(y, score), abs=1e-12)
    # by hand: ranked 0.9 (1), 0.8 (0), 0.7 (1): AP = 1/2 * 1 + 1/2 * 2/3
    assert average_precision(np.array([1, 0, 1]), np.array([0.9, 0.8, 0.7])) == pytest.approx(5 / 6)
    # a tie between a positive and a negative at the top enters as one threshold: 1 * 1/2
    assert average_precision(np.array([1, 0]), np.array([1.0, 1.0])) == 0.5
    assert average_precision(np.array([1, 0]), np.array([1.0, 0.0])) == 1.0
    assert np.isnan(average_precision(np.ones(4, dtype=int), np.arange(4.0)))


def test_the_metric_functions_load_no_scipy_or_sklearn():
    import subprocess
    import sys

    code = (
        "import sys; sys.path.insert(0, 'workflow/scripts'); import numpy as np; "
        "from gsattn.train import metrics; "
        "metrics('binary', np.array([0., 1., 1.]), np.array([-1., 2., 0.5])); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'sklearn'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


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


# --------------------------------------------------------------------------- two-level bootstrap
def test_two_level_bootstrap_resamples_the_seeds():
    """Sequences do not matter here (each seed is right or wrong everywhere): only the seeds vary."""
    y = np.array([0, 1] * 20)
    sign = np.where(y == 1, 1.0, -1.0)[:, None]
    a = np.repeat(sign, 4, axis=1)  # every seed of A always right
    b = sign * np.array([1.0, 1.0, -1.0, -1.0])  # B right everywhere on two seeds, wrong on two
    result = two_level_bootstrap(y, a, b, accuracy_from_logits, n_boot=2000, seed=0)
    assert set(BOOTSTRAP_KEYS) <= set(result) and result["n_seeds"] == 4
    assert (result["metric_a"], result["metric_b"], result["difference"]) == (1.0, 0.5, -0.5)
    # mean of 4 seeds drawn from {0, -1}: P(all -1) = P(all 0) = 1/16 > 2.5 %, so the 95 % interval is [-1, 0]
    assert result["difference_ci"] == (-1.0, 0.0)

    # the bootstrap over sequences alone of the seed-averaged accuracy sees no uncertainty at all
    def seed_averaged(labels, scores):
        return float(np.mean([accuracy_from_logits(labels, scores[:, j]) for j in range(scores.shape[1])]))

    over_sequences = paired_bootstrap(y, a, b, seed_averaged, n_boot=200, seed=0)
    assert over_sequences["difference_ci"] == (-0.5, -0.5)


def test_two_level_bootstrap_resamples_the_sequences():
    """Identical seeds: the seed level adds nothing and the interval is the paired bootstrap's."""
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, size=400)
    a, b = noisy_logits(y, 1.5, rng), noisy_logits(y, 1.2, rng)
    two = two_level_bootstrap(
        y, np.tile(a[:, None], 5), np.tile(b[:, None], 5), accuracy_from_logits, 2000, 1
    )
    one = paired_bootstrap(y, a, b, accuracy_from_logits, n_boot=2000, seed=1)
    assert two["difference"] == pytest.approx(one["difference"])
    assert two["difference_ci_low"] == pytest.approx(one["difference_ci_low"], abs=0.01)
    assert two["difference_ci_high"] == pytest.approx(one["difference_ci_high"], abs=0.01)
    assert two["difference_ci_high"] - two["difference_ci_low"] > 0.05  # 400 sequences: not narrow


@pytest.mark.parametrize(
    ("n", "n_seeds", "decimals", "skips"), [(300, 5, 1, False), (20, 3, 0, False), (5, 1, 1, True)]
)
def test_two_level_bootstrap_fast_metrics_equal_calling_the_metric(n, n_seeds, decimals, skips):
    """Accuracy and AUROC from sequence counts give what the metric gives on the resampled rows.

    Rounded logits make ties; with 5 sequences some resamples hold one class (AUROC undefined, skipped).
    """
    rng = np.random.default_rng(n)
    y = rng.permutation(np.arange(n) % 2)
    a = np.round(np.where(y == 1, 0.5, -0.5)[:, None] + rng.standard_normal((n, n_seeds)), decimals)
    b = np.round(np.where(y == 1, 0.3, -0.3)[:, None] + rng.standard_normal((n, n_seeds)), decimals)
    for metric in (accuracy_from_logits, auroc):
        fast = two_level_bootstrap(y, a, b, metric, n_boot=150, seed=3, level=0.9)
        slow = two_level_bootstrap(y, a, b, lambda t, s, m=metric: m(t, s), n_boot=150, seed=3, level=0.9)
        assert fast.keys() == slow.keys()
        for key, value in fast.items():
            assert value == pytest.approx(slow[key], rel=1e-12, abs=1e-12, nan_ok=True), (metric, key)
    assert (fast["n_skipped"] > 0) == skips  # fast is AUROC's
    assert fast["n_skipped"] == slow["n_skipped"]


def test_two_level_bootstrap_validation_and_determinism():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, size=30)
    a, b = rng.standard_normal((30, 3)), rng.standard_normal((30, 3))
    first = two_level_bootstrap(y, a, b, auroc, n_boot=100, seed=11)
    assert two_level_bootstrap(y, a, b, auroc, n_boot=100, seed=11) == first
    assert two_level_bootstrap(y, a, b, auroc, n_boot=100, seed=12)["difference_ci"] != first["difference_ci"]
    with pytest.raises(ValueError, match="paired by seed"):
        two_level_bootstrap(y, a, b[:, :2], auroc)
    with pytest.raises(ValueError, match="one column per seed"):
        two_level_bootstrap(y, a[:, 0], b[:, 0], auroc)
    with pytest.raises(ValueError, match="n_boot"):
        two_level_bootstrap(y, a, b, auroc, n_boot=0)
    with pytest.raises(ValueError, match="level"):
        two_level_bootstrap(y, a, b, auroc, level=0.0)
    with pytest.raises(ValueError, match="finite"):
        two_level_bootstrap(y, a, np.where(b > 1, np.nan, b), auroc)


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


# --------------------------------------------------------------------------- hit-rate test
def test_poisson_binomial_pmf_small_case():
    pmf = poisson_binomial_pmf(np.array([0.5, 0.2]))
    np.testing.assert_allclose(pmf, [0.4, 0.5, 0.1])


def test_hit_rate_test_equals_binomial_when_chances_equal():
    rng = np.random.default_rng(3)
    hits = rng.random(40) < 0.4
    chance = np.full(40, 0.25)
    chance[:3] = np.nan
    result = hit_rate_test(hits, chance)
    observed = int(hits[3:].sum())
    expected = stats.binomtest(observed, 37, 0.25, alternative="greater").pvalue
    assert result["observed"] == observed and result["n"] == 37
    assert result["expected"] == pytest.approx(37 * 0.25)
    assert result["p_value"] == pytest.approx(expected, rel=1e-9)
