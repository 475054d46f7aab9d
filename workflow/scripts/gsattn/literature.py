"""Phase 4: this workflow's test metrics on the published sets beside the published numbers.

Metrics of binary classifiers scored by logits (the decision is ``logit > 0``, as in
:func:`gsattn.stats.accuracy_from_logits`): :func:`mcc` (Matthews correlation),
:func:`sensitivity` (recall of class 1) and :func:`specificity` (recall of class 0),
beside the accuracy and AUROC of :mod:`gsattn.stats`. Every model's value is the mean
over its seeds with the two-level (seeds, then test sequences) percentile bootstrap of
:func:`gsattn.stats.seed_sequence_bootstrap`.

The published numbers are ``resources/literature.tsv`` (:func:`read_published`): one
row per (``set``, ``method``, ``metric``), where ``set`` is the published benchmark, the
``recipe`` of a ``real_data.sets`` entry (``ienhancer2l``, ``epd_promoters``,
``epd_core``); ``comparable`` says whether the number was measured on the same test
sequences (``yes``) or under another protocol or other negatives (``no``).
"""

from __future__ import annotations

import csv
import logging
import math
import os
from collections.abc import Callable, Sequence

import numpy as np

from gsattn.io import InputError
from gsattn.stats import accuracy_from_logits, auroc, seed_sequence_bootstrap

log = logging.getLogger(__name__)

PUBLISHED_COLUMNS = ("set", "method", "metric", "value", "citation", "url", "protocol_note", "comparable")
"""Columns of ``resources/literature.tsv``, in order."""

TABLE_COLUMNS = (
    "dataset",
    "set",
    "source",
    "model",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "n_seeds",
    "n_test",
    "comparable",
    "citation",
    "url",
    "protocol_note",
)
"""Columns of the literature table (``results/phase4/literature.tsv``)."""


def confusion(y: np.ndarray, score: np.ndarray) -> tuple[int, int, int, int]:
    """Counts of the decision ``score > 0`` against the labels.

    Parameters
    ----------
    y : numpy.ndarray
        ``(N,)`` binary labels (0/1).
    score : numpy.ndarray
        ``(N,)`` logits of class 1; a logit of exactly 0 predicts class 0.

    Returns
    -------
    tuple of int
        ``(tp, fp, tn, fn)``.
    """
    y, score = np.asarray(y), np.asarray(score)
    if y.ndim != 1 or score.shape != y.shape:
        raise ValueError(f"y and score must be (N,) of one length, got {y.shape} and {score.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must be binary (0/1)")
    predicted, positive = score > 0, y == 1
    tp = int(np.sum(predicted & positive))
    fp = int(np.sum(predicted & ~positive))
    tn = int(np.sum(~predicted & ~positive))
    return tp, fp, tn, int(np.sum(~predicted & positive))


def mcc(y: np.ndarray, score: np.ndarray) -> float:
    """Matthews correlation coefficient of the decision ``score > 0`` (``(N,)`` inputs).

    ``(tp tn - fp fn) / sqrt((tp + fp)(tp + fn)(tn + fp)(tn + fn))``; where a factor of
    the denominator is 0 (every prediction, or every label, one class) the value is 0,
    the limit ``sklearn.metrics.matthews_corrcoef`` also returns.
    """
    tp, fp, tn, fn = confusion(y, score)
    denominator = float(tp + fp) * float(tp + fn) * float(tn + fp) * float(tn + fn)
    if denominator == 0.0:
        return 0.0
    return float((tp * tn - fp * fn) / math.sqrt(denominator))


def sensitivity(y: np.ndarray, score: np.ndarray) -> float:
    """Share of class-1 sequences predicted 1 (``(N,)`` inputs); NaN without class 1."""
    tp, _, _, fn = confusion(y, score)
    return float(tp / (tp + fn)) if tp + fn else math.nan


def specificity(y: np.ndarray, score: np.ndarray) -> float:
    """Share of class-0 sequences predicted 0 (``(N,)`` inputs); NaN without class 0."""
    _, fp, tn, _ = confusion(y, score)
    return float(tn / (tn + fp)) if tn + fp else math.nan


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "accuracy": accuracy_from_logits,
    "auroc": auroc,
    "mcc": mcc,
    "sensitivity": sensitivity,
    "specificity": specificity,
}
"""Every metric of the table, by the name the published rows use."""


