import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from gsattn.compare import (
    METRICS,
    ROW_KEYS,
    VERDICT_A,
    VERDICT_B,
    VERDICT_EQUIVALENT,
    VERDICT_INCONCLUSIVE,
    VERDICTS,
    adjust_across_datasets,
    compare_dataset,
    declare_verdicts,
    interpretability_summary,
    mcnemar_test,
    paired_seed_tests,
    tost_paired,
    verdict,
)

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


# --------------------------------------------------------------------------- verdict
def verdict_rows(n, p_primary, estimate, boot_ci, p_tost):
    rows = []
    for test, p in (("paired_t", p_primary), ("wilcoxon", p_primary), ("tost", p_tost)):
        rows.append({"metric": "accuracy", "test": test, "p_adjusted": p, "estimate": estimate, "n": n})
    rows.append(
        {
            "metric": "accuracy",
            "test": "bootstrap",
            "p_adjusted": math.nan,
            "ci_low": boot_ci[0],
            "ci_high": boot_ci[1],
            "n": 500,
        }
    )
    return rows


def test_verdict_four_outcomes():
    assert verdict(verdict_rows(5, 0.01, 0.03, (0.01, 0.05), 0.9)) == VERDICT_B
    assert verdict(verdict_rows(5, 0.01, -0.03, (-0.05, -0.01), 0.9)) == VERDICT_A
    assert verdict(verdict_rows(5, 0.6, 0.001, (-0.01, 0.01), 0.01)) == VERDICT_EQUIVALENT
    assert verdict(verdict_rows(5, 0.2, 0.02, (-0.01, 0.04), 0.3)) == VERDICT_INCONCLUSIVE


def test_verdict_needs_bootstrap_agreement_and_uses_wilcoxon_from_six_seeds():
    # significant seed test but the bootstrap interval covers 0 -> not superior
    assert verdict(verdict_rows(5, 0.01, 0.03, (-0.01, 0.05), 0.9)) == VERDICT_INCONCLUSIVE
    rows = verdict_rows(6, 0.01, 0.03, (0.01, 0.05), 0.9)
    rows[1]["p_adjusted"] = 0.2  # wilcoxon not significant; it is the primary test at S >= 6
    assert verdict(rows) == VERDICT_INCONCLUSIVE
    rows = verdict_rows(5, 0.01, 0.03, (0.01, 0.05), 0.9)
    rows[1]["p_adjusted"] = 0.2  # ... but ignored at S = 5
    assert verdict(rows) == VERDICT_B
    # NaN never satisfies a rule
    assert verdict(verdict_rows(5, math.nan, 0.03, (0.01, 0.05), math.nan)) == VERDICT_INCONCLUSIVE
    with pytest.raises(ValueError, match="bootstrap"):
        verdict(verdict_rows(5, 0.01, 0.03, (0.01, 0.05), 0.9)[:3])


