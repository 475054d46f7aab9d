"""Logging set-up shared by the rule scripts."""

from __future__ import annotations

import logging
import os
import sys


def log_to_file(path: str | os.PathLike | None, level: int = logging.INFO) -> None:
    """Send ``logging`` records and warnings to ``path`` (Snakemake's ``log:``) and
    stderr; also the destination of tqdm progress bars (stderr)."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if path:
        handlers.append(logging.FileHandler(path, mode="w"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logging.captureWarnings(True)
