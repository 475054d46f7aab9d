"""Does the workflow use a GPU where there is one: the tiny config with ``device: auto``.

Usage: ``python benchmarks/gpu_check.py [--cores N] [--keep DIR] [--configfile FILE]
[TARGET ...]`` (FILE defaults to ``tests/config/tiny.yaml``; no TARGET: the whole workflow;
run on a machine with a CUDA GPU). Runs ``snakemake --cores N --resources gpu=1 --config
device=auto`` from an empty folder holding a copy of tests/data, as a one-GPU workstation
would, and prints:

* what the machine offers: torch and its CUDA build, the GPU torch sees, and what
  ``gsattn.hardware`` finds when the workflow is parsed (``visible_gpus``, ``gpu_request``);
* the run's wall time and jobs;
* the devices the trainings recorded (every ``device`` key of a JSON file under
  ``results/``: the ``hparams.json`` of each model and the long-sequence ``info``);
* from the Snakemake log, the jobs that asked for ``gpu=1``, the most of them that ran at
  once (``--resources gpu=1`` must keep it at 1) and the most jobs of any kind at once (CPU
  jobs beside the GPU job);
* the per-rule table of ``rule_times.py``.

Exits 1 when torch sees a GPU and a training recorded another device, no job asked for the
GPU, or two GPU jobs overlapped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(Path(__file__).parent))  # the benchmark scripts beside this one
import rule_times  # noqa: E402
import workflow_time  # noqa: E402


def machine() -> dict:
    """torch, its CUDA build and the GPU it sees; what the workflow's parse-time check finds."""
    import torch

    sys.path.insert(0, str(REPO / "workflow" / "scripts"))
    from gsattn.hardware import gpu_request, visible_gpus

    cuda = torch.cuda.is_available()
    return {
        "torch": torch.__version__,
        "cuda_build": torch.version.cuda,
        "cuda_available": cuda,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "visible_gpus": visible_gpus(),
        "gpu_request_auto": gpu_request("auto"),
        "cpus": os.cpu_count(),
    }


def jobs_with_resources(lines: list[str]) -> dict[int, dict]:
    """``{jobid: {rule, start, end, gpu}}`` from a Snakemake log (seconds since its first stamp)."""
    jobs, _ = rule_times.parse(lines)
    blocks = rule_times.job_blocks(lines)
    return {
        j: {
            "rule": r,
            "start": s,
            "end": e,
            "gpu": int(rule_times.pairs(blocks[j].get("resources", "")).get("gpu", 0)),
        }
        for j, (r, s, e) in jobs.items()
    }


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """Largest number of ``(start, end)`` spans open at one time; a span ending when another
    starts does not overlap it (the log's stamps have one-second resolution)."""
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
    now = best = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def recorded_devices(results: Path) -> Counter:
    """How often each ``device`` value occurs as a top-level key of the JSON files under ``results``."""
    found = Counter()
    for path in sorted(results.rglob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and "device" in data:
            found[str(data["device"])] += 1
    return found


def check(info: dict, devices: Counter, jobs: dict[int, dict]) -> list[str]:
    """What failed (empty when the run used the GPU as it should)."""
    problems = []
    gpu_jobs = [(j["start"], j["end"]) for j in jobs.values() if j["gpu"]]
    if info["cuda_available"]:
        elsewhere = {d: n for d, n in devices.items() if not d.startswith("cuda")}
        if elsewhere:
            problems.append(f"torch sees a GPU but trainings recorded {elsewhere}")
        if not gpu_jobs:
            problems.append("torch sees a GPU but no job asked for gpu=1 (gsattn.hardware found none)")
    if most_at_once(gpu_jobs) > 1:
        problems.append(f"{most_at_once(gpu_jobs)} GPU jobs ran at once under --resources gpu=1")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="Snakemake's --cores")
    parser.add_argument("--keep", type=Path, help="run in this new folder and keep it")
    parser.add_argument("--configfile", type=Path, default=REPO / "tests/config/tiny.yaml")
    parser.add_argument("targets", nargs="*", help="Snakemake targets (default: everything)")
    args = parser.parse_args(argv[1:])
    info = machine()
    print("machine:", json.dumps(info))
    workdir = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="gsa_gpu_"))
    workdir.mkdir(parents=True, exist_ok=bool(not args.keep))
    shutil.copytree(REPO / "tests" / "data", workdir / "tests" / "data")
    cmd = workflow_time.snakemake_command(workdir, "--cores", str(args.cores), "--resources=gpu=1")
    cmd += [f"--configfile={args.configfile.resolve()}", "--config=device=auto", *args.targets]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        print(done.stderr[-6000:])
        print(f"snakemake failed (exit {done.returncode}) after {wall:.0f} s; log in {workdir}")
        return 1
    log = max((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    jobs = jobs_with_resources(log.read_text().splitlines())
    devices = recorded_devices(workdir / "results")
    gpu_jobs = [j for j in jobs.values() if j["gpu"]]
    busy = sum(j["end"] - j["start"] for j in jobs.values())
    print(
        f"{len(jobs)} jobs, wall {wall:.0f} s at --cores {args.cores} --resources gpu=1, "
        f"summed job time {busy:.0f} s"
    )
    print(f"devices recorded by the trainings: {dict(devices)}")
    print(
        f"jobs asking for gpu=1: {len(gpu_jobs)} ({dict(Counter(j['rule'] for j in gpu_jobs))}); "
        f"most GPU jobs at once {most_at_once([(j['start'], j['end']) for j in gpu_jobs])}, "
        f"most jobs at once {most_at_once([(j['start'], j['end']) for j in jobs.values()])}"
    )
    rule_times.main(["rule_times", str(log), str(workdir / "results" / "benchmarks")])
    problems = check(info, devices, jobs)
    for problem in problems:
        print("FAILED:", problem)
    print("GPU check:", "failed" if problems else "passed")
    if not args.keep:
        shutil.rmtree(workdir)
    return int(bool(problems))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
