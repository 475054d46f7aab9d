"""Every rule's conda env holds what its script imports, directly or through ``gsattn``.

``--use-conda`` cannot be run here (no channel is reachable), so the coverage is checked
statically: the rule blocks of ``workflow/rules/*.smk`` give each script its env, an AST
walk gives every third-party module the script and the package modules it reaches import
(function-level imports included: a lazy import still runs in the rule's env), and each
must be a dependency of the env under its conda package name.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml
from local_gsattn import package_modules

from conftest import RULES, rule_blocks

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


def rule_scripts() -> list[tuple[str, Path, Path]]:
    """``(rule, script, env)`` of every rule block with both a quoted ``script:`` and ``conda:``."""
    out = []
    for name, body in rule_blocks().items():
        script = re.search(r'^\s+script:\s*\n\s*"([^"]+)"', body, flags=re.M)
        conda = re.search(r'^\s+conda:\s*\n\s*"([^"]+)"', body, flags=re.M)
        if script and conda:
            out.append((name, (RULES / script[1]).resolve(), (RULES / conda[1]).resolve()))
    return out


def missing_packages(script: Path, env: Path, package: Path | None = None) -> set[str]:
    """Conda packages the script needs (itself and the package modules it reaches) that ``env`` lacks."""
    needed: set[str] = set()
    for path in [script, *package_modules(script, package)]:
        needed |= {CONDA_NAME.get(n, n).lower() for n in third_party_imports(path)}
    have = env_packages(env)
    return {n for n in needed - have if BROUGHT_BY.get(n) not in have}


RULE_ENVS = rule_scripts()


def test_the_rule_blocks_are_found():
    names = {name for name, _, _ in RULE_ENVS}
    assert {"train_attention", "scan_motifs", "render_report", "extract_fasta"} <= names
    scripts = sum(len(re.findall(r"^\s+script:", smk.read_text(), flags=re.M)) for smk in RULES.glob("*.smk"))
    assert len(RULE_ENVS) == scripts  # no rule with a script lacks a quoted conda env


@pytest.mark.parametrize(("rule", "script", "env"), RULE_ENVS, ids=[r for r, _, _ in RULE_ENVS])
def test_every_rule_env_holds_what_its_script_imports(rule, script, env):
    assert missing_packages(script, env) == set(), f"{rule}: add to {env.name}"


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
