import logging
import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from gsattn.compare import (
    METRICS,
    ROW_KEYS,
    VERDICT_A,
    VERDICT_B,
    VERDICT_EQUIVALENT,
    VERDICT_INCONCLUSIVE,
    adjust_across_datasets,
    check_primary_reachable,
    compare_dataset,
    declare_verdicts,
    interpretability_summary,
    mcnemar_test,
    paired_seed_tests,
    smallest_p_value,
    tost_paired,
    verdict,
)
from gsattn.stats import accuracy_from_logits, auroc

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


# --------------------------------------------------------------------------- verdict (hand-made rows)
def verdict_rows(n, p_primary, estimate, boot_ci, p_tost, equivalence_ci=(-0.005, 0.005), margin=0.01):
    """Accuracy rows of one data set: the tests the verdict reads plus a per-seed McNemar row it ignores."""
    rows = [
        {"metric": "accuracy", "test": test, "seed": "all", "p_adjusted": p, "estimate": estimate, "n": n}
        for test, p in (("paired_t", p_primary), ("wilcoxon", p_primary), ("tost", p_tost))
    ]
    for test, (low, high) in (("bootstrap", boot_ci), ("bootstrap_equivalence", equivalence_ci)):
        rows.append(
            {
                "metric": "accuracy",
                "test": test,
                "seed": "all",
                "p_adjusted": math.nan,
                "ci_low": low,
                "ci_high": high,
                "margin": margin if test == "bootstrap_equivalence" else math.nan,
                "n": 500,
            }
        )
    rows.append(
        {"metric": "accuracy", "test": "mcnemar", "seed": 1, "p_adjusted": 1e-9, "estimate": 0.3, "n": 500}
    )
    return rows


def accuracy_row(rows, test):
    return next(r for r in rows if r["metric"] == "accuracy" and r["test"] == test and r["seed"] == "all")


def test_verdict_four_outcomes():
    assert verdict(verdict_rows(5, 0.01, 0.03, (0.01, 0.05), 0.9)) == VERDICT_B
    assert verdict(verdict_rows(5, 0.01, -0.03, (-0.05, -0.01), 0.9)) == VERDICT_A
    assert verdict(verdict_rows(5, 0.6, 0.001, (-0.01, 0.01), 0.01)) == VERDICT_EQUIVALENT
    assert verdict(verdict_rows(5, 0.2, 0.02, (-0.01, 0.04), 0.3)) == VERDICT_INCONCLUSIVE
    # significant seed test but the bootstrap interval covers 0 -> not superior
    assert verdict(verdict_rows(5, 0.01, 0.03, (-0.01, 0.05), 0.9)) == VERDICT_INCONCLUSIVE
    # NaN never satisfies a rule
    assert verdict(verdict_rows(5, math.nan, 0.03, (0.01, 0.05), math.nan)) == VERDICT_INCONCLUSIVE
    with pytest.raises(ValueError, match="bootstrap_equivalence"):
        verdict(
            [
                r
                for r in verdict_rows(5, 0.01, 0.03, (0.01, 0.05), 0.9)
                if r["test"] != "bootstrap_equivalence"
            ]
        )


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ((-0.0099, 0.0099), VERDICT_EQUIVALENT),
        ((-0.0100, 0.0050), VERDICT_INCONCLUSIVE),  # the edge: a bound on the margin is not inside
        ((-0.0050, 0.0101), VERDICT_INCONCLUSIVE),
        ((-0.0300, 0.0300), VERDICT_INCONCLUSIVE),  # TOST passes, the test set's uncertainty does not fit
        ((math.nan, math.nan), VERDICT_INCONCLUSIVE),
    ],
)
def test_equivalence_needs_the_two_level_interval_inside_the_margin(interval, expected):
    rows = verdict_rows(5, 0.6, 0.001, (-0.01, 0.01), 0.001, equivalence_ci=interval)
    assert verdict(rows) == expected


@pytest.mark.parametrize("n_seeds", [2, 5, 6, 7, 10])
def test_verdict_uses_the_paired_t_test_at_every_number_of_seeds(n_seeds):
    rows = verdict_rows(n_seeds, 0.01, 0.03, (0.01, 0.05), 0.9)
    accuracy_row(rows, "wilcoxon")["p_adjusted"] = 0.2  # the robustness column does not decide
    assert verdict(rows) == VERDICT_B
    assert verdict(rows, primary_test="wilcoxon") == VERDICT_INCONCLUSIVE
    accuracy_row(rows, "paired_t")["p_adjusted"], accuracy_row(rows, "wilcoxon")["p_adjusted"] = 0.2, 0.01
    assert verdict(rows) == VERDICT_INCONCLUSIVE
    assert verdict(rows, primary_test="wilcoxon") == VERDICT_B
    with pytest.raises(ValueError, match="primary_test"):
        verdict(rows, primary_test="sign")


