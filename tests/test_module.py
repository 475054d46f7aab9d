"""The workflow deployed as a Snakemake module into a user's folder, and its catalog entry point."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import DATA, REPO

pytestmark = pytest.mark.slow

WORKFLOW = REPO / "workflow" / "Snakefile"
SCRIPTS = REPO / "workflow" / "scripts"


def _snakemake(*args, cwd) -> str:
    cmd = [sys.executable, "-m", "snakemake", *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def _job_counts(out: str) -> dict[str, int]:
    """Rule name -> planned jobs, from the job stats table of a dry run."""
    return {
        parts[0]: int(parts[1])
        for parts in (line.split() for line in out.splitlines())
        if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total"
    }


def _relocated(value, old: str, new: str):
    """``value`` with every string starting with ``old`` starting with ``new`` instead."""
    if isinstance(value, dict):
        return {k: _relocated(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_relocated(v, old, new) for v in value]
    if isinstance(value, str) and value.startswith(old):
        return new + value[len(old) :]
    return value


@pytest.fixture
def deployment(tmp_path):
    """A user's folder: its own Snakefile using every rule of the workflow as module ``gsa``,
    its own config (the tiny test config, data paths under its ``data/``) and data."""
    shutil.copytree(DATA, tmp_path / "data")
    config = yaml.safe_load((REPO / "tests" / "config" / "tiny.yaml").read_text())
    config = _relocated(config, "tests/data/", "data/")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (tmp_path / "Snakefile").write_text(
        'configfile: "config/config.yaml"\n\n\n'
        "module gsa:\n"
        f'    snakefile:\n        "{WORKFLOW}"\n'
        "    config:\n        config\n\n\n"
        "use rule * from gsa as gsa_*\n"
    )
    return tmp_path, config


def test_module_deployment_plans_the_whole_chain_with_the_repository_scripts(deployment, tmp_path_factory):
    folder, config = deployment
    out = _snakemake("-n", cwd=folder)
    jobs = _job_counts(out)
    n_datasets, n_models = len(config["datasets"]), len(config["phase1"]["models"])
    assert jobs["gsa_train_attention"] == n_datasets * n_models * len(config["seeds"])
    assert jobs["gsa_all"] == 1 and jobs["gsa_declare_verdicts"] == 1
    # The same jobs as the workflow run directly on the same config and data.
    direct = tmp_path_factory.mktemp("direct")
    shutil.copytree(DATA, direct / "tests" / "data")
    reference = _job_counts(
        _snakemake(
            "-n",
            "-s",
            str(WORKFLOW),
            "--configfile",
            str(REPO / "tests" / "config" / "tiny.yaml"),
            "--directory",
            str(direct),
            cwd=REPO,
        )
    )
    assert {name.removeprefix("gsa_"): n for name, n in jobs.items()} == reference
    # Every rule's code inputs are the repository's package files, none beside the user's Snakefile.
    inputs = "\n".join(line for line in out.splitlines() if line.strip().startswith("input:"))
    code = set(re.findall(r"[^\s,]+\.py\b", inputs))
    assert code and all(SCRIPTS in Path(p).parents for p in code), code
    assert str(folder) not in " ".join(code)
    assert f"{folder}/workflow" not in out


@pytest.mark.parametrize("snakefile", ["Snakefile", "workflow/Snakefile"])
def test_both_entry_points_lint_clean(snakefile):
    out = _snakemake("--lint", "-s", snakefile, cwd=REPO)
    assert "Lints for" not in out
