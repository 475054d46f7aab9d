"""compare_dataset on synthetic studies, and the verdicts declared across data sets."""

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score
from statsmodels.stats.multitest import multipletests

from conftest import accuracy_row
from gsattn.compare import METRICS, ROW_KEYS, compare_dataset
from gsattn.paired import mcnemar_test
from gsattn.stats import accuracy_from_logits, auroc
from gsattn.verdicts import (
    VERDICT_A,
    VERDICT_B,
    VERDICT_EQUIVALENT,
    VERDICT_INCONCLUSIVE,
    adjust_across_datasets,
    declare_verdicts,
)


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
