"""Which expected motifs a data set's models found: known-motif enrichment and de novo.

One row per motif family (a JASPAR name pattern: ``TATA/TBP`` is ``TBP``, the GC box is
``SP[1-9]|KLF[0-9]+``). Families come from three places:

* the planted motifs of a synthetic set (the ``planted`` column of the enrichment table:
  ``predictive`` families should be found, the ``decoy`` should not);
* the families the config expects for a data set (``expected_motifs`` in the config,
  e.g. the promoter motifs for the EPD sets);
* every de novo motif's best JASPAR match (TOMTOM q below the de novo ``alpha``) that no
  family above covers (``de novo``: for the enhancer set, whatever comes out, named by
  its match).

For each family the row says, from the tables the enrichment and de novo rules wrote:

* ``classes``: a member's hits are more frequent in positives than in negatives
  (``classes.tsv``, its ``enriched`` flag). This needs no model at all.
* ``positions``: a member is enriched in a model's position set (sparse selector at any
  rho, top attention, top saliency, top ISM where computed; ``positions.tsv``, the
  ``enriched`` flag: adjusted p below ``alpha`` and odds ratio above 1) **and not** in the
  random control set of the same rho. The best such set is named.
* ``random``: a member is enriched in a random control set (a warning: the position test
  is then not specific).
* ``denovo``: a de novo motif of a model's set (not of the random set) whose TOMTOM match
  to a member counts: q and ``shuffle_p`` (its column-shuffled decoys) below the de novo
  ``alpha`` (``matches.tsv`` holds only those).

``found`` is ``yes`` when the model's positions or de novo find the family; where only
the positives-vs-negatives test finds it, ``found`` is ``classes only``: the sequences
carry the motif, the model's positions do not point at it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from gsattn.position_sets import SETS

RANDOM_SET = "random"
MODEL_SETS = tuple(s for s in SETS if s != RANDOM_SET)  # sparse, attention, saliency, ism
COLUMNS = [
    "dataset",
    "family",
    "expected",
    "pattern",
    "members_scanned",
    "classes_best",
    "classes_odds_ratio",
    "classes_p_adjusted",
    "classes",
    "positions_best",
    "positions_set",
    "positions_rho",
    "positions_odds_ratio",
    "positions_p_adjusted",
    "positions",
    "random",
    "denovo_best",
    "denovo_motif",
    "denovo_set",
    "denovo_q_value",
    "denovo",
    "found",
]


def members(pattern: str, names: Sequence[str]) -> list[str]:
    """The JASPAR names a family pattern matches (whole name, case-insensitive).

    ``ELK[134]`` matches ``ELK1`` and ``Elk4`` but not the dimer ``ELK1::HOXA1``.
    """
    regex = re.compile(pattern, re.IGNORECASE)
    return sorted({name for name in names if regex.fullmatch(name)})


def _truthy(value) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes"}


def _best(rows: Sequence[Mapping], key: str) -> Mapping | None:
    """The row with the smallest ``key`` (ties: the first)."""
    return min(rows, key=lambda r: float(r[key]), default=None)


def families_for(
    dataset: str,
    positions: Sequence[Mapping],
    best_matches: Sequence[str],
    expected: Mapping[str, Sequence[str]],
    patterns: Mapping[str, str],
) -> list[tuple[str, str, str]]:
    """``(family, expected, pattern)`` for one data set, in the order described above.

    Planted motifs come first (``predictive`` before ``decoy``), then the config's
    families for ``dataset``, then the de novo motifs' best matches (``best_matches``:
    JASPAR names) no earlier pattern covers.
    """
    planted: dict[str, str] = {}
    for row in positions:
        if row.get("planted"):
            planted.setdefault(row["name"], row["planted"])
    out = [
        (name, role, re.escape(name))
        for role in ("predictive", "decoy")
        for name in sorted(planted)
        if planted[name] == role
    ]
    for family in expected.get(dataset, []):
        if family not in patterns:
            raise ValueError(
                f"expected_motifs.datasets.{dataset}: family {family!r} is not in expected_motifs.families"
            )
        out.append((family, "expected", patterns[family]))
    for name in sorted(set(best_matches)):
        if not any(members(pattern, [name]) for _, _, pattern in out):
            out.append((name, "de novo", re.escape(name)))
    return out


def _class_part(rows: Sequence[Mapping]) -> dict:
    """The best member in positives vs negatives; ``yes`` when one is flagged enriched."""
    enriched = [r for r in rows if _truthy(r["enriched"])]
    best = _best(enriched or rows, "p_adjusted")
    if best is None:
        return {
            "classes_best": "",
            "classes_odds_ratio": math.nan,
            "classes_p_adjusted": math.nan,
            "classes": "no",
        }
    return {
        "classes_best": best["name"],
        "classes_odds_ratio": float(best["odds_ratio"]),
        "classes_p_adjusted": float(best["p_adjusted"]),
        "classes": "yes" if enriched else "no",
    }


def _position_part(rows: Sequence[Mapping]) -> dict:
    """Enriched in a model set and not in the random set of the same rho (and motif)."""
    random_hits = {(r["rho"], r["name"]) for r in rows if r["set"] == RANDOM_SET and _truthy(r["enriched"])}
    specific = [
        r
        for r in rows
        if r["set"] in MODEL_SETS and _truthy(r["enriched"]) and (r["rho"], r["name"]) not in random_hits
    ]
    best = _best(specific, "p_adjusted")
    part = {"random": "yes" if random_hits else "no", "positions": "yes" if best else "no"}
    if best is None:
        best = _best([r for r in rows if r["set"] in MODEL_SETS], "p_adjusted")
    if best is None:
        return part | {
            "positions_best": "",
            "positions_set": "",
            "positions_rho": "",
            "positions_odds_ratio": math.nan,
            "positions_p_adjusted": math.nan,
        }
    return part | {
        "positions_best": best["name"],
        "positions_set": best["set"],
        "positions_rho": best["rho"],
        "positions_odds_ratio": float(best["odds_ratio"]),
        "positions_p_adjusted": float(best["p_adjusted"]),
    }


def _denovo_part(rows: Sequence[Mapping]) -> dict:
    """The best TOMTOM match among the motifs of the model's sets (not the random set)."""
    best = _best([r for r in rows if r["set"] in MODEL_SETS], "q_value")
    if best is None:
        return {
            "denovo_best": "",
            "denovo_motif": "",
            "denovo_set": "",
            "denovo_q_value": math.nan,
            "denovo": "no",
        }
    return {
        "denovo_best": best["name"],
        "denovo_motif": best["motif_id"],
        "denovo_set": best["set"],
        "denovo_q_value": float(best["q_value"]),
        "denovo": "yes",
    }


