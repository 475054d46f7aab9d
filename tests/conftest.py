"""Shared fixtures: paths and small helpers for the test suite."""

import re
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
RULES = REPO / "workflow" / "rules"


@pytest.fixture(scope="session")
def script_rules(tmp_path_factory) -> list:
    """Every Snakemake rule with a ``script:`` (``use rule`` copies included), from Snakemake
    itself: the workflow parsed with the tiny config in a fresh working directory."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings, StorageSettings

    workdir = tmp_path_factory.mktemp("parsed")
    (workdir / "tests").mkdir()
    (workdir / "tests" / "data").symlink_to(DATA)
    with SnakemakeApi(OutputSettings(quiet=True)) as api:
        workflow = api.workflow(
            resource_settings=ResourceSettings(),
            config_settings=ConfigSettings(configfiles=[REPO / "tests/config/tiny.yaml"]),
            storage_settings=StorageSettings(),
            snakefile=REPO / "Snakefile",
            workdir=workdir,
        )
        return [rule for rule in workflow._workflow.rules if rule.script]


def rule_blocks() -> dict[str, str]:
    """Rule name -> its text, for every plain ``rule`` or ``checkpoint`` of ``workflow/rules/*.smk``.

    ``use rule`` blocks are skipped: they inherit threads, resources, script and env.
    """
    found = {}
    for smk in sorted(RULES.glob("*.smk")):
        blocks = re.split(r"\n(?=rule |use rule |checkpoint |def |[A-Z_]+ = |#)", smk.read_text())
        for block in blocks:
            if m := re.match(r"(?:rule|checkpoint) (\w+):\n", block):
                found[m.group(1)] = block
    return found


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def write(tmp_path):
    """Write text to a file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return _write


def deterministic_motif(consensus: str, role: str = "predictive", matrix_id: str = "XX0001.1"):
    """A Motif whose PWM emits exactly ``consensus`` (for exact planting tests)."""
    from gsattn.motifs import Motif
    from gsattn.seq import encode

    probs = np.zeros((4, len(consensus)))
    probs[encode(consensus), np.arange(len(consensus))] = 1.0
    return Motif(matrix_id, consensus, probs, "test", role)


@pytest.fixture(autouse=True)
def _restore_stderr_and_logging():
    """Rule scripts' main() redirects stderr and configures logging: undo it after each test."""
    import logging
    import sys

    stderr, handlers = sys.stderr, list(logging.getLogger().handlers)
    yield
    if sys.stderr is not stderr:
        sys.stderr.close()
        sys.stderr = stderr
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)


# Null data of the calibration tests (test_selection, test_recovery): sites only, no sequence.
L_SIM, SITE_WIDTH = 100, 12


def plant_sites(rng, lengths, mode):
    """One or two 12-bp sites per sequence, ``uniform`` or ``centred`` (sd 20 bp) as in gsattn.simulate
    (overlaps allowed); ``(N, L)`` positives."""
    pos = np.arange(L_SIM)[None, :]
    positive = np.zeros((lengths.size, L_SIM), dtype=bool)
    n_sites = rng.integers(1, 3, size=lengths.size)
    for site in range(2):
        if mode == "uniform":
            start = rng.integers(0, lengths - SITE_WIDTH + 1)
        else:
            centre = lengths / 2 + rng.normal(0.0, 20.0, lengths.size) - SITE_WIDTH / 2
            start = np.clip(np.rint(centre), 0, lengths - SITE_WIDTH).astype(int)
        block = (pos >= start[:, None]) & (pos < start[:, None] + SITE_WIDTH)
        positive |= block & (site < n_sites)[:, None]
    return positive


def accuracy_row(rows, test):
    """The accuracy row of ``test`` over all seeds among comparison rows."""
    return next(r for r in rows if r["metric"] == "accuracy" and r["test"] == test and r["seed"] == "all")
