"""Estimate a config's whole-run time from the job times of an earlier (even partial) run.

Usage: ``python benchmarks/budget_estimate.py [--cores N] [--scale DATASET=F ...] --log RUN_LOG
[--log RUN_LOG ...] CONFIG [CONFIG ...]``.
Each ``RUN_LOG`` is the ``.snakemake/log/*.snakemake.log`` of a run on this machine (one
stopped part way counts what finished); the finished jobs of several logs are pooled (e.g.
a stopped whole run and a run of the job kinds it never reached). Each ``CONFIG`` is
dry-run in an empty folder (``GSA_REAL_DATA`` as for the run) and every planned job gets
the median wall time of the finished jobs of the same rule and wildcards but the seed;
failing that, the median of its rule; jobs of rules that never finished are counted apart
(the estimate is then a lower bound, and says so); the part from jobs whose own kind
finished is printed apart, since a rule's median stands in poorly for a data set it never
ran on. The estimate is the sum over jobs divided by ``--cores`` (default 2): the README's
re-sizing rule. ``--scale DATASET=F`` multiplies the measured time of every job of that
data set by ``F`` (a size cut not yet measured: training time taken as proportional to the
number of sequences). Jobs planned after a checkpoint are not in a dry run, nor in the
estimate.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(Path(__file__).parent))  # the benchmark scripts beside this one
import rule_times  # noqa: E402
import workflow_time  # noqa: E402


def job_keys(lines: list[str]) -> dict[int, tuple[str, frozenset]]:
    """``{jobid: (rule, wildcards but the seed)}`` of the job blocks of a log or a dry run."""
    keys = {}
    for jobid, block in rule_times.job_blocks(lines).items():
        wildcards = rule_times.pairs(block.get("wildcards", ""))
        wildcards.pop("seed", None)
        keys[jobid] = (block["rule"], frozenset(wildcards.items()))
    return keys


def measured(logs: Path | list[Path]) -> tuple[dict, dict]:
    """Median finished wall time per ``(rule, wildcards)`` and per rule, over the
    finished jobs of one log or of several pooled (job ids are per log)."""
    by_key, by_rule = defaultdict(list), defaultdict(list)
    for log in [logs] if isinstance(logs, Path) else logs:
        lines = log.read_text().splitlines()
        times, _ = rule_times.parse(lines)
        keys = job_keys(lines)
        for jobid, (rule, start, end) in times.items():
            by_key[keys[jobid]].append(end - start)
            by_rule[rule].append(end - start)
    return (
        {k: statistics.median(v) for k, v in by_key.items()},
        {k: statistics.median(v) for k, v in by_rule.items()},
    )


def planned(config: Path) -> list[tuple[str, frozenset]]:
    """The jobs a dry run of ``config`` plans from an empty folder."""
    with tempfile.TemporaryDirectory(prefix="gsa_plan_") as folder:
        cmd = workflow_time.snakemake_command(Path(folder), "-n", f"--configfile={config.resolve()}")
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return list(job_keys(out.stdout.splitlines()).values())


def estimate(jobs, per_key, per_rule, scale=None) -> tuple[dict, dict]:
    """Estimated seconds per rule, and the count of jobs of rules with no measured job.

    ``scale`` maps a data set to the factor its jobs' measured times are multiplied by.
    """
    seconds, missing, scale = defaultdict(float), defaultdict(int), scale or {}
    for rule, wildcards in jobs:
        factor = scale.get(dict(wildcards).get("dataset"), 1.0)
        if (rule, wildcards) in per_key:
            seconds[rule] += factor * per_key[rule, wildcards]
        elif rule in per_rule:
            seconds[rule] += factor * per_rule[rule]
        else:
            missing[rule] += 1
    return seconds, missing


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--scale", action="append", default=[], metavar="DATASET=F")
    parser.add_argument("--log", type=Path, action="append", required=True, help="a run's log (repeatable)")
    parser.add_argument("configs", type=Path, nargs="+")
    args = parser.parse_args(argv[1:])
    per_key, per_rule = measured(args.log)
    scale = {name: float(f) for name, f in (item.split("=", 1) for item in args.scale)}
    for config in args.configs:
        jobs = planned(config)
        seconds, missing = estimate(jobs, per_key, per_rule, scale)
        exact, _ = estimate(jobs, per_key, {}, scale)  # only jobs whose own kind was measured
        total = sum(seconds.values())
        bound = " (a lower bound: rules never measured)" if missing else ""
        minutes = total / args.cores / 60
        print(f"{config}: {len(jobs)} jobs, estimate {minutes:.1f} min on {args.cores} cores{bound}")
        share = sum(exact.values()) / args.cores / 60
        print(f"  of which {share:.1f} min from jobs of a kind (rule, wildcards but the seed) that finished")
        for rule, value in sorted(seconds.items(), key=lambda kv: -kv[1])[:12]:
            print(f"  {rule:30s} {value:8.0f} s summed, {exact.get(rule, 0.0):8.0f} s of kinds measured")
        if missing:
            print("  not measured: " + ", ".join(f"{r} ({n})" for r, n in sorted(missing.items())))


if __name__ == "__main__":
    main(sys.argv)