# --------------------------------------------------------------------------- can the primary test reach α?
def test_smallest_p_values_match_scipy():
    for n_seeds in (5, 6, 7):
        all_positive = stats.wilcoxon(np.arange(1.0, n_seeds + 1))  # exact, no ties: the smallest p
        assert smallest_p_value("wilcoxon", n_seeds) == pytest.approx(all_positive.pvalue) == 2 / 2**n_seeds
    assert smallest_p_value("paired_t", 2) == 0.0
    assert smallest_p_value("paired_t", 1) == smallest_p_value("wilcoxon", 1) == 1.0
    with pytest.raises(ValueError, match="primary"):
        smallest_p_value("sign", 5)


@pytest.mark.parametrize(
    ("n_seeds", "n_datasets", "bound"), [(6, 1, 2 / 64), (7, 2, 4 / 128), (10, 25, 50 / 1024)]
)
def test_wilcoxon_primary_is_accepted_where_it_can_reach_alpha(n_seeds, n_datasets, bound):
    assert check_primary_reachable(n_seeds, n_datasets, 0.05, "wilcoxon") == pytest.approx(bound)


@pytest.mark.parametrize(("n_seeds", "n_datasets", "needed"), [(5, 1, 6), (6, 2, 7), (7, 4, 8), (10, 26, 11)])
def test_wilcoxon_primary_is_refused_where_it_cannot_reach_alpha(n_seeds, n_datasets, needed):
    with pytest.raises(ValueError, match=f"cannot reach alpha.*at least {needed} seeds"):
        check_primary_reachable(n_seeds, n_datasets, 0.05, "wilcoxon")


def test_paired_t_reaches_alpha_from_two_seeds_and_one_seed_only_warns(caplog):
    assert check_primary_reachable(2, 100, 0.05) == 0.0
    with caplog.at_level(logging.WARNING, logger="gsattn.compare"):
        assert check_primary_reachable(1, 1, 0.05) == 1.0
    assert "one seed" in caplog.text
    with pytest.raises(ValueError, match="at least one"):
        check_primary_reachable(5, 0, 0.05)


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