def _published_row(path: str | os.PathLike, lineno: int, row: dict) -> dict:
    """One checked row of the published table (``lineno``: its line in ``path``)."""
    if row["metric"] not in METRICS:
        raise InputError(path, lineno, f"metric {row['metric']!r} is not one of {', '.join(METRICS)}")
    try:
        value = float(row["value"])
    except ValueError:
        raise InputError(path, lineno, f"value {row['value']!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise InputError(path, lineno, f"value {value} must lie in [0, 1] (write 0.73, not 73 %)")
    if not row["citation"].strip() or not row["url"].startswith("http"):
        raise InputError(path, lineno, "every published number needs a citation and an http(s) url")
    if row["comparable"] not in ("yes", "no"):
        raise InputError(path, lineno, f"comparable must be yes or no, got {row['comparable']!r}")
    return row | {"value": value}


def read_published(path: str | os.PathLike) -> list[dict]:
    """Read and check ``resources/literature.tsv`` (columns :data:`PUBLISHED_COLUMNS`).

    Returns
    -------
    list of dict
        One row per published number, ``value`` a float in ``[0, 1]``.

    Raises
    ------
    gsattn.io.InputError
        Naming the file and line: a missing column, a metric not in :data:`METRICS`,
        a value outside ``[0, 1]``, an empty citation or url, ``comparable`` not yes/no,
        or a repeated (set, method, metric).
    """
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in PUBLISHED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(path, 1, f"missing column(s) {', '.join(missing)}")
        rows = [_published_row(path, n, r) for n, r in enumerate(reader, start=2)]
    seen = set()
    for n, r in enumerate(rows, start=2):
        key = (r["set"], r["method"], r["metric"])
        if key in seen:
            raise InputError(path, n, f"repeated set, method and metric {key}")
        seen.add(key)
    return rows


def published_rows(published: Sequence[dict], dataset: str, benchmark: str, same_test: bool) -> list[dict]:
    """The published rows of ``benchmark`` as table rows of data set ``dataset``.

    ``same_test`` is false where this data set's test split is not the published one
    (``test: deduplicated``): every row is then ``comparable: no``. An unknown
    benchmark has no rows (logged).
    """
    rows = [r for r in published if r["set"] == benchmark]
    if not rows:
        log.info("%s: no published numbers for set %r in the literature table", dataset, benchmark)
    note = "" if same_test else "; measured on the published test split, not this data set's"
    return [
        _table_row(dataset, benchmark, "published", r["method"], r["metric"], r["value"])
        | {
            "comparable": r["comparable"] if same_test else "no",
            "citation": r["citation"],
            "url": r["url"],
            "protocol_note": r["protocol_note"] + note,
        }
        for r in rows
    ]


def _table_row(dataset: str, benchmark: str, source: str, model: str, metric: str, value: float) -> dict:
    """A table row with every column of :data:`TABLE_COLUMNS` (empty where unknown)."""
    row = dict.fromkeys(TABLE_COLUMNS, "")
    row.update(dataset=dataset, set=benchmark, source=source, model=model, metric=metric, value=value)
    row.update(ci_low=math.nan, ci_high=math.nan, n_seeds=0, n_test=0)
    return row


def model_rows(
    dataset: str,
    benchmark: str,
    model: str,
    labels: Sequence[np.ndarray],
    logits: Sequence[np.ndarray],
    n_boot: int,
    seed: int = 0,
    own_test_sets: bool = False,
) -> list[dict]:
    """Every metric of one model of this workflow: the mean over seeds and its 95 % CI.

    Parameters
    ----------
    dataset, benchmark, model : str
        Identifiers written into the rows.
    labels, logits : sequence of numpy.ndarray
        Per seed, the ``(N_s,)`` test labels and the model's ``(N_s,)`` test logits.
    n_boot : int
        Resamples of :func:`gsattn.stats.seed_sequence_bootstrap`.
    seed : int
        Seed of the resampling generator (every metric draws the same resamples).
    own_test_sets : bool
        True where every seed has its own draw of the data (``data_seeds``).

    Returns
    -------
    list of dict
        One row per metric of :data:`METRICS` (``source``: ``this workflow``).
    """
    if len(labels) != len(logits) or not labels:
        raise ValueError(f"{model}: {len(labels)} label sets but {len(logits)} logit sets")
    rows = []
    for name, metric in METRICS.items():
        boot = seed_sequence_bootstrap(
            list(labels), list(logits), metric, n_boot, seed=seed, own_test_sets=own_test_sets
        )
        row = _table_row(dataset, benchmark, "this workflow", model, name, boot["mean"])
        row.update(ci_low=boot["ci_low"], ci_high=boot["ci_high"], n_seeds=boot["n_seeds"], n_test=boot["n"])
        rows.append(row | {"comparable": "yes", "protocol_note": _protocol(boot)})
    return rows


def _protocol(boot: dict) -> str:
    """How a row of this workflow was measured."""
    note = f"mean over {boot['n_seeds']} seeds; 95 % CI: two-level bootstrap, {boot['n_boot']} resamples"
    if boot["n_skipped"]:
        note += f" ({boot['n_skipped']} undefined resamples skipped)"
    return note


def floor_rows(dataset: str, benchmark: str, floors: Sequence[Sequence[dict]]) -> list[dict]:
    """The floors (``floors.tsv`` of ``fit_floors``) as table rows: the mean over the tables
    given (one, or one per seed's draw with ``data_seeds``); accuracy and AUROC only."""
    values: dict[tuple, list[float]] = {}
    sizes: dict[tuple, int] = {}
    for table in floors:
        for r in table:
            values.setdefault((r["model"], r["metric"]), []).append(float(r["value"]))
            sizes[(r["model"], r["metric"])] = int(r["n_test"])
    rows = []
    for (model, metric), found in values.items():
        row = _table_row(dataset, benchmark, "floor", model, metric, float(np.mean(found)))
        rows.append(row | {"n_test": sizes[(model, metric)], "comparable": "yes"})
    return rows
