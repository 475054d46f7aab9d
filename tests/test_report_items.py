"""Every ``report(...)`` item of the rules fits ``snakemake --report`` (README "Reading the results").

Snakemake's report groups items by ``category`` and ``subcategory`` (an item without a
subcategory lands under "Other") and shows each group as a table with one column per
label key (the union of the group's keys; an item lacking a key gets an empty cell, and a
group where one item has no labels at all falls back to file names). So the rules keep:

* a caption (``workflow/report/*.rst``) that exists;
* a category from :data:`CATEGORIES`, in the design's order;
* a subcategory on every item: ``{dataset}`` (or ``{real}``, a published set under its
  data set's name) where the output is per data set, a fixed name otherwise;
* one tuple of label keys per (category, subcategory): ``dataset`` (``teacher`` in
  Phase 2) and ``result`` ("<what> (table)" / "<what> (figure)") per data set, ``result``
  alone in a fixed subcategory (a second key with two values, each on half of a group's
  items, would become a toggle in Snakemake's report).

The rule files are parsed as text (fast: no workflow is loaded); each item's path is the
rule's own expression evaluated with :mod:`gsattn.layout`, so its wildcards are known.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO
from gsattn import layout

RULES = REPO / "workflow" / "rules"
CATEGORIES = ("Data", "Phase 1", "Phase 2", "Phase 3", "Phase 4")
PER_DATASET = {"dataset": "{dataset}", "real": "{real}"}
RULE_RE = re.compile(r"^(?:rule|checkpoint|use rule)\s+(\w+)", re.M)


def _calls(text: str):
    """``(start, end)`` of every ``report(...)`` call in ``text`` (strings skipped)."""
    for match in re.finditer(r"\breport\(", text):
        depth, i, quote = 0, match.end() - 1, None
        while True:
            c = text[i]
            if quote:
                quote = None if c == quote and text[i - 1] != "\\" else quote
            elif c in "\"'":
                quote = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    yield match.start(), i + 1
                    break
            i += 1


def report_items(text: str, source: str, folder: Path) -> list[dict]:
    """The ``report(...)`` items of one rule file's ``text`` (``folder``: where captions resolve)."""
    rules = [(m.start(), m.group(1)) for m in RULE_RE.finditer(text)]
    items = []
    for start, end in _calls(text):
        call = ast.parse(text[start:end].strip(), mode="eval").body
        keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        path = eval(compile(ast.Expression(call.args[0]), source, "eval"), {"L": layout})
        rule = [name for at, name in rules if at < start]
        items.append(
            {
                "where": f"{source}: rule {rule[-1] if rule else '?'} {path}",
                "path": str(path),
                "caption": folder / keywords["caption"] if keywords.get("caption") else None,
                "category": keywords.get("category"),
                "subcategory": keywords.get("subcategory"),
                "labels": keywords.get("labels"),
            }
        )
    return items


def item_problems(item: dict) -> list[str]:
    """What is wrong with one item on its own (caption, category, subcategory, labels)."""
    where, problems = item["where"], []
    if item["caption"] is None or not item["caption"].is_file():
        problems.append(f"{where}: caption {item['caption']} missing")
    if item["category"] not in CATEGORIES:
        problems.append(f"{where}: category {item['category']!r} not one of {CATEGORIES}")
    wildcards = set(re.findall(r"{(\w+)", item["path"])) & set(PER_DATASET)
    sub, labels = item["subcategory"], item["labels"]
    if wildcards:
        expected = PER_DATASET[sorted(wildcards)[0]]
        if sub != expected:
            problems.append(f"{where}: per data set, subcategory {sub!r} should be {expected!r}")
        if not isinstance(labels, dict) or labels.get("dataset") != expected:
            problems.append(f"{where}: per data set, label 'dataset' should be {expected!r}")
    elif not sub or "{" in sub:
        problems.append(f"{where}: across data sets, needs a fixed subcategory (got {sub!r})")
    if not isinstance(labels, dict) or not labels or not all(isinstance(v, str) for v in labels.values()):
        problems.append(f"{where}: labels must be a dict of strings (got {labels!r})")
    elif not re.fullmatch(r".+ \((table|figure)\)", labels.get("result", "")):
        problems.append(f"{where}: label 'result' should read '<what> (table)' or '<what> (figure)'")
    return problems


def key_problems(items: list[dict]) -> list[str]:
    """Groups (category, subcategory) whose items do not share one tuple of label keys."""
    groups: dict[tuple, dict[tuple, str]] = {}
    for item in items:
        keys = tuple(item["labels"]) if isinstance(item["labels"], dict) else ()
        groups.setdefault((item["category"], item["subcategory"]), {}).setdefault(keys, item["where"])
    return [
        f"{group}: label keys differ: " + "; ".join(f"{list(k)} ({w})" for k, w in seen.items())
        for group, seen in groups.items()
        if len(seen) > 1
    ]


def problems_of(items: list[dict]) -> list[str]:
    return [p for item in items for p in item_problems(item)] + key_problems(items)


def workflow_items() -> list[dict]:
    return [
        item
        for path in sorted(RULES.glob("*.smk"))
        for item in report_items(path.read_text(), path.name, RULES)
    ]


def test_every_report_item_of_the_workflow_is_consistent():
    items = workflow_items()
    assert len(items) >= 40, "the parser found too few report() items"
    assert problems_of(items) == []
    # the design's order is kept: every phase has items
    assert {i["category"] for i in items} == set(CATEGORIES)


def test_the_study_pages_data_figures_are_flagged():
    paths = {i["path"] for i in workflow_items()}
    for file in ("summary.tsv", "motifs.tsv", "pwm_oracle.tsv", "planted_logos.png"):
        assert layout.data(file) in paths, file


BROKEN = """
rule good:
    output:
        a=report(
            L.data("a.tsv"),
            caption="../report/summary.rst",
            category="Data",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "a (table)"},
        ),
        b=report(
            L.data("b.png"),
            caption="../report/summary.rst",
            category="Data",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "figure": "b (figure)"},
        ),


rule bad:
    output:
        c=report(
            L.data("c.tsv"),
            caption="../report/no_such_caption.rst",
            category="Phase 5",
            labels={"dataset": "{dataset}", "result": "c (table)"},
        ),
        d=report(L.phase3_all("d.tsv"), caption="../report/summary.rst", category="Phase 3"),
"""


def test_a_broken_rule_file_is_caught(tmp_path):
    path = tmp_path / "rules" / "broken.smk"
    path.parent.mkdir()
    path.write_text(BROKEN)
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "summary.rst").write_text("caption")
    items = report_items(BROKEN, "broken.smk", path.parent)
    assert [i["path"] for i in items] == [layout.data("a.tsv"), layout.data("b.png"), layout.data("c.tsv"),
                                          layout.phase3_all("d.tsv")]  # fmt: skip
    assert problems_of(items[:1]) == []  # the one good item passes on its own
    found = "\n".join(problems_of(items))
    assert "label 'result'" in found and "label keys differ" in found  # b: 'figure' for 'result'
    assert "no_such_caption.rst missing" in found  # c
    assert "'Phase 5' not one of" in found  # c
    assert "subcategory None should be '{dataset}'" in found  # c: per data set, no subcategory
    assert "needs a fixed subcategory" in found and "labels must be a dict" in found  # d
