"""Rule literature_table: this workflow's models on the published sets, beside the published numbers.

For every data set that is one of ``real_data.sets`` (``params.plan``, one entry per
data set, built by ``literature_plan`` in ``common.smk`` with the paths of its files,
seed by seed) the table holds, on the test split:

* the Phase 1 reference model (``ground_truth.npz``: ``logits`` of every sequence, in
  ``encoded.npz`` order), the Phase 2 students of the attention teacher, one per rho
  (``predictions.npz``: ``rows``, ``labels``, ``sparse_logits``) and the Phase 3 models
  (``predictions.npz``: ``rows``, ``logits``): accuracy, AUROC, MCC, sensitivity and
  specificity, the mean over seeds with a 95 % two-level bootstrap interval
  (:func:`gsattn.literature.model_rows`);
* the GC-content and k-mer floors (``floors.tsv``: accuracy and AUROC);
* the published numbers of the set's benchmark (``resources/literature.tsv``).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

import numpy as np

from gsattn.datasets import load_encoded
from gsattn.io import read_table, write_tables
from gsattn.literature import floor_rows, model_rows, published_rows, read_published
from gsattn.logs import rule_logging

log = logging.getLogger("summarize_literature")


def split_rows(encoded: list[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per seed, the test rows ``(N_s,)`` and labels ``(N_s,)`` of the encoded data (one file per
    seed, the same file for every seed without ``data_seeds``)."""
    loaded = {path: load_encoded(path) for path in dict.fromkeys(encoded)}
    rows = [np.flatnonzero(loaded[p]["split"] == "test") for p in encoded]
    labels = [loaded[p]["labels"][r].astype(int) for p, r in zip(encoded, rows, strict=True)]
    return rows, labels


def reference_logits(truths: list[str], rows: list[np.ndarray]) -> list[np.ndarray]:
    """Per seed, the reference model's test logits from its ``ground_truth.npz``."""
    logits = []
    for path, test in zip(truths, rows, strict=True):
        with np.load(path, allow_pickle=False) as gt:
            if not np.array_equal(np.flatnonzero(gt["split"] == "test"), test):
                raise ValueError(f"{path}: test split differs from the encoded data")
            logits.append(gt["logits"][test].astype(np.float64))
    return logits


def prediction_logits(paths: list[str], rows: list[np.ndarray], key: str) -> list[np.ndarray]:
    """Per seed, the test logits ``key`` of a ``predictions.npz`` (its ``rows`` checked)."""
    logits = []
    for path, test in zip(paths, rows, strict=True):
        with np.load(path, allow_pickle=False) as pred:
            if not np.array_equal(pred["rows"], test):
                raise ValueError(f"{path}: test rows differ from the encoded data")
            logits.append(pred[key].astype(np.float64))
    return logits


def dataset_rows(entry: dict, published: list[dict], n_boot: int, own_test_sets: bool) -> list[dict]:
    """Every row of one data set of the plan: its models, floors and published numbers."""
    name, benchmark = entry["dataset"], entry["benchmark"]
    rows, labels = split_rows(entry["encoded"])
    models = {entry["reference"]: reference_logits(entry["truths"], rows)}
    for rho, paths in entry["students"].items():
        models[f"sparse_rho{rho}"] = prediction_logits(paths, rows, "sparse_logits")
    for model, paths in entry["phase3"].items():
        models[model] = prediction_logits(paths, rows, "logits")
    table = []
    for model, logits in models.items():
        log.info("%s: %s, %d seeds", name, model, len(logits))
        table += model_rows(name, benchmark, model, labels, logits, n_boot, 0, own_test_sets)
    table += floor_rows(name, benchmark, [read_table(p) for p in entry["floors"]])
    return table + published_rows(published, name, benchmark, entry["test"] == "published")


def run(plan: list[dict], published: str, n_boot: int, out: str, own_test_sets: bool = False) -> None:
    """Write the literature table of every data set of ``plan`` (order kept) to ``out``."""
    rows = read_published(published)
    table = [r for entry in plan for r in dataset_rows(entry, rows, n_boot, own_test_sets)]
    write_tables({out: table})


def main(smk) -> None:
    with rule_logging(smk.log[0], "summarize_literature"):
        p = smk.params
        run(list(p.plan), smk.input.published, p.n_boot, smk.output.table, p.data_seeds)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
