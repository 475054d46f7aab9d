"""Phase 3 rule scripts: declare_verdicts on hand-made per-data-set tables."""

import importlib

import numpy as np
import pytest
from test_compare import synthetic

from gsattn.compare import compare_dataset
from gsattn.io import read_table, write_table
from gsattn.verdicts import VERDICT_A, VERDICT_B, VERDICT_EQUIVALENT, VERDICT_INCONCLUSIVE

declare = importlib.import_module("declare_verdicts")


@pytest.mark.parametrize(
    ("teacher", "outcome", "expected"),
    [
        ("winner", VERDICT_B, "yes"),
        ("winner", VERDICT_A, "no"),
        ("winner", VERDICT_EQUIVALENT, "no"),
        ("joint_pipeline", VERDICT_A, "yes"),
        ("attention", VERDICT_B, "no"),
    ],
)
def test_joint_pipeline_teacher_only_where_config_and_verdict_ask(teacher, outcome, expected):
    assert declare.uses_joint_pipeline_teacher(teacher, outcome) == expected


def _tables(tmp_path, name, gain, seed):
    per_seed, predictions = synthetic(n_seqs=200, gain=gain, seed=seed)
    rows, _ = compare_dataset(per_seed, predictions, n_boot=50, seed=0, n_datasets=2)
    tests = tmp_path / f"{name}_tests.tsv"
    with open(tests, "w") as handle:
        write_table(handle, [{"dataset": name, **r} for r in rows])
    evidence = tmp_path / f"{name}_evidence.tsv"
    accuracy = {"attention": 0.7, "joint_pipeline": 0.7 + gain / 10, "cnn": 0.6, "gc_content": 0.55}
    with open(evidence, "w") as handle:
        write_table(
            handle,
            [
                {"model": m, "metric": "accuracy", "n_seeds": 5, "mean": v, "sd": 0.01}
                for m, v in accuracy.items()
            ],
        )
    return str(tests), str(evidence)


def test_declare_verdicts_run_writes_one_row_per_data_set(tmp_path):
    one = _tables(tmp_path, "one", 0.0, 3)
    two = _tables(tmp_path, "two", 1.5, 2)
    out = {"verdicts": str(tmp_path / "verdicts.tsv"), "tests": str(tmp_path / "tests.tsv")}
    declare.run(["one", "two"], [one[0], two[0]], [one[1], two[1]], 0.05, 0.01, "holm", "winner", out)
    verdicts = {r["dataset"]: r for r in read_table(out["verdicts"])}
    assert (
        verdicts["two"]["verdict"] == VERDICT_B and verdicts["two"]["phase2_joint_pipeline_teacher"] == "yes"
    )
    assert verdicts["one"]["verdict"] == VERDICT_INCONCLUSIVE  # equal models, 200 sequences
    assert verdicts["one"]["phase2_joint_pipeline_teacher"] == "no"
    assert (
        verdicts["two"]["beats_floors_joint_pipeline"] == "yes"
        and verdicts["one"]["beats_floors_cnn"] == "yes"
    )
    assert verdicts["one"]["primary_test"] == "paired_t"
    assert verdicts["two"]["bootstrap_ci_low"] > 0  # the two-level interval the rule read
    assert verdicts["one"]["equivalence_ci_low"] < -0.01  # too wide for equivalence
    assert verdicts["two"]["mcnemar_seeds_significant"] == "5 of 5"
    tests = read_table(out["tests"])
    # per data set: 3 metrics x (t, Wilcoxon, TOST), 2 x 2 two-level bootstrap rows, McNemar per seed (5)
    assert len(tests) == 2 * (9 + 4 + 5) and all(
        np.isnan(r["p_adjusted"]) or r["p_adjusted"] >= r["p_value"] for r in tests
    )
    assert [r["seed"] for r in tests if r["test"] == "mcnemar" and r["dataset"] == "one"] == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="expected rows of data set"):
        declare.run(["two", "one"], [one[0], two[0]], [one[1], two[1]], 0.05, 0.01, "holm", "winner", out)


def test_declare_verdicts_run_refuses_a_primary_test_that_cannot_reach_alpha(tmp_path):
    """Five seeds, exact Wilcoxon: its smallest p is 2/2^5 = 0.0625 > 0.05 even for one data set."""
    one = _tables(tmp_path, "one", 1.5, 2)
    out = {"verdicts": str(tmp_path / "verdicts.tsv"), "tests": str(tmp_path / "tests.tsv")}
    with pytest.raises(ValueError, match="cannot reach alpha.*at least 6 seeds"):
        declare.run(["one"], [one[0]], [one[1]], 0.05, 0.01, "holm", "winner", out, "wilcoxon")
    declare.run(["one"], [one[0]], [one[1]], 0.05, 0.01, "holm", "winner", out, "paired_t")
    assert read_table(out["verdicts"])[0]["verdict"] == VERDICT_B
