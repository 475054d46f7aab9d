"""Rule compare_models: traditional attention against the joint pipeline, head to head.

Attention is Phase 1's reference variant, the joint pipeline Phase 3's; both
were trained on the same data, splits and seeds. Paired tests across seeds
(t, Wilcoxon), TOST equivalence within the configured margin, a paired
bootstrap over test sequences and McNemar's test (rules and Holm adjustment in
:mod:`gsattn.compare`) lead to a verdict. The CNN rival and the GC / k-mer
floors are listed beside them, so "superior" is read against more than one model.
"""

from collections import defaultdict
from pathlib import Path

import numpy as np

from gsattn.compare import compare_dataset
from gsattn.datasets import load_encoded
from gsattn.io import read_table, write_tables
from gsattn.logs import rule_logging


def seed_of(path: str) -> int:
    return int(Path(path).parts[-2].removeprefix("seed"))


def attention_inputs(metrics: list[str], truths: list[str], test: np.ndarray) -> tuple[list[dict], dict]:
    """Per-seed test metrics and test logits of the attention models."""
    rows, logits = [], {}
    for path in metrics:
        rows += [
            {"model": "attention", "seed": seed_of(path), "metric": r["metric"], "value": r["value"]}
            for r in read_table(path)
            if r["split"] == "test"
        ]
    for path in truths:
        with np.load(path, allow_pickle=False) as gt:
            logits[seed_of(path)] = gt["logits"][test]
    return rows, logits


def pipeline_inputs(kind: str, metrics: list[str], predictions: list[str], test: np.ndarray):
    rows, logits = [], {}
    for path in metrics:
        rows += [
            {"model": kind, "seed": seed_of(path), "metric": r["metric"], "value": r["value"]}
            for r in read_table(path)
            if r["split"] == "test"
        ]
    for path in predictions:
        with np.load(path, allow_pickle=False) as pred:
            if pred["rows"].tolist() != test.tolist():
                raise ValueError(f"{path}: test rows differ from the encoded data")
            logits[seed_of(path)] = pred["logits"]
    return rows, logits


def evidence_rows(per_seed: list[dict], floors: str) -> list[dict]:
    """Mean and SD over seeds of every model's test metrics, then the floors."""
    groups = defaultdict(list)
    for r in per_seed:
        groups[(r["model"], r["metric"])].append(float(r["value"]))
    rows = [
        {
            "model": m,
            "metric": k,
            "n_seeds": len(v),
            "mean": float(np.mean(v)),
            "sd": float(np.std(v, ddof=1)) if len(v) > 1 else float("nan"),
        }
        for (m, k), v in sorted(groups.items())
    ]
    rows += [
        {"model": r["model"], "metric": r["metric"], "n_seeds": 0, "mean": r["value"], "sd": float("nan")}
        for r in read_table(floors)
    ]
    return rows


def run(inputs: dict, margin: float, alpha: float, n_boot: int, dataset: str, out: dict) -> None:
    """Compare the models of one data set and write tests, evidence and verdict."""
    data = load_encoded(inputs["encoded"])
    test = np.flatnonzero(data["split"] == "test")
    att_rows, att_logits = attention_inputs(inputs["attention_metrics"], inputs["attention_truth"], test)
    jp_rows, jp_logits = pipeline_inputs(
        "joint_pipeline", inputs["pipeline_metrics"], inputs["pipeline_predictions"], test
    )
    cnn_rows, _ = pipeline_inputs("cnn", inputs["cnn_metrics"], inputs["cnn_predictions"], test)
    predictions = {
        "y": data["labels"][test].astype(int),
        "attention": att_logits,
        "joint_pipeline": jp_logits,
    }
    tests, result = compare_dataset(att_rows + jp_rows, predictions, margin, n_boot, 0, alpha)
    evidence = evidence_rows(att_rows + jp_rows + cnn_rows, inputs["floors"])
    accuracy = {r["model"]: r["mean"] for r in evidence if r["metric"] == "accuracy"}
    beats_floors = {
        m: all(accuracy[m] > accuracy[f] for f in accuracy if f.startswith(("gc_", "kmer")))
        for m in ("attention", "joint_pipeline", "cnn")
        if m in accuracy
    }
    verdict = [
        {"dataset": dataset, "verdict": result, "margin": margin, "alpha": alpha}
        | {f"accuracy_{m}": v for m, v in accuracy.items()}
        | {f"beats_floors_{m}": v for m, v in beats_floors.items()}
    ]
    write_tables(
        {
            out["tests"]: [{"dataset": dataset, **r} for r in tests],
            out["evidence"]: evidence,
            out["verdict"]: verdict,
        }
    )


def main(smk) -> None:
    keys = (
        "attention_metrics",
        "attention_truth",
        "pipeline_metrics",
        "pipeline_predictions",
        "cnn_metrics",
        "cnn_predictions",
    )
    inputs = {k: list(smk.input[k]) for k in keys} | {
        "encoded": smk.input.encoded,
        "floors": smk.input.floors,
    }
    p = smk.params
    out = {k: smk.output[k] for k in ("tests", "evidence", "verdict")}
    with rule_logging(smk.log[0], "compare_models"):
        run(inputs, p.margin, p.alpha, p.n_boot, smk.wildcards.dataset, out)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
