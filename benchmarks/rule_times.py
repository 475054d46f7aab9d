"""Per-rule time breakdown of one Snakemake run, from its log.

Usage: ``python benchmarks/rule_times.py [LOG [BENCHMARKS]]`` (default: the newest
``.snakemake/log/*.snakemake.log`` and ``results/benchmarks``). Prints, per rule, the
number of jobs, the summed and median job wall time, the summed CPU time (user +
system, from the rules' ``benchmark:`` files, where a rule has them) and the run's total
wall time. Jobs overlap (``--cores 2`` runs two side by side), so the sums add up to
more than the wall time; the CPU time does not grow when other work shares the machine,
the wall time does.
"""

from __future__ import annotations

import re
import statistics
import sys
from datetime import datetime
from pathlib import Path

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
START = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
JOBID = re.compile(r"^\s+jobid: (\d+)$")
FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$")
FIELD = re.compile(r"^\s+(\w+): (.*)$")


def job_blocks(lines: list[str]) -> dict[int, dict[str, str]]:
    """``{jobid: {"rule": rule, field: text, ...}}``: the indented ``field: text`` lines of
    each job block (``rule x:`` up to the first line that is neither) of a Snakemake log or
    dry run, e.g. ``wildcards``, ``threads``, ``resources``, as Snakemake wrote them."""
    blocks, current = {}, None
    for line in lines:
        if m := START.match(line):
            current = {"rule": m.group(1)}
        elif current is not None and (m := FIELD.match(line)):
            current[m.group(1)] = m.group(2)
            if m.group(1) == "jobid":
                blocks[int(m.group(2))] = current
        else:
            current = None
    return blocks


def pairs(text: str) -> dict[str, str]:
    """``a=1, b=x`` (a ``wildcards`` or ``resources`` field) as ``{"a": "1", "b": "x"}``."""
    return dict(item.split("=", 1) for item in text.split(", ") if "=" in item)


def parse(lines: list[str]) -> tuple[dict[int, tuple[str, float, float]], float]:
    """``{jobid: (rule, start, end)}`` in seconds since the first stamp, and the total span."""
    now, first, pending, starts, jobs = None, None, None, {}, {}
    for line in lines:
        if m := STAMP.match(line):
            now = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y").timestamp()
            first = now if first is None else first
        elif m := START.match(line):
            pending = m.group(1)
        elif (m := JOBID.match(line)) and pending:
            starts[int(m.group(1))] = (pending, now)
            pending = None
        elif m := FINISHED.match(line):
            rule, start = starts[int(m.group(1))]
            jobs[int(m.group(1))] = (rule, start - first, now - first)
    return jobs, (now - first) if first is not None else 0.0


def cpu_seconds(folder: Path) -> dict[str, float]:
    """Summed ``cpu_time`` (s) per rule of the benchmark files under ``folder``
    (``<folder>/<rule>/.../*.tsv``; every row, so a ``repeat(...)`` benchmark counts each run)."""
    sums: dict[str, float] = {}
    for path in sorted(folder.glob("*/**/*.tsv")):
        header, *rows = (line.split("\t") for line in path.read_text().splitlines())
        rule = path.relative_to(folder).parts[0]
        column = header.index("cpu_time")
        sums[rule] = sums.get(rule, 0.0) + sum(float(row[column]) for row in rows)
    return sums


def main(argv: list[str]) -> None:
    path = Path(argv[1]) if len(argv) > 1 else max(Path(".snakemake/log").glob("*.snakemake.log"))
    bench = Path(argv[2]) if len(argv) > 2 else Path("results/benchmarks")
    jobs, span = parse(path.read_text().splitlines())
    cpu = cpu_seconds(bench) if bench.is_dir() else {}
    by_rule: dict[str, list[float]] = {}
    for rule, start, end in jobs.values():
        by_rule.setdefault(rule, []).append(end - start)
    print(
        f"{path}: {len(jobs)} jobs, wall time {span / 60:.1f} min, "
        f"CPU time of the benchmarked rules {sum(cpu.values()) / 60:.1f} min"
    )
    print(f"{'rule':32s} {'jobs':>5s} {'sum s':>8s} {'median s':>9s} {'CPU s':>8s}")
    for rule, times in sorted(by_rule.items(), key=lambda kv: -sum(kv[1])):
        cpu_text = f"{cpu[rule]:8.0f}" if rule in cpu else f"{'-':>8s}"
        print(f"{rule:32s} {len(times):5d} {sum(times):8.0f} {statistics.median(times):9.1f} {cpu_text}")


if __name__ == "__main__":
    main(sys.argv)
