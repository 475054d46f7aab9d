"""The cluster profile (profiles/slurm) against a real one-node SLURM on 127.0.0.1.

The fixture writes a slurm.conf (proctrack/linuxproc, task/none, select/cons_tres,
no accounting, a job-completion log), starts munged with a fresh key, slurmctld and
slurmd, each by its PID, and stops them by PID afterwards. Without slurmdbd ``sacct``
has nothing to say, so the test profile adds ``slurm-status-command: squeue`` and
``slurm-no-account: true`` to the shipped one (partition replaced, GPU asks removed).
Skipped without the Debian packages (slurm-wlm, munge; ``.ci/run`` installs them) or
without root. Targets: the tiny config's data of ``tiny_any`` and its Phase 1
``design`` model (the whole tiny run under SLURM takes too long on two cores).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import DATA, REPO

pytestmark = pytest.mark.slow

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue")
TARGETS = [
    "results/data/tiny_any/encoded.npz",
    "results/phase1/tiny_any/design/seed1/test_metrics.tsv",
]
COMPARED = ["results/data/tiny_any/sequences.fa", "results/data/tiny_any/labels.tsv", *TARGETS]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024 * 9 // 10
    raise RuntimeError("no MemTotal in /proc/meminfo")


def slurm_conf(folder: Path, socket_path: Path) -> str:
    """A one-node, one-partition slurm.conf whose state, logs and ports live under ``folder``."""
    return f"""ClusterName=gsatest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={socket_path}
CredType=cred/munge
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={folder}/jobcomp.txt
MinJobAge=3600
ReturnToService=2
NodeName=gsanode NodeAddr=127.0.0.1 CPUs=2 RealMemory={_memory_mb()} State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A running munged + slurmctld + slurmd; yields the environment that reaches them."""
    missing = [d for d in DAEMONS if not shutil.which(d, path=os.environ["PATH"] + ":/usr/sbin")]
    if missing:
        pytest.skip(f"SLURM test needs {', '.join(missing)} (apt-get install slurm-wlm munge)")
    if os.geteuid() != 0:
        pytest.skip("SLURM test starts slurmd, which needs root")
    folder = tmp_path_factory.mktemp("slurm")
    for sub in ("state", "spool", "munge"):
        (folder / sub).mkdir()
    key, sock = folder / "munge" / "munge.key", folder / "munge" / "munge.socket"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    (folder / "slurm.conf").write_text(slurm_conf(folder, sock))
    env = os.environ | {"SLURM_CONF": str(folder / "slurm.conf")}
    # The jobstep plugin drops every SLURM_* variable but the job's identity before its
    # nested srun, SLURM_CONF too; a wrapper first on PATH (which the job keeps) brings the
    # test's slurm.conf back, as /etc/slurm/slurm.conf would on a real cluster.
    wrappers = folder / "bin"
    wrappers.mkdir()
    real_srun = shutil.which("srun") or "/usr/bin/srun"
    (wrappers / "srun").write_text(f'#!/bin/sh\nSLURM_CONF={folder / "slurm.conf"} exec {real_srun} "$@"\n')
    (wrappers / "srun").chmod(0o755)
    env["PATH"] = f"{wrappers}:{env['PATH']}"
    sbin = "/usr/sbin"
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    f"{sbin}/munged",
                    "-F",
                    "--force",
                    "--key-file",
                    str(key),
                    "--socket",
                    str(sock),
                    "--pid-file",
                    str(folder / "munge/munged.pid"),
                    "--log-file",
                    str(folder / "munge/munged.log"),
                    "--seed-file",
                    str(folder / "munge/munged.seed"),
                ],
            )
        )
        time.sleep(1)
        procs.append(subprocess.Popen([f"{sbin}/slurmctld", "-D", "-i"], env=env))
        time.sleep(2)
        procs.append(subprocess.Popen([f"{sbin}/slurmd", "-D", "-N", "gsanode"], env=env))
        for _ in range(60):
            out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True)
            if out.stdout.strip() in ("idle", "mixed", "allocated"):
                break
            time.sleep(1)
        else:
            logs = "".join(
                (folder / f).read_text() for f in ("slurmctld.log", "slurmd.log") if (folder / f).exists()
            )
            pytest.fail(f"the one-node SLURM did not come up: sinfo says {out.stdout!r}\n{logs[-3000:]}")
        yield env | {"GSA_SLURM_FOLDER": str(folder)}
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _write_profile(tmp_path: Path) -> Path:
    """The shipped profile with this cluster's partition, no account, squeue for job states, no GPU."""
    profile = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    profile["default-resources"] = {"slurm_partition": "test", "runtime": 10, "mem_mb": 1000}
    profile.pop("set-resources")
    profile |= {
        "slurm-status-command": "squeue",
        "slurm-no-account": True,
        "slurm-init-seconds-before-status-checks": 1,
        "slurm-logdir": str(tmp_path / "slurm_logs"),
        "slurm-keep-successful-logs": True,
        "retries": 0,
        "jobs": 2,
    }
    folder = tmp_path / "profile"
    folder.mkdir()
    (folder / "config.yaml").write_text(yaml.safe_dump(profile))
    return folder


