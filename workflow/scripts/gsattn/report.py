"""The study page: one self-contained HTML page of the whole study, from the tables the phases wrote.

Nothing here computes a statistic. Every number on the page is read from a TSV a phase
wrote (the criteria tables of Phases 1 and 2, the declared verdicts of Phase 3, the
literature and enrichment tables of Phase 4); every figure is a PNG or SVG a phase wrote,
embedded as a ``data:`` URI so the page opens from disk with no network. A file of the
plan that is absent (a partial run, a phase switched off) is shown as "not in this run".

The plan (``report_plan`` in ``common.smk``) names the files::

    {"datasets": {name: {"type": "synthetic" | "fasta", "files": {key: path}}},
     "study": {key: path}}

Standard library, Jinja2 and :mod:`gsattn.io` only: the page never imports torch.
"""

from __future__ import annotations

import base64
import glob
import logging
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from gsattn.io import read_table

log = logging.getLogger(__name__)

MISSING = "not in this run"
MAX_ROWS = 25
# The design's sparsity range for the Phase 2 claims ("at 5-10 % of the positions").
DESIGN_RHOS = (0.05, 0.10)
HOLDS, FAILS, INCONCLUSIVE, NOT_TESTED, REPORTED = (
    "holds",
    "does not hold",
    "inconclusive",
    "not tested",
    "reported",
)
STATUS_CLASS = {
    HOLDS: "holds",
    FAILS: "fails",
    INCONCLUSIVE: "inconclusive",
    NOT_TESTED: "untested",
    REPORTED: "reported",
}
IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}

# (phase, key, label, threshold text): one row of the top table per criterion and data set.
CRITERIA = (
    ("Phase 1", "accuracy", "test accuracy above 80 %", "> 0.80"),
    ("Phase 1", "attention_on_motifs", "attention on the motifs", "p < 0.01, every seed"),
    ("Phase 1", "compute_baseline", "compute baseline (FLOPs per sequence)", "reported"),
    ("Phase 2", "accuracy_fraction", "≥ 95 % of full accuracy at ρ 5–10 %", "≥ 0.95"),
    ("Phase 2", "compute_reduction", "90–95 % compute reduction at ρ 5–10 %", "≥ 0.90"),
    ("Phase 2", "selection_is_motifs", "selected positions are the motifs", "p < 0.01"),
    ("Phase 3", "verdict", "joint pipeline vs full attention (declared verdict)", "Holm-adjusted α"),
    ("Phase 4", "matches_synthetic", "real data matches the synthetic result", "same status"),
    (
        "Phase 4",
        "known_motifs",
        "known JASPAR motifs enriched at the model's selected positions (random control apart)",
        "adjusted p < α, ≥ 1 position set; every planted predictive motif",
    ),
)
# The Phase 1 and 2 criteria "real data matches synthetic" compares.
MATCHED = ("accuracy", "accuracy_fraction", "compute_reduction")
QUESTIONS = (
    (
        "Do attention models on DNA learn the task and look at the regulatory motifs?",
        ("accuracy", "attention_on_motifs"),
    ),
    (
        "Can a sparse model that reads 5–10 % of the positions stand in for full attention?",
        ("accuracy_fraction", "compute_reduction", "selection_is_motifs"),
    ),
    ("Does the motif-centred joint pipeline match or beat full attention?", ("verdict",)),
    (
        "Does it hold on real promoters and enhancers, and are known motifs found?",
        ("matches_synthetic", "known_motifs"),
    ),
)


# ---- reading


def load_table(path: str | os.PathLike | None) -> list[dict] | None:
    """Rows of the TSV at ``path``, or ``None`` when there is no such file (not in this run)."""
    if not path or not Path(path).is_file():
        return None
    return read_table(path)


