"""The Phase 2 criteria (gsattn.criteria) on hand-made inputs, and the script's file reading."""

import importlib

import numpy as np
import pytest
from snakemake.utils import validate

from conftest import REPO
from gsattn import criteria
from gsattn.io import read_table
from gsattn.stats import accuracy_from_logits, two_level_bootstrap

summarize = importlib.import_module("summarize_phase2")
SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


def _predictions(path, rows, labels, full, sparse):
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"rows": np.asarray(rows, np.int32), "labels": np.asarray(labels, np.int8)}
    arrays |= {"full_logits": np.asarray(full, np.float32), "sparse_logits": np.asarray(sparse, np.float32)}
    np.savez(path, **arrays)
    return str(path)


def test_verdict_rule():
    assert criteria.verdict(0.97, 0.96, 0.95) == "holds"
    assert criteria.verdict(0.97, 0.90, 0.95) == "inconclusive"
    assert criteria.verdict(0.90, 0.85, 0.95) == "does not hold"
    assert criteria.verdict(float("nan"), 0.0, 0.95) == "does not hold"


def test_accuracy_fraction_ci_is_the_two_level_bootstrap(tmp_path):
    """Teacher always right; the student right everywhere in seed 1, wrong on 100 of 1000 in
    seed 2. A bootstrap over sequences of the seed-averaged accuracy (the old rule) gives
    [0.94, 0.96] and 'holds' at 0.93; drawing the seeds too reaches 0.90: 'inconclusive'."""
    n = 1000
    y = np.arange(n) % 2
    right = np.where(y == 1, 2.0, -2.0)
    student_2 = right.copy()
    student_2[:100] *= -1
    paths = [
        _predictions(tmp_path / f"s{s}.npz", np.arange(n), y, right, student)
        for s, student in ((1, right), (2, student_2))
    ]
    logits = summarize.seed_logits(paths)
    r = criteria.pooled_accuracy_ratio(*logits, 400)
    expected = two_level_bootstrap(
        y,
        np.column_stack([right, right]),
        np.column_stack([right, student_2]),
        accuracy_from_logits,
        400,
        0,
        0.95,
    )
    assert (r["ratio"], r["low"], r["high"]) == (
        expected["ratio"],
        expected["ratio_ci_low"],
        expected["ratio_ci_high"],
    )
    assert r["ratio"] == pytest.approx(0.95) and r["low"] < 0.915 and r["high"] == 1.0
    (row,) = criteria.accuracy_rows({0.1: logits}, 0.93, 400)
    assert row["verdict"] == "inconclusive" and "two-level" in row["evidence"] and row["rho"] == 0.1
    with pytest.raises(ValueError, match="rows differ"):
        bad = _predictions(tmp_path / "s3.npz", np.arange(1, n + 1), y, right, right)
        summarize.seed_logits([*paths, bad])


def test_seeds_of_a_rho_are_taken_in_numeric_order(tmp_path):
    """The bootstrap's seed columns: 1, 2, 10, whatever the input order."""
    n = 4
    y = np.arange(n) % 2
    paths, students = [], []
    for seed in (10, 1, 2):
        logit = np.full(n, float(seed))
        paths.append(_predictions(tmp_path / f"seed{seed}.npz", np.arange(n), y, logit, logit))
        students.append({"rho": 0.1, "seed": seed})
    (_, full, _) = summarize.logits_by_rho(paths, students)[0.1]
    assert full[0].tolist() == [1.0, 2.0, 10.0]


def test_sequence_seen_holds_only_when_the_fields_add_nothing(tmp_path):
    table = tmp_path / "receptive_fields.tsv"
    table.write_text(
        "rho\tfield_bp\tfield_offsets\tseed\tselected\tseen\tseen_ci_low\tseen_ci_high\n"
        "0.1\t1\t0..0\tall\t0.1\t0.1\t0.1\t0.1\n"  # 1-bp fields: what is selected is what is seen
        "0.2\t15\t-7..7\tall\t0.2\t0.201\t0.2\t0.202\n"  # one base more
        "0.2\t15\t-7..7\t1\t0.2\t0.201\tNA\tNA\n"
    )
    rows = {r["rho"]: r for r in criteria.sequence_seen_rows(read_table(table))}
    assert set(rows) == {0.1, 0.2}
    assert rows[0.1]["verdict"] == "holds" and rows[0.2]["verdict"] == "does not hold"
    assert rows[0.2]["threshold"] == 0.2 and rows[0.2]["measured"] == 0.201
    assert "15-bp" in rows[0.2]["evidence"] and "two-level" in rows[0.2]["evidence"]
    (missing,) = criteria.sequence_seen_rows(None)
    assert missing["verdict"] == "not tested"