# --------------------------------------------------------------------------- compare_dataset
def synthetic(n_seqs=300, seeds=(0, 1, 2, 3, 4), gain=0.0, seed=0):
    """Per-seed rows and logits; ``gain`` sharpens the joint pipeline's logits."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n_seqs)
    sign = np.where(y == 1, 1.0, -1.0)
    predictions = {"y": y, "attention": {}, "joint_pipeline": {}}
    per_seed = []
    for model, strength in (("attention", 0.6), ("joint_pipeline", 0.6 + gain)):
        for s in seeds:
            logits = strength * sign + rng.standard_normal(n_seqs)
            predictions[model][s] = logits
            acc = float(np.mean((logits > 0) == y))
            auc = stats.mannwhitneyu(logits[y == 1], logits[y == 0]).statistic / (
                (y == 1).sum() * (y == 0).sum()
            )
            for metric, value in (("accuracy", acc), ("auroc", auc), ("auprc", auc)):
                per_seed.append({"model": model, "seed": s, "metric": metric, "value": float(value)})
    return per_seed, predictions


def test_compare_dataset_rows_and_adjustment():
    per_seed, predictions = synthetic()
    rows, outcome = compare_dataset(per_seed, predictions, margin=0.01, n_boot=50, seed=1, alpha=0.05)
    assert outcome in VERDICTS
    assert all(set(row) == set(ROW_KEYS) for row in rows)
    present = {(row["metric"], row["test"]) for row in rows}
    for metric in METRICS:
        assert {(metric, "paired_t"), (metric, "wilcoxon"), (metric, "tost")} <= present
    assert {("accuracy", "bootstrap"), ("auroc", "bootstrap"), ("accuracy", "mcnemar")} <= present
    assert ("auprc", "bootstrap") not in present
    assert len(rows) == len(present) == 3 * 3 + 2 + 1
    for row in rows:
        if not math.isnan(row["p_value"]):
            assert row["p_adjusted"] >= row["p_value"] - 1e-15
            assert 0.0 <= row["p_adjusted"] <= 1.0
    boot = next(r for r in rows if r["metric"] == "accuracy" and r["test"] == "bootstrap")
    t_row = next(r for r in rows if r["metric"] == "accuracy" and r["test"] == "paired_t")
    assert boot["estimate"] == pytest.approx(t_row["estimate"])  # both: mean over seeds of B - A
    assert boot["ci_low"] <= boot["estimate"] <= boot["ci_high"]
    again, _ = compare_dataset(per_seed, predictions, margin=0.01, n_boot=50, seed=1, alpha=0.05)
    assert [r["ci_low"] for r in again] == [r["ci_low"] for r in rows]


def test_compare_dataset_finds_a_clearly_better_joint_pipeline():
    per_seed, predictions = synthetic(n_seqs=200, gain=1.5, seed=2)
    _, outcome = compare_dataset(per_seed, predictions, margin=0.01, n_boot=100, seed=0, alpha=0.05)
    assert outcome == VERDICT_B


def test_compare_dataset_rejects_mismatched_seeds():
    per_seed, predictions = synthetic(seeds=(0, 1, 2))
    del predictions["joint_pipeline"][2]
    with pytest.raises(ValueError, match="seeds"):
        compare_dataset(per_seed, predictions, n_boot=10)
    per_seed, predictions = synthetic(seeds=(0, 1, 2))
    with pytest.raises(ValueError, match="auprc"):
        compare_dataset([r for r in per_seed if r["metric"] != "auprc"], predictions, n_boot=10)


# --------------------------------------------------------------------------- across data sets
def test_adjust_across_datasets_equals_statsmodels_holm_over_metrics_and_datasets():
    rows = []
    for name, gain, seed in (("one", 0.0, 3), ("two", 1.5, 2)):
        per_seed, predictions = synthetic(n_seqs=200, gain=gain, seed=seed)
        found, _ = compare_dataset(per_seed, predictions, n_boot=20, seed=0)
        rows += [{"dataset": name, **r} for r in found]
    adjusted, verdicts = declare_verdicts(rows, alpha=0.05)
    assert list(verdicts) == ["one", "two"] and verdicts["two"] == VERDICT_B
    for test in ("paired_t", "wilcoxon", "tost", "mcnemar"):
        members = [r for r in adjusted if r["test"] == test]
        raw = np.array([r["p_value"] for r in members])
        expected = multipletests(raw, method="holm")[1]
        assert len(members) == (6 if test != "mcnemar" else 2)
        assert np.allclose([r["p_adjusted"] for r in members], expected)
        # the family is larger than one data set's, so nothing gets smaller
        assert all(r["p_adjusted"] >= r["p_adjusted_within_dataset"] - 1e-15 for r in members)
    assert [r["p_value"] for r in adjusted] == [r["p_value"] for r in rows]


def test_adjust_across_one_dataset_changes_nothing_and_needs_dataset_keys():
    per_seed, predictions = synthetic(n_seqs=150, seed=5)
    found, outcome = compare_dataset(per_seed, predictions, n_boot=20, seed=0)
    rows = [{"dataset": "only", **r} for r in found]
    adjusted, verdicts = declare_verdicts(rows)
    assert verdicts == {"only": outcome}
    for before, after in zip(rows, adjusted, strict=True):
        assert after["p_adjusted"] == pytest.approx(before["p_adjusted"], nan_ok=True)
    with pytest.raises(ValueError, match="dataset"):
        adjust_across_datasets(found)
    with pytest.raises(ValueError, match="method"):
        adjust_across_datasets(rows, method="sidak")


# --------------------------------------------------------------------------- interpretability
def interpretation_rows(model, method, values, metric="auroc"):
    base = {"group": "recovery", "motif": "all", "subset": "all", "role": "predictive", "chance": 0.5}
    rows = [
        base | {"model": model, "method": method, "seed": s, "metric": metric, "mean": v, "n": 40 + s}
        for s, v in enumerate(values)
    ]
    # rows the summary must ignore: another subset, a single motif, a decoy group
    rows.append(rows[0] | {"subset": "class1", "mean": 0.0})
    rows.append(rows[0] | {"motif": "SP1", "mean": 0.0})
    rows.append(rows[0] | {"group": "decoy", "mean": 0.0})
    return rows


def test_interpretability_summary_pairs_seeds_against_attention():
    att = [0.70, 0.72, 0.68, 0.71]
    jp = [0.60, 0.61, 0.59, 0.63]
    rows = (
        interpretation_rows("attention", "ism", att)
        + interpretation_rows("joint_pipeline", "ism", jp)
        + interpretation_rows("attention", "attention", [0.55, 0.56, 0.57, 0.58])
    )
    table = {(r["model"], r["method"]): r for r in interpretability_summary(rows)}
    assert set(table) == {("attention", "ism"), ("joint_pipeline", "ism"), ("attention", "attention")}
    ism = table[("joint_pipeline", "ism")]
    assert ism["mean"] == pytest.approx(np.mean(jp)) and ism["sd"] == pytest.approx(np.std(jp, ddof=1))
    assert ism["n_seeds"] == 4 and ism["n_sequences"] == pytest.approx(41.5) and ism["chance"] == 0.5
    expected = stats.ttest_rel(jp, att)
    assert ism["difference_vs_attention"] == pytest.approx(np.mean(np.subtract(jp, att)))
    assert ism["p_value"] == pytest.approx(expected.pvalue)
    assert ism["ci_low"] < ism["difference_vs_attention"] < ism["ci_high"] < 0
    assert math.isnan(table[("attention", "ism")]["p_value"])
    assert math.isnan(table[("attention", "attention")]["difference_vs_attention"])
    with pytest.raises(ValueError, match="seeds"):
        interpretability_summary(
            rows
            + interpretation_rows("joint_pipeline", "saliency", jp[:3])
            + interpretation_rows("attention", "saliency", att)
        )