def seeded_study(n_seeds, acc_b=0.53, n_seqs=1800, jitter=None, seed=0):
    """Per-seed rows and logits on one shared test set, like the measured default study.

    Attention's per-seed accuracies are drawn from N(0.77, 0.015), the joint
    pipeline's from N(``acc_b``, 0.02) or, with ``jitter``, as attention's plus
    N(0, ``jitter``). Each model has a per-sequence difficulty shared by its
    seeds (correlation 0.8: mostly the same errors every seed) and independent
    of the other model's (the two models err on different sequences). A seed's
    logit is positive on exactly the sequences it gets right; its accuracy,
    AUROC and AUPRC are computed from the logits.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n_seqs)
    sign = np.where(y == 1, 1.0, -1.0)
    seeds = list(range(1, n_seeds + 1))
    target = {"attention": rng.normal(0.77, 0.015, n_seeds)}
    target["joint_pipeline"] = (
        rng.normal(acc_b, 0.02, n_seeds)
        if jitter is None
        else target["attention"] + rng.normal(0, jitter, n_seeds)
    )
    predictions = {"y": y, "attention": {}, "joint_pipeline": {}}
    per_seed = []
    for model, accuracies in target.items():
        difficulty = rng.standard_normal(n_seqs)
        for s, accuracy in zip(seeds, accuracies, strict=True):
            u = 0.8 * difficulty + 0.6 * rng.standard_normal(n_seqs)
            logits = sign * (np.quantile(u, accuracy) - u)
            predictions[model][s] = logits
            values = {
                "accuracy": accuracy_from_logits(y, logits),
                "auroc": auroc(y, logits),
                "auprc": average_precision_score(y, logits),
            }
            per_seed += [
                {"model": model, "seed": s, "metric": k, "value": float(v)} for k, v in values.items()
            ]
    return per_seed, predictions


def test_seeded_study_looks_like_the_measured_default_study():
    per_seed, predictions = seeded_study(10)
    accuracy = {
        m: np.array([r["value"] for r in per_seed if r["model"] == m and r["metric"] == "accuracy"])
        for m in ("attention", "joint_pipeline")
    }
    assert accuracy["attention"].mean() == pytest.approx(0.77, abs=0.01)
    assert accuracy["joint_pipeline"].mean() == pytest.approx(0.53, abs=0.015)
    assert 0.005 < accuracy["attention"].std(ddof=1) < 0.03
    one_run = mcnemar_test(predictions["y"], predictions["attention"][1], predictions["joint_pipeline"][1])
    assert one_run["n_discordant"] > 0.3 * 1800  # different errors


STUDY_ACCURACY = {"gap": 0.53, "zero": 0.77}
STUDY_VERDICT = {"gap": VERDICT_A, "zero": VERDICT_INCONCLUSIVE}


@pytest.mark.parametrize("n_seeds", [5, 6, 7, 10])
@pytest.mark.parametrize("kinds", [("gap",), ("zero",), ("gap", "zero"), ("gap", "gap")])
def test_declared_verdict_on_per_seed_numbers_like_the_measured_ones(n_seeds, kinds):
    """A 24-point gap is declared at every number of seeds; no gap is never declared superior.

    The old rule (exact Wilcoxon from 6 seeds, Holm over 3 metrics x data sets)
    called the gap "inconclusive" at 6 seeds and at 7 seeds with two data sets.
    """
    rows = []
    for d, kind in enumerate(kinds):
        per_seed, predictions = seeded_study(n_seeds, acc_b=STUDY_ACCURACY[kind], seed=100 * n_seeds + d)
        found, _ = compare_dataset(per_seed, predictions, n_boot=200, seed=0, n_datasets=len(kinds))
        rows += [{"dataset": f"d{d}", **r} for r in found]
    adjusted, verdicts = declare_verdicts(rows)
    assert list(verdicts.values()) == [STUDY_VERDICT[k] for k in kinds]
    for d, kind in enumerate(kinds):
        boot = accuracy_row([r for r in adjusted if r["dataset"] == f"d{d}"], "bootstrap")
        assert (boot["ci_high"] < 0) == (kind == "gap")  # the zero gap's interval covers 0


def test_wilcoxon_primary_declares_the_gap_where_it_can_and_is_refused_where_it_cannot():
    rows = []
    for d in range(2):
        per_seed, predictions = seeded_study(7, seed=d)
        found, _ = compare_dataset(per_seed, predictions, n_boot=100, primary_test="wilcoxon", n_datasets=2)
        rows += [{"dataset": f"d{d}", **r} for r in found]
    adjusted, verdicts = declare_verdicts(rows, primary_test="wilcoxon")
    assert verdicts == {"d0": VERDICT_A, "d1": VERDICT_A}
    # both p = 2/2^7; Holm over the accuracy rows of the two data sets only: 2 * 2/128 < 0.05
    for d in ("d0", "d1"):
        assert accuracy_row([r for r in adjusted if r["dataset"] == d], "wilcoxon")[
            "p_adjusted"
        ] == pytest.approx(4 / 128)
    per_seed, predictions = seeded_study(6)
    with pytest.raises(ValueError, match="at least 7 seeds"):
        compare_dataset(per_seed, predictions, n_boot=10, primary_test="wilcoxon", n_datasets=2)
    with pytest.raises(ValueError, match="at least 8 seeds"):
        declare_verdicts(
            [{**r, "dataset": f"d{d}"} for d in range(4) for r in rows[: len(rows) // 2]],
            primary_test="wilcoxon",
        )


@pytest.mark.parametrize(("n_seqs", "expected"), [(600, VERDICT_INCONCLUSIVE), (12000, VERDICT_EQUIVALENT)])
def test_equal_accuracy_with_different_errors_is_equivalent_only_where_the_test_set_allows(n_seqs, expected):
    """The seeds' TOST passes either way; the two-level 90 % interval must fit inside +-margin too."""
    per_seed, predictions = seeded_study(5, n_seqs=n_seqs, jitter=0.001, seed=7)
    rows, outcome = compare_dataset(per_seed, predictions, margin=0.01, n_boot=200, seed=0)
    assert accuracy_row(rows, "tost")["p_adjusted"] < 0.05
    interval = accuracy_row(rows, "bootstrap_equivalence")
    assert interval["margin"] == 0.01
    assert (-0.01 < interval["ci_low"] and interval["ci_high"] < 0.01) == (expected == VERDICT_EQUIVALENT)
    assert outcome == expected


