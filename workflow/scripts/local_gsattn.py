"""Make a rule script import the checkout's ``gsattn``, not an installed copy.

Snakemake runs a ``script:`` with the script's folder *appended* to
``sys.path``, so a ``gsattn`` installed in the environment (``pip install .``
puts one in site-packages) or found on ``PYTHONPATH`` would be imported
instead of the package beside the scripts, and the rules' ``code`` inputs
would name code that does not run. Every rule script imports this module
before anything else (``import local_gsattn  # noqa: F401``): it moves this
folder to the front of ``sys.path`` and forgets any ``gsattn`` module already
imported from elsewhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent


def _is_scripts(entry: str) -> bool:
    try:
        return Path(entry or os.curdir).resolve() == SCRIPTS
    except OSError:
        return False


def use_checkout() -> None:
    """Put this folder first on ``sys.path``; drop ``gsattn`` modules loaded from elsewhere."""
    sys.path[:] = [str(SCRIPTS), *(p for p in sys.path if not _is_scripts(p))]
    for name in [m for m in sys.modules if m == "gsattn" or m.startswith("gsattn.")]:
        origin = getattr(sys.modules[name], "__file__", None)
        if origin is None or not Path(origin).resolve().is_relative_to(SCRIPTS):
            del sys.modules[name]


use_checkout()
