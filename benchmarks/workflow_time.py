"""Where a whole run's time goes: ``snakemake --cores 2`` from an empty results folder.

Usage: ``python benchmarks/workflow_time.py [--keep DIR] [--cores N] CONFIG [TARGET ...]`` (e.g.
``tests/config/tiny.yaml``, run in a temporary folder holding a copy of tests/data;
``config/config.yaml`` for the default study, with ``GSA_REAL_DATA`` naming the offline
mirror of the real data sets). ``--keep DIR`` runs in DIR (which must not exist) and keeps it,
so that the run's results can be read afterwards; ``--cores`` (default 2, the machine's
cores) is passed to Snakemake, so ``--cores 8`` on 2 cores shows whether eight jobs side by
side oversubscribe the threads. Prints the dry run's planning time
(Snakemake's own parse-and-plan cost, paid by every call), the run's wall time, the
per-rule table of ``rule_times.py`` (job wall time from the log, CPU time from the
``benchmark:`` files of the rules that have them) and the overhead: wall time minus
the summed job time divided by the cores (time no job was running), and the CPU time
of the whole process tree over the wall time (how many cores were busy on average: above
the ``--cores`` given means threads were oversubscribed). When the workflow
has a ``render_report`` rule, the report-only regeneration (``--forcerun
render_report``) is timed as well.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))  # the benchmark scripts beside this one
import rule_times  # noqa: E402


def snakemake_command(workdir: Path, *args: str) -> list[str]:
    """``python -m snakemake`` on this checkout's Snakefile in ``workdir``, then ``args``
    (give an option that takes many values as ``--option=value``, or put targets first)."""
    snakefile = str(REPO / "Snakefile")
    return [sys.executable, "-m", "snakemake", "-s", snakefile, "--directory", str(workdir), *args]


def snakemake(workdir: Path, *args: str) -> float:
    """Seconds one Snakemake call takes (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(snakemake_command(workdir, *args), cwd=workdir, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def has_rule(workdir: Path, config: list[str], name: str) -> bool:
    cmd = snakemake_command(workdir, *config, "--list-rules")
    out = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    return name in out.stdout.split()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="run in this new folder and keep it")
    parser.add_argument("--cores", type=int, default=2, help="Snakemake's --cores (default 2)")
    parser.add_argument("configfile", type=Path)
    parser.add_argument("targets", nargs="*")
    args = parser.parse_args(argv[1:])
    config = [f"--configfile={args.configfile.resolve()}"]  # "=": the option takes many values
    targets, cores = args.targets, args.cores
    if args.keep:
        args.keep.mkdir(parents=True)
        workdir = args.keep.resolve()
    else:
        workdir = Path(tempfile.mkdtemp(prefix="gsa_time_"))
    shutil.copytree(REPO / "tests" / "data", workdir / "tests" / "data")
    plan = snakemake(workdir, "-n", "--quiet", *config, *targets)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = snakemake(workdir, "--cores", str(cores), *config, *targets)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    log = max((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    jobs, _ = rule_times.parse(log.read_text().splitlines())
    busy = sum(end - start for _, start, end in jobs.values())
    print(f"config {args.configfile}: {len(jobs)} jobs, wall {wall:.0f} s, dry-run planning {plan:.1f} s")
    print(f"summed job time {busy:.0f} s; time with no job running ~ {wall - busy / cores:.0f} s (overhead)")
    print(
        f"CPU time of the whole run (Snakemake and every job) {cpu:.0f} s = {cpu / wall:.2f} cores "
        f"busy on average of the {cores} given (above {cores}: threads oversubscribed)"
    )
    rule_times.main(["rule_times", str(log), str(workdir / "results" / "benchmarks")])
    if has_rule(workdir, config, "render_report"):
        report = snakemake(
            workdir, "--cores", str(cores), *config, "render_report", "--forcerun", "render_report"
        )
        print(f"report-only regeneration (render_report): {report:.0f} s")
    else:
        print("no render_report rule: report-only regeneration not timed")
    if not args.keep:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main(sys.argv)
