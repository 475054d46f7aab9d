"""benchmarks/rule_times.py: per-rule CPU time summed from benchmark files."""

import importlib.util

from conftest import REPO

spec = importlib.util.spec_from_file_location("rule_times", REPO / "benchmarks" / "rule_times.py")
rule_times = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rule_times)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def test_cpu_seconds_sums_every_row_of_every_file_per_rule(tmp_path):
    (tmp_path / "train_a" / "ds" / "m").mkdir(parents=True)
    (tmp_path / "train_a" / "ds" / "m" / "seed1.tsv").write_text(
        HEADER + "10\t0:00:10\t1\t1\t1\t1\t0\t0\t50\t5.5\n"
    )
    # a benchmark with repeat(..., 2): one row per run, both count
    (tmp_path / "train_a" / "ds" / "m" / "seed2.tsv").write_text(
        HEADER + "9\t0:00:09\t1\t1\t1\t1\t0\t0\t50\t4.0\n" + "8\t0:00:08\t1\t1\t1\t1\t0\t0\t50\t2.5\n"
    )
    (tmp_path / "fit_b").mkdir()
    (tmp_path / "fit_b" / "ds.tsv").write_text(HEADER + "1\t0:00:01\t1\t1\t1\t1\t0\t0\t90\t0.9\n")
    assert rule_times.cpu_seconds(tmp_path) == {"train_a": 12.0, "fit_b": 0.9}


def test_parse_pairs_each_job_with_its_start_and_finish():
    log = [
        "[Tue Dec  1 18:00:00 2026]",
        "rule train_a:",
        "    jobid: 3",
        "[Tue Dec  1 18:00:30 2026]",
        "Finished jobid: 3 (Rule: train_a)",
    ]
    jobs, span = rule_times.parse(log)
    assert jobs == {3: ("train_a", 0.0, 30.0)} and span == 30.0


def test_job_blocks_keep_each_jobs_fields_and_end_at_the_first_other_line():
    lines = [
        "localrule train:",
        "    input: a.npz",
        "    jobid: 7",
        "    wildcards: dataset=a, seed=2",
        "    resources: tmpdir=/tmp, gpu=1, mem_mb=4000",
        "Select jobs to execute...",
        "    wildcards: dataset=stray",  # outside any block: ignored
        "rule plot:",
        "    jobid: 8",
    ]
    blocks = rule_times.job_blocks(lines)
    assert blocks == {
        7: {
            "rule": "train",
            "input": "a.npz",
            "jobid": "7",
            "wildcards": "dataset=a, seed=2",
            "resources": "tmpdir=/tmp, gpu=1, mem_mb=4000",
        },
        8: {"rule": "plot", "jobid": "8"},
    }
    assert rule_times.pairs(blocks[7]["resources"]) == {"tmpdir": "/tmp", "gpu": "1", "mem_mb": "4000"}
    assert rule_times.pairs("") == {}


_budget = importlib.util.spec_from_file_location(
    "budget_estimate", REPO / "benchmarks" / "budget_estimate.py"
)
budget = importlib.util.module_from_spec(_budget)
_budget.loader.exec_module(budget)


def _block(rule, jobid, wildcards):
    return [f"rule {rule}:", f"    jobid: {jobid}", f"    wildcards: {wildcards}"]


def test_estimate_matches_wildcards_but_the_seed_then_the_rule(tmp_path):
    log = ["[Tue Dec  1 18:00:00 2026]", *_block("train", 1, "dataset=a, seed=1")]
    log += ["[Tue Dec  1 18:00:10 2026]", *_block("train", 2, "dataset=b, seed=1")]
    log += ["[Tue Dec  1 18:01:00 2026]", "Finished jobid: 1 (Rule: train)"]  # a, seed 1: 60 s
    log += ["[Tue Dec  1 18:01:10 2026]", "Finished jobid: 2 (Rule: train)"]  # b, seed 1: 60 s
    log += [*_block("train", 3, "dataset=b, seed=2")]
    log += ["[Tue Dec  1 18:02:30 2026]", "Finished jobid: 3 (Rule: train)"]  # b, seed 2: 80 s
    log += [*_block("plot", 4, "dataset=a")]  # started, never finished: not measured
    (tmp_path / "run.log").write_text("\n".join(log) + "\n")
    per_key, per_rule = budget.measured(tmp_path / "run.log")
    a, b, c = (frozenset({("dataset", x)}) for x in "abc")
    assert per_key == {("train", a): 60.0, ("train", b): 70.0} and per_rule == {"train": 60.0}
    plan = [("train", a), ("train", b), ("train", c), ("plot", a)]  # c: unseen, the rule's median
    seconds, missing = budget.estimate(plan, per_key, per_rule)
    assert seconds == {"train": 190.0} and missing == {"plot": 1}
    seconds, _ = budget.estimate(plan, per_key, per_rule, {"b": 0.5})  # b's job at half its time
    assert seconds == {"train": 155.0}


def test_estimate_pools_the_finished_jobs_of_several_logs(tmp_path):
    # Two runs reuse job ids: each log's ids are its own, and the times are pooled.
    first = ["[Tue Dec  1 18:00:00 2026]", *_block("train", 1, "dataset=a, seed=1")]
    first += ["[Tue Dec  1 18:01:00 2026]", "Finished jobid: 1 (Rule: train)"]  # a: 60 s
    second = ["[Tue Dec  1 19:00:00 2026]", *_block("train", 1, "dataset=b, seed=1")]
    second += ["[Tue Dec  1 19:02:00 2026]", "Finished jobid: 1 (Rule: train)"]  # b: 120 s
    second += ["[Tue Dec  1 19:02:00 2026]", *_block("train", 2, "dataset=a, seed=2")]
    second += ["[Tue Dec  1 19:03:20 2026]", "Finished jobid: 2 (Rule: train)"]  # a: 80 s
    (tmp_path / "one.log").write_text("\n".join(first) + "\n")
    (tmp_path / "two.log").write_text("\n".join(second) + "\n")
    per_key, per_rule = budget.measured([tmp_path / "one.log", tmp_path / "two.log"])
    a, b = (frozenset({("dataset", x)}) for x in "ab")
    assert per_key == {("train", a): 70.0, ("train", b): 120.0} and per_rule == {"train": 80.0}
    alone, _ = budget.measured(tmp_path / "one.log")  # one log: only its own jobs
    assert alone == {("train", a): 60.0}