def _snakemake(workdir: Path, *args, env=None) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        *args,
    ]
    return subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=1800)


def _workdir(path: Path) -> Path:
    shutil.copytree(DATA, path / "tests" / "data")
    return path


def _squeue(env) -> list[list[str]]:
    out = subprocess.run(
        ["squeue", "--states=all", "-h", "-o", "%i|%T|%k"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split("|") for line in out.stdout.splitlines()]


def test_tiny_targets_run_as_slurm_jobs_with_the_local_outputs(slurm, tmp_path):
    profile = _write_profile(tmp_path)
    config = (f"--configfile={REPO / 'tests/config/tiny.yaml'}",)  # = : the option takes many values
    local = _workdir(tmp_path / "local")
    result = _snakemake(local, "--cores", "2", *config, *TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    cluster = _workdir(tmp_path / "cluster")
    before = {row[0] for row in _squeue(slurm)}
    result = _snakemake(cluster, "--profile", str(profile), *config, *TARGETS, env=slurm)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    jobs = [row for row in _squeue(slurm) if row[0] not in before]
    rules = {row[2].split("_wildcards")[0].removeprefix("rule_") for row in jobs}
    assert {"plant_motifs", "encode_dataset", "train_attention"} <= rules, jobs
    assert all(row[1] == "COMPLETED" for row in jobs), jobs
    completed = (Path(slurm["GSA_SLURM_FOLDER"]) / "jobcomp.txt").read_text()
    assert all(f"JobId={row[0]} " in completed for row in jobs)
    for rel in COMPARED:
        assert (cluster / rel).read_bytes() == (local / rel).read_bytes(), rel


def test_a_failing_rule_is_reported_failed(slurm, tmp_path):
    profile = _write_profile(tmp_path)
    work = tmp_path / "bad"
    work.mkdir()
    (work / "bad.fa").write_text(">a\nACGT\n>b\nACGTW\n")
    (work / "labels.tsv").write_text("id\tlabel\na\t1\nb\t0\n")
    config = {
        "datasets": {"mine": {"type": "fasta", "fasta": "bad.fa", "labels": "labels.tsv", "length": 20}}
    }
    (work / "c.yaml").write_text(yaml.safe_dump(config))
    before = {row[0] for row in _squeue(slurm)}
    result = _snakemake(
        work,
        "--profile",
        str(profile),
        f"--configfile={work / 'c.yaml'}",
        "results/data/mine/sequences.fa",
        env=slurm,
    )
    assert result.returncode != 0
    assert "Error in rule import_fasta" in result.stdout + result.stderr
    jobs = [row for row in _squeue(slurm) if row[0] not in before]
    assert jobs and all(row[1] == "FAILED" for row in jobs), jobs
    assert not (work / "results/data/mine/sequences.fa").exists()
