"""Make a rule script import the checkout's ``gsattn``, not an installed copy.

Snakemake runs a ``script:`` with the script's folder *appended* to
``sys.path``, so a ``gsattn`` installed in the environment (``pip install .``
puts one in site-packages) or found on ``PYTHONPATH`` would be imported
instead of the package beside the scripts, and the rules' ``code`` inputs
would name code that does not run. Every rule script imports this module
before anything else (``import local_gsattn  # noqa: F401``): it moves this
folder to the front of ``sys.path`` and forgets any ``gsattn`` module already
imported from elsewhere.

:func:`package_modules` lists the package files a script imports, directly or
through other modules (an AST walk, nothing is imported): ``common.smk`` makes
them each rule's ``code`` input, because Snakemake does not track imports.
"""

from __future__ import annotations

import ast
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


PACKAGE = "gsattn"


def _imported_modules(path: Path, package: Path) -> set[str]:
    """Names of the ``gsattn`` modules ``path`` imports, absolute or relative, at any depth of its body."""
    in_package = path.parent == package
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                if not in_package or node.level > 1:
                    continue
                base = f"{PACKAGE}.{base}" if base else PACKAGE
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in targets:
            parts = name.split(".")
            if parts[0] == PACKAGE:
                names.add(parts[1] if len(parts) > 1 else "__init__")
    return {n for n in names if (package / f"{n}.py").is_file()} | {"__init__"}


def package_modules(script: str | os.PathLike, package: str | os.PathLike | None = None) -> list[Path]:
    """The ``gsattn`` files ``script`` imports, directly or through other package modules.

    Parameters
    ----------
    script
        A rule script (or any Python file).
    package
        The package folder; default ``gsattn`` beside this module.

    Returns
    -------
    list of Path
        ``__init__.py`` first (importing any module runs it), then the others
        by name; each once.
    """
    package = Path(package) if package is not None else SCRIPTS / PACKAGE
    seen: set[str] = set()
    todo = sorted(_imported_modules(Path(script), package))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += sorted(_imported_modules(package / f"{name}.py", package) - seen)
    return [package / f"{n}.py" for n in sorted(seen, key=lambda n: (n != "__init__", n))]


use_checkout()