def image_uri(path: str | os.PathLike | None) -> str | None:
    """The PNG or SVG at ``path`` as a ``data:`` URI, or ``None`` when it is absent or empty."""
    if not path or not Path(path).is_file() or Path(path).stat().st_size == 0:
        return None
    kind = IMAGE_TYPES.get(Path(path).suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: not a PNG or SVG figure")
    return f"data:{kind};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


# ---- formatting


def is_number(value) -> bool:
    """True for an int or float that is not NaN (``read_table`` gives NaN for ``NA``)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def fmt(value) -> str:
    """A table cell: 3 significant digits, thousands separated, ``NA`` for missing."""
    if isinstance(value, float) and math.isnan(value):
        return "NA"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or (value.is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.3g}"


def fmt_ci(low, high) -> str:
    """``[low, high]``, or an empty string when either end is missing."""
    return f"[{fmt(low)}, {fmt(high)}]" if is_number(low) and is_number(high) else ""


def status_of(verdict) -> str:
    """The page's status for a verdict cell: holds / does not hold / inconclusive / not tested / reported."""
    text = str(verdict).strip().lower()
    return text if text in STATUS_CLASS else NOT_TESTED


def table_block(title: str, path: str | None, columns: Sequence[str] | None = None, rows=None) -> dict:
    """A table of the page: the TSV at ``path`` (or ``rows``), formatted, at most ``MAX_ROWS`` rows."""
    rows = load_table(path) if rows is None else rows
    if rows is None:
        return missing_block(title, path)
    columns = list(columns or (rows[0].keys() if rows else []))
    shown = [[fmt(r.get(c, "")) for c in columns] for r in rows[:MAX_ROWS]]
    more = len(rows) - len(shown)
    note = f"{more} more row(s) in {path}" if more > 0 else ""
    status = [STATUS_CLASS.get(status_of(r.get("verdict")), "") if "verdict" in r else "" for r in rows]
    return {
        "kind": "table",
        "title": title,
        "source": path or "",
        "columns": columns,
        "rows": shown,
        "row_class": status[: len(shown)],
        "note": note or ("(no rows)" if not rows else ""),
    }


def figure_block(title: str, path: str | None) -> dict:
    """A figure of the page, embedded, or a "not in this run" block."""
    uri = image_uri(path)
    if uri is None:
        return missing_block(title, path)
    return {"kind": "figure", "title": title, "source": path, "uri": uri}


def missing_block(title: str, path: str | None) -> dict:
    """A block that says what is not in this run (and which file would hold it)."""
    return {"kind": "missing", "title": title, "source": path or "", "note": MISSING}


def text_block(title: str, text: str) -> dict:
    """A paragraph of the page."""
    return {"kind": "text", "title": title, "text": text}


# ---- the criteria table


def criterion_row(phase, key, label, threshold, dataset, status, measured="", ci="", note="") -> dict:
    """One row of the criteria table."""
    return {
        "phase": phase,
        "key": key,
        "criterion": label,
        "dataset": dataset,
        "measured": measured,
        "ci": ci,
        "threshold": threshold,
        "status": status,
        "class": STATUS_CLASS.get(status, "verdict"),
        "note": note,
    }


def _in_design_range(rho) -> bool:
    return is_number(rho) and DESIGN_RHOS[0] - 1e-9 <= rho <= DESIGN_RHOS[1] + 1e-9


def combine_statuses(statuses: Iterable[str]) -> str:
    """The status of a claim made at several ρ of the design's range: it holds when it holds at one
    of them; else inconclusive when one is; else does not hold when one is tested; else not tested."""
    statuses = list(statuses)
    for status in (HOLDS, INCONCLUSIVE, FAILS, REPORTED):
        if status in statuses:
            return status
    return NOT_TESTED


def phase1_criteria(dataset: str, path: str | None) -> list[dict]:
    """The Phase 1 rows of one data set, from ``results/phase1/<dataset>/summary/criteria.tsv``."""
    table = load_table(path)
    rows = []
    for phase, key, label, threshold in CRITERIA[:3]:
        found = [r for r in table or [] if r["criterion"] == key]
        if not found:
            note = MISSING if table is None else "no such row in the criteria table"
            rows.append(criterion_row(phase, key, label, threshold, dataset, NOT_TESTED, note=note))
            continue
        r = found[0]
        rows.append(
            criterion_row(
                phase,
                key,
                label,
                threshold if not is_number(r["threshold"]) else f"{fmt(r['threshold'])}",
                dataset,
                status_of(r["verdict"]),
                fmt(r["measured"]),
                fmt_ci(r["ci_low"], r["ci_high"]),
                str(r["evidence"]),
            )
        )
    return rows


def phase2_criteria(dataset: str, path: str | None) -> list[dict]:
    """The Phase 2 rows of one data set, from ``results/phase2/<dataset>/attention/summary/criteria.tsv``.

    The accuracy and compute claims are the design's at ρ 5–10 %: every ρ of the run in that range
    is shown, and the row's status is :func:`combine_statuses` of theirs.
    """
    table = load_table(path)
    rows = []
    for phase, key, label, threshold in CRITERIA[3:6]:
        found = [r for r in table or [] if r["criterion"] == key]
        if key != "selection_is_motifs":
            found = [r for r in found if _in_design_range(r["rho"])]
        if not found:
            note = MISSING if table is None else "no row at ρ 5–10 % in the criteria table"
            rows.append(criterion_row(phase, key, label, threshold, dataset, NOT_TESTED, note=note))
            continue
        many = len(found) > 1 or key != "selection_is_motifs"
        prefix = [f"ρ {fmt(r['rho'])}: " if many else "" for r in found]
        measured = "; ".join(p + fmt(r["measured"]) for p, r in zip(prefix, found, strict=True))
        cis = [fmt_ci(r["ci_low"], r["ci_high"]) for r in found]
        ci = "; ".join(p + c for p, c in zip(prefix, cis, strict=True) if c)
        statuses = [status_of(r["verdict"]) for r in found]
        note = "; ".join(p + s for p, s in zip(prefix, statuses, strict=True)) if many else ""
        note = (note + ". " if note else "") + str(found[0]["evidence"])
        status = combine_statuses(statuses)
        rows.append(criterion_row(phase, key, label, threshold, dataset, status, measured, ci, note))
    return rows


def verdict_class(verdict: str) -> str:
    """Colour of a Phase 3 verdict: inconclusive, else a declared winner or equivalence."""
    return "inconclusive" if "inconclusive" in verdict.lower() else "verdict"


def phase3_criterion(dataset: str, verdicts: list[dict] | None) -> dict:
    """The Phase 3 row of one data set, from ``results/phase3/verdicts.tsv``."""
    phase, key, label, threshold = CRITERIA[6]
    found = [r for r in verdicts or [] if r["dataset"] == dataset]
    if not found:
        note = MISSING if verdicts is None else "no verdict for this data set"
        return criterion_row(phase, key, label, threshold, dataset, NOT_TESTED, note=note)
    r = found[0]
    note = (
        f"{r['primary_test']} p (adjusted) {fmt(r['primary_p_adjusted'])}; TOST p (adjusted) "
        f"{fmt(r['tost_p_adjusted'])} within ±{fmt(r['margin'])}; {r['n_seeds']} seeds; {r['adjustment']}"
    )
    row = criterion_row(
        phase,
        key,
        label,
        f"α = {fmt(r['alpha'])} ({r['adjustment'].split(' ')[0]})",
        dataset,
        str(r["verdict"]),
        f"accuracy difference {fmt(r['accuracy_difference'])}",
        fmt_ci(r["bootstrap_ci_low"], r["bootstrap_ci_high"]),
        note,
    )
    row["class"] = verdict_class(str(r["verdict"]))
    return row


CONTROL_SET = "random"  # gsattn.position_sets: random positions, the enrichment test's control


def _strongest(rows: list[dict]) -> dict:
    """The row of the smallest adjusted p (ties: larger odds ratio) of ``rows``."""
    return min(
        rows, key=lambda r: (r["p_adjusted"], -float(r["odds_ratio"]) if is_number(r["odds_ratio"]) else 0)
    )


def _names_by_strength(rows: list[dict]) -> list[str]:
    """Distinct motif names of ``rows``, strongest (smallest adjusted p) first."""
    best: dict[str, tuple] = {}
    for r in rows:
        odds = -float(r["odds_ratio"]) if is_number(r["odds_ratio"]) else 0.0
        best[r["name"]] = min(best.get(r["name"], (2.0, 0.0)), (float(r["p_adjusted"]), odds))
    return sorted(best, key=lambda n: (best[n], n))


def known_motifs_criterion(dataset: str, path: str | None) -> dict:
    """Known JASPAR motifs enriched at the model's selected positions (``positions.tsv``).

    Reads the seed-pooled rows (``seed`` ``all``) of the position-set enrichment test and
    leaves out the ``random`` control set: a motif counts when it is ``enriched`` (adjusted
    p below the test's α) in at least one model position set (sparse, attention, saliency,
    ism) at some ρ. Where the data set planted motifs (the ``planted`` column), the row holds
    when every predictive motif is among them; otherwise when any motif is. The control's
    enriched motifs are named in the note (there should be none).
    """
    phase, key, label, threshold = CRITERIA[8]
    table = load_table(path)
    rows = [r for r in table or [] if str(r.get("seed")) == "all" and is_number(r.get("p_adjusted"))]
    model = [r for r in rows if str(r.get("set")) != CONTROL_SET]
    if not model:
        note = MISSING if table is None else "no motif tested on a model position set"
        return criterion_row(phase, key, label, threshold, dataset, NOT_TESTED, note=note)
    enriched = [r for r in model if str(r["enriched"]) == "True"]
    tested = {str(r["matrix_id"]) for r in model}
    found = {str(r["matrix_id"]) for r in enriched}
    names = _names_by_strength(enriched)
    measured = f"{len(found)} of {len(tested)} JASPAR matrices" + (
        f": {', '.join(names[:6])}" if names else ""
    )
    predictive = {str(r["matrix_id"]): r["name"] for r in model if str(r.get("planted")) == "predictive"}
    notes = []
    if predictive:
        missed = [n for m, n in predictive.items() if m not in found]
        status = HOLDS if not missed else FAILS
        notes.append(f"planted predictive: {len(predictive) - len(missed)} of {len(predictive)} enriched")
        notes += [f"missed: {', '.join(missed)}"] if missed else []
    else:
        status = HOLDS if enriched else FAILS
    control = {r["name"] for r in rows if str(r.get("set")) == CONTROL_SET and str(r["enriched"]) == "True"}
    notes.append(
        f"random control: {len(control)} enriched"
        + (f" ({', '.join(sorted(control)[:6])})" if control else "")
    )
    top = _strongest(enriched or model)
    where = f"{top['set']}" + (f" ρ {fmt(top['rho'])}" if is_number(top.get("rho")) else "")
    notes.append(
        f"strongest: {top['name']} ({top['matrix_id']}) on the {where} positions, odds ratio "
        f"{fmt(top['odds_ratio'])}, adjusted p {fmt(top['p_adjusted'])}"
    )
    ci = fmt_ci(top["ci_low"], top["ci_high"])
    return criterion_row(phase, key, label, threshold, dataset, status, measured, ci, "; ".join(notes))


def matches_synthetic_criterion(dataset: str, kind: str, rows: list[dict], synthetic: list[str]) -> dict:
    """Whether a real (``type: fasta``) data set's Phase 1–2 statuses equal a synthetic set's.

    Compares the statuses of ``MATCHED`` already in ``rows``; criteria not tested on either
    side are left out.
    """
    phase, key, label, threshold = CRITERIA[7]
    if kind == "synthetic":
        return criterion_row(phase, key, label, threshold, dataset, NOT_TESTED, note="a synthetic set")
    if not synthetic:
        return criterion_row(phase, key, label, threshold, dataset, NOT_TESTED, note="no synthetic set")
    status = {(r["dataset"], r["key"]): r["status"] for r in rows}
    reference = synthetic[0]
    pairs = [(status.get((dataset, k)), status.get((reference, k)), k) for k in MATCHED]
    tested = [(a, b, k) for a, b, k in pairs if a not in (None, NOT_TESTED) and b not in (None, NOT_TESTED)]
    if not tested:
        return criterion_row(
            phase,
            key,
            label,
            threshold,
            dataset,
            NOT_TESTED,
            note=f"nothing tested on both it and {reference}",
        )
    agree = [k for a, b, k in tested if a == b]
    differ = [f"{k}: {a} here, {b} on {reference}" for a, b, k in tested if a != b]
    note = "; ".join(differ) or f"every compared criterion as on {reference}"
    status_ = HOLDS if len(agree) == len(tested) else FAILS
    measured = f"{len(agree)} of {len(tested)} criteria as on {reference}"
    return criterion_row(phase, key, label, threshold, dataset, status_, measured, "", note)


def criteria_rows(plan: dict) -> list[dict]:
    """Every row of the top table: one per criterion and data set, in ``CRITERIA`` order per data set."""
    datasets = plan["datasets"]
    verdicts = load_table(plan["study"].get("verdicts"))
    synthetic = [n for n, d in datasets.items() if d["type"] == "synthetic"]
    rows = []
    for name, entry in datasets.items():
        files = entry["files"]
        rows += phase1_criteria(name, files.get("phase1_criteria"))
        rows += phase2_criteria(name, files.get("phase2_criteria"))
        rows.append(phase3_criterion(name, verdicts))
    for name, entry in datasets.items():
        rows.append(matches_synthetic_criterion(name, entry["type"], rows, synthetic))
        rows.append(known_motifs_criterion(name, entry["files"].get("enrichment_positions")))
    order = {key: i for i, (_, key, _, _) in enumerate(CRITERIA)}
    names = list(datasets)
    return sorted(rows, key=lambda r: (order[r["key"]], names.index(r["dataset"])))


# ---- the four questions, in words


def _describe(rows: list[dict]) -> str:
    """``holds on a (0.9 [0.8, 1]); does not hold on b (...); not tested on c`` for one criterion."""
    parts = []
    for status in dict.fromkeys(r["status"] for r in rows):
        group = [r for r in rows if r["status"] == status]
        if status == NOT_TESTED:
            parts.append(f"not tested on {', '.join(r['dataset'] for r in group)}")
            continue
        items = []
        for r in group:
            value = " ".join(x for x in (r["measured"], r["ci"]) if x)
            items.append(f"{r['dataset']} ({value})" if value else r["dataset"])
        parts.append(f"{status} on {', '.join(items)}")
    return "; ".join(parts)


def answers(rows: list[dict]) -> list[dict]:
    """The design's four questions with an answer each, in words built from the criteria rows."""
    labels = {key: label for _, key, label, _ in CRITERIA}
    out = []
    for question, keys in QUESTIONS:
        sentences = []
        for key in keys:
            group = [r for r in rows if r["key"] == key]
            if group:
                sentences.append(f"{labels[key][0].upper()}{labels[key][1:]}: {_describe(group)}.")
        out.append({"question": question, "answer": " ".join(sentences) or MISSING})
    return out


# ---- the sections


def section(sid: str, title: str, groups: list[dict]) -> dict:
    """A section of the page: ``groups`` of blocks, each under a heading (a data set, or the study)."""
    return {"id": sid, "title": title, "groups": groups}


def group(heading: str, blocks: list[dict]) -> dict:
    return {"heading": heading, "blocks": blocks}


COMPUTE_METRICS = ("parameters", "flops_analytical", "peak_memory", "time_per_batch_median")


def data_section(plan: dict) -> dict:
    """Data: composition (class balance, GC), the motifs planted or known, the PWM-oracle ceiling."""
    groups = []
    for name, entry in plan["datasets"].items():
        f = entry["files"]
        summary = load_table(f.get("data_summary"))
        columns = ["split", "label", "n_sequences", "fraction_of_split", "gc_mean", "length_mean"]
        oracle = load_table(f.get("pwm_oracle"))
        blocks = [
            table_block("Class balance and GC", f.get("data_summary"), columns, summary),
            table_block("Motifs (JASPAR)", f.get("data_motifs")),
        ]
        if "planted_logos" in f:  # synthetic sets only (report_plan): logos of the planted matrices
            blocks.append(figure_block("Planted motifs (JASPAR logos)", f["planted_logos"]))
        if oracle is not None and not oracle:
            blocks.append(text_block("PWM-oracle ceiling", "none: no planted motifs in this data set"))
        else:
            blocks.append(table_block("PWM-oracle ceiling (test split)", f.get("pwm_oracle"), rows=oracle))
        groups.append(group(f"{name} ({entry['type']})", blocks))
    return section("data", "Data", groups)


def phase1_section(plan: dict) -> dict:
    """Phase 1: accuracy, recovery, attention maps, meta-profile, compute."""
    groups = []
    for name, entry in plan["datasets"].items():
        f = entry["files"]
        compute = load_table(f.get("phase1_compute"))
        if compute is not None:
            compute = [r for r in compute if r.get("metric") in COMPUTE_METRICS]
        blocks = [
            table_block("Test metrics over seeds", f.get("phase1_metrics")),
            table_block("Motif recovery of the attention", f.get("phase1_recovery")),
            figure_block("Attention maps", f.get("phase1_maps")),
            figure_block("Meta-profile around the sites", f.get("phase1_profile")),
            table_block(
                "Compute baseline", f.get("phase1_compute"), ["model", "metric", "value", "unit"], compute
            ),
        ]
        groups.append(group(name, blocks))
    return section("phase1", "Phase 1: full attention", groups)


def phase2_section(plan: dict) -> dict:
    """Phase 2: fidelity, compute and selection per ρ, the scaling figure, learning at length."""
    groups = []
    for name, entry in plan["datasets"].items():
        f = entry["files"]
        crit = load_table(f.get("phase2_criteria"))
        if crit is not None:
            crit = [r for r in crit if "_L" not in str(r["criterion"])]
        columns = ["criterion", "rho", "measured", "ci_low", "ci_high", "threshold", "verdict"]
        blocks = [
            table_block("Criteria per ρ (trained length)", f.get("phase2_criteria"), columns, crit),
            table_block("Fidelity and accuracy per ρ", f.get("phase2_metrics")),
            table_block("Selected positions vs motifs", f.get("phase2_selection")),
            figure_block("Distance of the selected positions to the sites", f.get("phase2_distances")),
        ]
        groups.append(group(name, blocks))
    s = plan["study"]
    study = [
        figure_block("Time and memory vs sequence length", s.get("scaling_figure")),
        table_block("Speed-ups vs L", s.get("speedups")),
    ]
    if "long_summary" in s:
        study += [
            table_block("Learning at length", s.get("long_summary")),
            figure_block("Learning at length", s.get("long_figure")),
        ]
    groups.append(group("scaling (all data sets)", study))
    return section("phase2", "Phase 2: sparse approximation", groups)


def phase3_section(plan: dict) -> dict:
    """Phase 3: the verdict table, forest plot, per-seed accuracy, efficiency, interpretability."""
    s = plan["study"]
    columns = [
        "dataset",
        "verdict",
        "accuracy_difference",
        "bootstrap_ci_low",
        "bootstrap_ci_high",
        "primary_p_adjusted",
        "tost_p_adjusted",
        "n_seeds",
    ]
    groups = [group("declared verdicts", [table_block("Verdicts", s.get("verdicts"), columns)])]
    for name, entry in plan["datasets"].items():
        f = entry["files"]
        blocks = [
            figure_block("Differences (forest plot)", f.get("phase3_forest")),
            figure_block("Per-seed accuracy", f.get("phase3_paired")),
            table_block("Models and floors", f.get("phase3_evidence")),
            table_block("Efficiency", f.get("phase3_efficiency")),
            table_block("Interpretability", f.get("phase3_interpretability")),
        ]
        groups.append(group(name, blocks))
    return section("phase3", "Phase 3: joint pipeline against attention", groups)


def denovo_blocks(folder: str | None) -> list[dict]:
    """The de novo motifs of one data set: every logo (PNG/SVG) and table under ``folder``."""
    if not folder or not Path(folder).is_dir():
        return [missing_block("De novo motifs and their JASPAR matches", folder)]
    blocks = []
    for path in sorted(glob.glob(f"{folder}/**/*.tsv", recursive=True)):
        blocks.append(table_block(f"De novo: {Path(path).name}", path))
    for path in sorted(glob.glob(f"{folder}/**/*", recursive=True)):
        if Path(path).suffix.lower() in IMAGE_TYPES:
            blocks.append(figure_block(f"De novo logo: {Path(path).stem}", path))
    return blocks or [missing_block("De novo motifs and their JASPAR matches", folder)]


EXPECTED_COLUMNS = [
    "family",
    "expected",
    "found",
    "positions",
    "positions_best",
    "positions_set",
    "positions_rho",
    "positions_p_adjusted",
    "denovo",
    "denovo_best",
    "denovo_set",
    "denovo_q_value",
    "classes",
    "classes_best",
    "classes_p_adjusted",
    "random",
    "members_scanned",
]


def phase4_section(plan: dict) -> dict:
    """Phase 4: the literature table, the expected motifs found, the enrichment tables, the
    de novo logos."""
    s = plan["study"]
    groups = [
        group("published sets", [table_block("This workflow beside the literature", s.get("literature"))])
    ]
    columns = ["set", "rho", "rank", "matrix_id", "name", "planted", "odds_ratio", "ci_low", "ci_high"]
    columns += ["p_adjusted", "enriched"]
    for name, entry in plan["datasets"].items():
        f = entry["files"]
        positions = load_table(f.get("enrichment_positions"))
        if positions is not None:
            positions = sorted(
                (r for r in positions if str(r.get("seed")) == "all"),
                key=lambda r: r["p_adjusted"] if is_number(r["p_adjusted"]) else 2.0,
            )
        blocks = [
            table_block(
                "Expected motifs: found by the model's positions, de novo, or only in the sequences?",
                f.get("expected_motifs"),
                EXPECTED_COLUMNS,
            ),
            table_block(
                "Known motifs at the position sets", f.get("enrichment_positions"), columns, positions
            ),
            table_block("Motif hits in positives vs negatives", f.get("enrichment_classes")),
            *denovo_blocks(f.get("denovo")),
            *tss_blocks(f),
        ]
        groups.append(group(name, blocks))
    return section("phase4", "Phase 4: real data and known motifs", groups)


TSS_COLUMNS = ["set", "rho", "group", "n_sequences", "share", "expected_share", "enrichment"]
TSS_COLUMNS += ["p", "p_adjusted", "enriched"]


def tss_blocks(files: dict) -> list[dict]:
    """The TSS meta-profile and the TATA-region test (rule profile_tss), for data sets with a TSS."""
    if "tss_profile" not in files:
        return []
    return [
        figure_block("Position sets relative to the TSS", files.get("tss_profile")),
        table_block("Is the TATA region (−35..−20) selected?", files.get("tss_region"), TSS_COLUMNS),
    ]


def sections(plan: dict) -> list[dict]:
    """Data, Phase 1, Phase 2, Phase 3, Phase 4, in the design's order."""
    return [f(plan) for f in (data_section, phase1_section, phase2_section, phase3_section, phase4_section)]


def missing_files(plan: dict) -> list[str]:
    """Every file of the plan that is not there (what the page marks "not in this run")."""
    paths = [p for d in plan["datasets"].values() for k, p in d["files"].items() if k != "denovo"]
    paths += list(plan["study"].values())
    return [p for p in paths if p and not Path(p).exists()]


# ---- the bottom of the page: how the run was made

PACKAGES = ("snakemake", "numpy", "scipy", "torch", "scikit-learn", "statsmodels", "matplotlib")
PACKAGES += ("pyjaspar", "memelite", "logomaker", "jinja2")


def package_versions(names: Sequence[str] = PACKAGES) -> list[dict]:
    """Installed version of each package (``importlib.metadata``: nothing is imported)."""
    from importlib import metadata

    rows = []
    for name in names:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"package": name, "version": version})
    return rows


