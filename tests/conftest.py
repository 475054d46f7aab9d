"""Shared fixtures: paths and small helpers for the test suite."""

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


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
