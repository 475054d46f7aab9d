"""Logging set-up shared by the rule scripts."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator

from gsattn.config import ConfigError
from gsattn.io import InputError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Errors that are the user's to fix (a bad input file, a bad config): shown as one line.
USER_ERRORS = (InputError, ConfigError)


def log_to_file(path: str | os.PathLike | None, level: int = logging.INFO) -> None:
    """Send a rule's output to its ``log:`` file.

    ``sys.stderr`` and file descriptor 2 are redirected to ``path``, so log
    records, warnings, tqdm progress bars, tracebacks and messages printed by
    native libraries (e.g. the torch profiler) all land in the log; warnings and
    errors are also echoed to the console (the original stderr), so a failing
    job still says why on screen.
    """
    console_stream = sys.__stderr__
    if path:
        log_file = open(path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
        try:
            sys.__stderr__.flush()
            console_stream = os.fdopen(os.dup(2), "w", buffering=1)
            os.dup2(log_file.fileno(), 2)
        except (OSError, ValueError, AttributeError):  # no real fd 2 (e.g. under pytest capture)
            console_stream = sys.__stderr__
        sys.stderr = log_file
    console = logging.StreamHandler(console_stream)
    console.setLevel(logging.WARNING)
    handlers: list[logging.Handler] = [console]
    if path:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(level=level, format=FORMAT, handlers=handlers, force=True)
    logging.captureWarnings(True)


@contextlib.contextmanager
def rule_logging(path: str | os.PathLike | None, name: str) -> Iterator[logging.Logger]:
    """Set up :func:`log_to_file` for a rule script and log any failure (then re-raise).

    An :class:`~gsattn.io.InputError` or :class:`~gsattn.config.ConfigError` is
    shown on the console as one line (file, line, what is wrong, how to fix it);
    its traceback goes to the log only. Any other exception is logged with its
    traceback on both. Use as ``with rule_logging(snakemake.log[0], "rule_name"): run(...)``.
    """
    log_to_file(path)
    logger = logging.getLogger(name)
    try:
        yield logger
    except USER_ERRORS as err:
        # One line for the console and the log; the re-raised error's traceback is
        # printed to stderr, which log_to_file points at the log.
        logger.error("%s%s", err, f" (traceback in {path})" if path else "")
        raise
    except Exception:
        logger.exception("%s failed", name)
        raise