def test_compute_reduction_is_judged_on_the_whole_model():
    """Whole model 1 - 95/1000 = 0.905 holds; the attention block 1 - 90/100 = 0.1 does not,
    and is reported beside it as a diagnostic without changing the judged row."""
    teacher = [
        {"metric": "flops_analytical", "value": 1000},
        {"metric": "flops_analytical_attention_block", "value": 100},
    ]
    sparse = [
        {"rho": 0.1, "metric": "flops_analytical", "value": 95},
        {"rho": 0.1, "metric": "flops_analytical_attention_block", "value": 90},
        {"rho": 0.1, "metric": "length", "value": 100},
    ]
    rows = {r["criterion"]: r for r in criteria.compute_rows([sparse], teacher, 0.9)}
    assert rows["compute_reduction"]["measured"] == pytest.approx(0.905)
    assert rows["compute_reduction"]["rho"] == 0.1
    assert (
        rows["compute_reduction"]["verdict"] == "holds" and "judged" in rows["compute_reduction"]["evidence"]
    )
    block = rows["compute_reduction_attention_block"]
    assert block["measured"] == pytest.approx(0.1) and block["verdict"] == "does not hold"
    assert "not the design's claim" in block["evidence"]
    rows = {r["criterion"]: r for r in criteria.compute_rows([sparse], teacher[:1], 0.9)}
    assert rows["compute_reduction_attention_block"]["verdict"] == "not tested"  # a joint-pipeline teacher


def test_thresholds_come_from_the_config():
    """criteria_table takes every threshold from ``phase2.criteria`` (schema defaults here)."""
    config = {"datasets": {"d": {}}, "phase2": {"criteria": {"compute_reduction": 0.99}}}
    validate(config, SCHEMA)
    teacher = [{"metric": "flops_analytical", "value": 1000}]
    sparse = [
        {"rho": 0.1, "metric": "flops_analytical", "value": 20},
        {"rho": 0.1, "metric": "length", "value": 50},
    ]
    y = np.array([0, 1])
    logits = np.array([[-1.0], [1.0]])
    table = criteria.criteria_table(
        {0.1: (y, logits, logits)}, [sparse], teacher, [], config["phase2"]["criteria"], 100
    )
    by_name = {r["criterion"]: r for r in table}
    assert (
        by_name["compute_reduction"]["threshold"] == 0.99
        and by_name["compute_reduction"]["verdict"] == "does not hold"
    )
    assert by_name["accuracy_fraction"]["threshold"] == 0.95
    assert by_name["selection_is_motifs"]["verdict"] == "not tested"
    assert (
        by_name["speedup_vs_sdpa"]["verdict"] == "not tested"
        and by_name["sequence_seen"]["verdict"] == "not tested"
    )


def _sparse_rows(lengths, profiler, os_figure):
    return [
        {"method": "sparse", "rho": 0.1, "length": n, "status": "ok", "peak_bytes": p, "peak_rss_bytes": o}
        for n, p, o in zip(lengths, profiler, os_figure, strict=True)
    ]


def test_memory_growth_is_judged_on_the_os_figure():
    config = {"speedup_vs_sdpa": [], "memory_slope": 1.1}
    lengths = [100, 1000, 10000]
    # profiler linear (slope 1), OS quadratic (slope 2): the OS verdict wins
    rows = criteria.scaling_rows([], _sparse_rows(lengths, [1e3, 1e4, 1e5], [1e3, 1e5, 1e7]), config)
    by_name = {r["criterion"]: r for r in rows}
    assert by_name["memory_growth_linear"]["measured"] == pytest.approx(2.0)
    assert by_name["memory_growth_linear"]["verdict"] == "does not hold"
    assert "OS" in by_name["memory_growth_linear"]["evidence"]
    assert "profiler's slope 1" in by_name["memory_growth_linear"]["evidence"]
    assert by_name["memory_growth_linear_profiler"]["measured"] == pytest.approx(1.0)
    assert by_name["memory_growth_linear_profiler"]["verdict"] == "holds"
    assert "diagnostic" in by_name["memory_growth_linear_profiler"]["evidence"]
    # and the other way round
    rows = criteria.scaling_rows([], _sparse_rows(lengths, [1e3, 1e5, 1e7], [1e3, 1e4, 1e5]), config)
    verdicts = {r["criterion"]: r["verdict"] for r in rows}
    assert verdicts == {"memory_growth_linear": "holds", "memory_growth_linear_profiler": "does not hold"}


def test_memory_growth_without_os_figures_uses_the_profiler_and_says_so():
    config = {"speedup_vs_sdpa": [], "memory_slope": 1.1}
    table = _sparse_rows([100, 1000], [1e3, 1e4], [float("nan")] * 2)
    table += [{"method": "sparse", "rho": 0.1, "length": 50, "status": "skipped", "peak_bytes": float("nan")}]
    main, profiler = criteria.scaling_rows([], table, config)
    assert main["criterion"] == "memory_growth_linear" and main["measured"] == pytest.approx(1.0)
    assert "no OS figures" in main["evidence"] and profiler["criterion"] == "memory_growth_linear_profiler"