def found_label(row: Mapping) -> str:
    """``yes`` (positions or de novo), ``classes only``, or ``no``."""
    if row["positions"] == "yes" or row["denovo"] == "yes":
        return "yes"
    return "classes only" if row["classes"] == "yes" else "no"


def expected_motifs(
    dataset: str,
    positions: Sequence[Mapping],
    classes: Sequence[Mapping],
    denovo: Sequence[Mapping],
    motifs: Sequence[Mapping],
    names: Sequence[str],
    expected: Mapping[str, Sequence[str]],
    patterns: Mapping[str, str],
) -> list[dict]:
    """The table of one data set (columns ``COLUMNS``).

    Parameters
    ----------
    dataset
        The data set's name.
    positions, classes, denovo, motifs
        Rows of ``enrichment/positions.tsv`` (pooled over seeds), ``enrichment/classes.tsv``,
        ``denovo/matches.tsv`` (every match with q below the de novo alpha) and
        ``denovo/motifs.tsv`` (each motif's best match, ``best_name``).
    names
        Every JASPAR name that was scanned (``motifs.tsv``).
    expected, patterns
        The config's ``expected_motifs``: family names per data set, and a pattern per family.

    The enrichment rules' ``enriched`` flags (BH-adjusted p below ``enrichment.alpha``,
    odds ratio above 1) decide; no threshold is applied here again.
    """
    classes = [r for r in classes if r.get("seed", "all") == "all"]
    positions = [r for r in positions if r.get("seed", "all") == "all"]
    table = []
    matched = {m["motif_id"] for m in denovo if m["set"] in MODEL_SETS}
    best = [str(m["best_name"]) for m in motifs if m["motif_id"] in matched and m["best_name"]]
    for family, role, pattern in families_for(dataset, positions, best, expected, patterns):
        scanned = set(members(pattern, names))
        row = {
            "dataset": dataset,
            "family": family,
            "expected": role,
            "pattern": pattern,
            "members_scanned": len(scanned),
        }
        row |= _class_part([r for r in classes if r["name"] in scanned])
        row |= _position_part([r for r in positions if r["name"] in scanned])
        row |= _denovo_part([r for r in denovo if members(pattern, [r["name"]])])
        row["found"] = found_label(row)
        table.append(row)
    return table