def test_compare_dataset_rows_and_adjustment():
    per_seed, predictions = synthetic()
    rows, outcome = compare_dataset(per_seed, predictions, margin=0.01, n_boot=50, seed=1, alpha=0.05)
    # equal strength, 300 sequences: the interval covers 0 and is wider than the margin
    boot, interval = accuracy_row(rows, "bootstrap"), accuracy_row(rows, "bootstrap_equivalence")
    assert boot["ci_low"] < 0 < boot["ci_high"] and interval["ci_high"] - interval["ci_low"] > 0.02
    assert outcome == VERDICT_INCONCLUSIVE
    assert all(set(row) == set(ROW_KEYS) for row in rows)
    present = {(row["metric"], row["test"]) for row in rows}
    for metric in METRICS:
        assert {(metric, "paired_t"), (metric, "wilcoxon"), (metric, "tost")} <= present
    for metric in ("accuracy", "auroc"):
        assert {(metric, "bootstrap"), (metric, "bootstrap_equivalence")} <= present
    assert ("auprc", "bootstrap") not in present
    assert len(present) == 3 * 3 + 2 * 2 + 1 and len(rows) == 3 * 3 + 2 * 2 + 5
    # McNemar: one row per seed, each saying it is one run
    mcnemar_rows = [r for r in rows if r["test"] == "mcnemar"]
    assert [r["seed"] for r in mcnemar_rows] == [0, 1, 2, 3, 4]
    assert all(r["note"].startswith(f"one run: seed {r['seed']} ") for r in mcnemar_rows)
    for j, row in enumerate(mcnemar_rows):
        one = mcnemar_test(predictions["y"], predictions["attention"][j], predictions["joint_pipeline"][j])
        assert row["p_value"] == pytest.approx(one["p_value"])
    assert all(r["seed"] == "all" for r in rows if r["test"] != "mcnemar")
    # families: accuracy alone (one hypothesis here), AUROC with AUPRC, McNemar across seeds
    for test in ("paired_t", "wilcoxon", "tost"):
        assert accuracy_row(rows, test)["p_adjusted"] == pytest.approx(accuracy_row(rows, test)["p_value"])
        secondary = [r for r in rows if r["test"] == test and r["metric"] != "accuracy"]
        expected = multipletests([r["p_value"] for r in secondary], method="holm")[1]
        assert [r["p_adjusted"] for r in secondary] == pytest.approx(expected)
    expected = multipletests([r["p_value"] for r in mcnemar_rows], method="holm")[1]
    assert [r["p_adjusted"] for r in mcnemar_rows] == pytest.approx(expected)
    t_row = accuracy_row(rows, "paired_t")
    assert boot["estimate"] == pytest.approx(t_row["estimate"])  # both: mean over seeds of B - A
    assert boot["ci_low"] <= interval["ci_low"] <= boot["estimate"] <= interval["ci_high"] <= boot["ci_high"]
    assert "initialisation and batch order" in boot["note"] and "5 seeds" in boot["note"]
    assert accuracy_row(rows, "tost")["margin"] == 0.01 and math.isnan(t_row["margin"])
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
def test_adjust_across_datasets_equals_statsmodels_holm_per_family():
    rows = []
    for name, gain, seed in (("one", 0.0, 3), ("two", 1.5, 2)):
        per_seed, predictions = synthetic(n_seqs=200, gain=gain, seed=seed)
        found, _ = compare_dataset(per_seed, predictions, n_boot=20, seed=0, n_datasets=2)
        rows += [{"dataset": name, **r} for r in found]
    adjusted, verdicts = declare_verdicts(rows, alpha=0.05)
    assert verdicts == {"one": VERDICT_INCONCLUSIVE, "two": VERDICT_B}
    families = {("paired_t", True): 2, ("paired_t", False): 4, ("tost", True): 2, ("mcnemar", True): 10}
    for (test, primary), size in families.items():
        members = [r for r in adjusted if r["test"] == test and (r["metric"] == "accuracy") == primary]
        raw = np.array([r["p_value"] for r in members])
        assert len(members) == size
        assert np.allclose([r["p_adjusted"] for r in members], multipletests(raw, method="holm")[1])
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
