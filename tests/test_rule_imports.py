"""Every rule lists, as its ``code`` input, the package modules its script really loads.

Snakemake does not track imports, so a rule whose ``code`` list misses a module
that its script reaches only indirectly is not rerun when that module changes.
``common.smk`` derives the list with an AST walk (``local_gsattn.package_modules``);
these tests check the walk on a package where the answer is known, and every
rule of the workflow against the modules its script loads when imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from local_gsattn import package_modules

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def toy(tmp_path):
    """A script that reaches ``c`` only through ``a`` → ``b`` (relative) → ``c`` (absolute)."""
    _write(
        tmp_path,
        {
            "gsattn/__init__.py": "",
            "gsattn/a.py": "from . import b\n",
            "gsattn/b.py": "def f():\n    from gsattn import c\n    return c\n",
            "gsattn/c.py": "import numpy\n",
            "gsattn/d.py": "",
            "script.py": "import local_gsattn\nfrom gsattn.a import x\n",
        },
    )
    return tmp_path


def _names(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_walk_follows_relative_absolute_and_function_level_imports(toy):
    assert _names(package_modules(toy / "script.py", toy / "gsattn")) == ["__init__", "a", "b", "c"]


def test_walk_drops_a_module_once_nothing_reaches_it(toy):
    (toy / "gsattn/b.py").write_text("import os\n")
    assert _names(package_modules(toy / "script.py", toy / "gsattn")) == ["__init__", "a", "b"]


def test_walk_of_a_script_without_package_imports_is_the_init_only(toy):
    (toy / "script.py").write_text("import numpy\n")
    assert _names(package_modules(toy / "script.py", toy / "gsattn")) == ["__init__"]


_LOADED = """
import json, runpy, sys
sys.path.insert(0, sys.argv[1])
out = {}
for script in sys.argv[2:]:
    for name in [m for m in sys.modules if m == "gsattn" or m.startswith("gsattn.")]:
        del sys.modules[name]
    runpy.run_path(f"{sys.argv[1]}/{script}", run_name="not_snakemake")
    names = [n for n in sys.modules if n == "gsattn" or n.startswith("gsattn.")]
    out[script] = sorted(sys.modules[n].__file__ for n in names)
print(json.dumps(out))
"""


def _loaded_modules(scripts: list[str]) -> dict[str, list[str]]:
    """script → the package files importing it loads (one fresh interpreter for all)."""
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, str(SCRIPTS), *scripts], capture_output=True, text=True, check=True
    )
    return {s: [str(Path(f).resolve()) for f in files] for s, files in json.loads(result.stdout).items()}


def test_every_rule_lists_the_modules_its_script_loads(script_rules):
    rules = {
        rule.name: (Path(rule.script).name, [str(Path(p).resolve()) for p in rule.input.get("code", [])])
        for rule in script_rules
    }
    assert len(rules) >= 20
    loaded = _loaded_modules(sorted({script for script, _ in rules.values()}))
    for name, (script, code) in rules.items():
        assert code, f"rule {name} has no code input"
        assert code == [str(p.resolve()) for p in package_modules(SCRIPTS / script)], name
        missing = set(loaded[script]) - set(code)
        assert not missing, f"rule {name}: {script} loads {sorted(missing)}, not in its code input"
