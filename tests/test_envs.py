"""envs/*.yaml (conda) and requirements*.txt (pip) must pin the same versions."""

import re

import pytest
import yaml

from conftest import REPO

CONDA_TO_PIP = {"pytorch": "torch"}
NOT_PINNED_IN_PIP = {"python", "pip"}


def _pip_pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.+]*)", line)
        assert match, f"{path.name}: {line!r} is not pinned with =="
        pins[match.group(1).lower()] = match.group(2)
    return pins


def _conda_pins() -> dict[str, dict[str, str]]:
    pins: dict[str, dict[str, str]] = {}
    for env in sorted((REPO / "envs").glob("*.yaml")):
        spec = yaml.safe_load(env.read_text())
        assert "nodefaults" in spec["channels"], env.name
        assert set(spec["channels"]) <= {"conda-forge", "bioconda", "nodefaults"}, env.name
        for dep in spec["dependencies"]:
            assert isinstance(dep, str), f"{env.name}: pip sections are not allowed"
            match = re.fullmatch(r"([a-z0-9_\-]+) =(\d+\.\d+)", dep)
            assert match, f"{env.name}: {dep!r} is not pinned as 'name =MAJOR.MINOR'"
            name = CONDA_TO_PIP.get(match.group(1), match.group(1))
            pins.setdefault(name, {})[env.name] = match.group(2)
    return pins


def test_every_env_pins_python():
    for env in (REPO / "envs").glob("*.yaml"):
        deps = yaml.safe_load(env.read_text())["dependencies"]
        assert any(d.startswith("python =") for d in deps), env.name


def test_every_env_pins_the_same_python_above_the_floor():
    """One Python for every env, above 3.11, the floor numpy 2.4 and Snakemake 9 require today
    (an env at the floor breaks the day a dependency drops it)."""
    python = {minor for envs in [_conda_pins()["python"]] for minor in envs.values()}
    assert len(python) == 1
    assert tuple(int(x) for x in python.pop().split(".")) >= (3, 12)


def test_conda_and_pip_pins_agree_both_ways():
    pip = _pip_pins(REPO / "requirements.txt")
    # the runner's env (envs/snakemake.yaml) may pin dev-only tools (the SLURM executor)
    dev = _pip_pins(REPO / "requirements-dev.txt")
    conda = _conda_pins()
    assert len({v for n, e in conda.items() if n == "python" for v in e.values()}) == 1
    for name, envs in conda.items():
        if name in NOT_PINNED_IN_PIP:
            continue
        pins = pip if name in pip else dev
        assert name in pins, f"{name} is pinned in {sorted(envs)} but not in requirements*.txt"
        for env, minor in envs.items():
            assert ".".join(pins[name].split(".")[:2]) == minor, (
                f"{name}: {env} has {minor}, pip has {pins[name]}"
            )
    for name in pip:
        assert name in conda, f"{name} is pinned in requirements.txt but in no envs/*.yaml"


def test_constraints_pin_the_cpu_torch():
    assert _pip_pins(REPO / "constraints.txt") == {"torch": "2.13.0"}
    assert _pip_pins(REPO / "requirements.txt")["torch"] == "2.13.0"
    dev = _pip_pins(REPO / "requirements-dev.txt")
    assert {"pytest", "snakefmt", "ruff", "snakemake-executor-plugin-slurm"} <= set(dev)


@pytest.mark.parametrize("smk", sorted((REPO / "workflow" / "rules").glob("*.smk")), ids=lambda p: p.name)
def test_every_conda_directive_names_an_existing_env(smk):
    for rel in re.findall(r'conda:\s*\n\s*"([^"]+)"', smk.read_text()):
        assert (smk.parent / rel).resolve().is_file(), rel
