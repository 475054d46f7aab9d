"""Every rule's conda env holds what its script imports, directly or through ``gsattn``.

``--use-conda`` cannot be run here (no channel is reachable), so the coverage is checked
statically: the rules Snakemake parses (``conftest.script_rules``) give each script its env, an AST
walk gives every third-party module the script and the package modules it reaches import
(function-level imports included: a lazy import still runs in the rule's env), and each
must be a dependency of the env under its conda package name.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import yaml
from local_gsattn import package_modules

CONDA_NAME = {"torch": "pytorch", "sklearn": "scikit-learn", "Bio": "biopython", "yaml": "pyyaml"}
"""Import name -> conda package name, where they differ."""

LOCAL = {"gsattn", "local_gsattn"}

BROUGHT_BY = {"numba": "memelite"}
"""Modules imported directly that a listed package depends on (memelite requires numba)."""


def third_party_imports(path: Path) -> set[str]:
    """Top-level names of the absolute, non-stdlib, non-local imports anywhere in ``path``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in LOCAL and n != "__future__"}


def env_packages(path: Path) -> set[str]:
    """Conda package names of an env file's dependencies (``test_envs`` forbids pip sections)."""
    deps = yaml.safe_load(path.read_text())["dependencies"]
    return {re.split(r"[\s=<>!~\[]", dep.strip(), maxsplit=1)[0].lower() for dep in deps}


def missing_packages(script: Path, env: Path, package: Path | None = None) -> set[str]:
    """Conda packages the script needs (itself and the package modules it reaches) that ``env`` lacks."""
    needed: set[str] = set()
    for path in [script, *package_modules(script, package)]:
        needed |= {CONDA_NAME.get(n, n).lower() for n in third_party_imports(path)}
    have = env_packages(env)
    return {n for n in needed - have if BROUGHT_BY.get(n) not in have}


def test_every_rule_env_holds_what_its_script_imports(script_rules):
    names = {r.name for r in script_rules}
    assert {"train_attention", "scan_motifs", "render_report", "extract_fasta"} <= names
    assert [r.name for r in script_rules if not r.conda_env] == []  # every rule with a script has an env
    missing = {}
    for rule in script_rules:
        base = Path(rule.basedir)
        lacking = missing_packages((base / rule.script).resolve(), (base / rule.conda_env).resolve())
        if lacking:
            missing[rule.name] = (Path(rule.conda_env).name, sorted(lacking))
    assert missing == {}, "add each package to the env named"


def test_a_lazy_import_in_a_reached_module_is_missing_from_a_small_env(tmp_path):
    """Known answer: the script reaches ``pyfaidx`` only inside a function of a package module."""
    (tmp_path / "gsattn").mkdir()
    (tmp_path / "gsattn" / "__init__.py").write_text("")
    module = "import numpy\n\ndef f():\n    import pyfaidx\n    import yaml\n"
    (tmp_path / "gsattn" / "a.py").write_text(module)
    script = tmp_path / "rule.py"
    script.write_text("import local_gsattn\nimport os\nfrom gsattn import a\nimport torch.nn\n")
    env = tmp_path / "env.yaml"
    env.write_text("dependencies:\n  - python =3.12\n  - numpy =2.4\n  - pyyaml =6.0\n")
    assert missing_packages(script, env, tmp_path / "gsattn") == {"pyfaidx", "pytorch"}
    env.write_text(env.read_text().replace("numpy =2.4", "numpy =2.4\n  - pyfaidx =0.9\n  - pytorch =2.13"))
    assert missing_packages(script, env, tmp_path / "gsattn") == set()