def training_devices(plan: dict) -> dict[str, int]:
    """How many Phase 1 models of the data sets' per-seed tables were trained on each
    device (``device`` column: ``cpu``, ``cuda (<GPU>)``; ``NA`` where a table has none)."""
    devices: dict[str, int] = {}
    for entry in plan["datasets"].values():
        rows = load_table(entry["files"].get("phase1_per_seed")) or []
        models = {(r["model"], r["seed"]): str(r.get("device", "NA")) for r in rows}  # one per model
        for device in models.values():
            devices[device] = devices.get(device, 0) + 1
    return dict(sorted(devices.items()))


def jaspar_releases(plan: dict) -> list[str]:
    """The JASPAR releases named in the data sets' motif tables (``release`` column)."""
    releases = set()
    for entry in plan["datasets"].values():
        for row in load_table(entry["files"].get("data_motifs")) or []:
            if row.get("release"):
                releases.add(str(row["release"]))
    return sorted(releases)


def provenance_rows(sources: dict, used: Sequence[str]) -> list[dict]:
    """URL, sha256 and size of every pinned file of the sources ``used``.

    ``sources``: ``resources/real_sources.yaml`` as loaded (``{"sources": {name: {"files": ...}}}``).
    """
    rows = []
    for name in used:
        for file, spec in sources["sources"].get(name, {}).get("files", {}).items():
            rows.append(
                {
                    "source": name,
                    "file": file,
                    "url": spec["url"],
                    "sha256": spec["sha256"],
                    "size": spec["size"],
                }
            )
    return rows


def render_page(context: dict, template: str | os.PathLike) -> str:
    """The page: Jinja2 template ``template`` over ``context`` (autoescaped HTML)."""
    import jinja2

    template = Path(template)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template.parent)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(template.name).render(**context)
