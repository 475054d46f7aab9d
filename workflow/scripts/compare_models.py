"""Rule compare_models: traditional attention against the joint pipeline, head to head.

Attention is Phase 1's reference model, the joint pipeline Phase 3's; both
were trained on the same data, splits and seeds (a seed varies initialisation
and batch order; the data and split are fixed by the data set's seed, unless
``data_seeds`` gives every seed its own draw: the encoded files and floors then
come one per seed, and seed ``s`` of both models is compared on its own test
set). Paired
tests across seeds (t, the primary test by default; Wilcoxon as a robustness
column), TOST equivalence within the configured margin, a two-level bootstrap
(seeds, then test sequences) of the differences and McNemar's test per seed
(Holm within this data set; rule ``declare_verdicts`` re-adjusts across data
sets and declares the verdict with the rules of :mod:`gsattn.compare`). The
CNN rival and the GC / k-mer floors are listed beside them, so "superior" is
read against more than one model.

The metrics tables carry their own ``seed`` column; the seeds of the ``.npz``
files come from the rule (``params.seeds``, in the order of the files).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import json
import logging
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from gsattn.compare import compare_dataset
from gsattn.datasets import load_encoded
from gsattn.inference import example_tokens
from gsattn.io import atomic_outputs, read_table, write_tables
from gsattn.logs import rule_logging
from gsattn.measure import throughput
from gsattn.models import load_model
from gsattn.pipeline import load_pipeline
from gsattn.plots import forest_figure, paired_seeds_figure

log = logging.getLogger("compare_models")


def test_rows(model: str, metrics: list[str]) -> list[dict]:
    """Per-seed test metrics of ``model`` (seeds from the tables' ``seed`` column)."""
    return [
        {"model": model, "seed": r["seed"], "metric": r["metric"], "value": r["value"]}
        for path in metrics
        for r in read_table(path)
        if r["split"] == "test"
    ]


def _seed_test(test: np.ndarray | dict, seed: int) -> np.ndarray:
    """The test rows of ``seed``: shared, or (``data_seeds``) ``test[seed]``, its own draw's."""
    return test[seed] if isinstance(test, dict) else test


def attention_inputs(
    metrics: list[str], truths: list[str], seeds: list[int], test: np.ndarray | dict
) -> tuple[list[dict], dict]:
    """Per-seed test metrics and test logits of the attention models (``seeds[i]``: the
    seed of ``truths[i]``; ``test``: the shared test rows, or seed → its own)."""
    logits = {}
    for seed, path in zip(seeds, truths, strict=True):
        with np.load(path, allow_pickle=False) as gt:
            logits[seed] = gt["logits"][_seed_test(test, seed)]
    return test_rows("attention", metrics), logits


def pipeline_inputs(
    model: str, metrics: list[str], predictions: list[str], seeds: list[int], test: np.ndarray | dict
) -> tuple[list[dict], dict]:
    """Per-seed test metrics and test logits of a Phase 3 model (``seeds[i]``: the seed of
    ``predictions[i]``; ``test``: the shared test rows, or seed → its own)."""
    logits = {}
    for seed, path in zip(seeds, predictions, strict=True):
        with np.load(path, allow_pickle=False) as pred:
            if pred["rows"].tolist() != _seed_test(test, seed).tolist():
                raise ValueError(f"{path}: test rows differ from the encoded data")
            logits[seed] = pred["logits"]
    return test_rows(model, metrics), logits


def floor_rows(floors: str | list[str]) -> list[dict]:
    """The floors table; with ``data_seeds`` (one table per seed's draw) the mean over the draws."""
    if isinstance(floors, str):
        return read_table(floors)
    groups = defaultdict(list)
    for path in floors:
        for r in read_table(path):
            groups[(r["model"], r["metric"])].append(float(r["value"]))
    return [{"model": m, "metric": k, "value": float(np.mean(v))} for (m, k), v in groups.items()]


def evidence_rows(per_seed: list[dict], floors: str | list[str]) -> list[dict]:
    """Mean and SD over seeds of every model's test metrics, then the floors (with
    ``data_seeds``: their mean over the seeds' draws)."""
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
        for r in floor_rows(floors)
    ]
    return rows


def seconds_to_best(history: str) -> float:
    """Wall time from the start of training to the end of the best (lowest validation loss) epoch."""
    rows = read_table(history)
    return float(min(rows, key=lambda r: r["val_loss"])["seconds"])


def efficiency_rows(inputs: dict, length: int, batch_size: int = 64) -> list[dict]:
    """Parameters, FLOPs per sequence, training time to the best epoch (mean over seeds)
    and inference throughput (first seed, batch 64, this CPU) of the compared models."""
    torch.set_num_threads(1)
    tokens = example_tokens(batch_size, length)
    teacher_compute = {r["metric"]: r["value"] for r in read_table(inputs["attention_compute"])}
    attention, _ = load_model(inputs["attention_models"][0], inputs["attention_hparams"][0])
    to_best = np.mean([seconds_to_best(h) for h in inputs["attention_history"]])
    rows = [
        {
            "model": "attention",
            "parameters": teacher_compute["parameters"],
            "flops_per_sequence": teacher_compute["flops_analytical"],
            "seconds_to_best_epoch": to_best,
            "sequences_per_second": throughput(attention, tokens)["sequences_per_second"],
        }
    ]
    for name in ("joint_pipeline", "cnn"):
        model, info = load_pipeline(inputs[f"{name}_models"][0], inputs[f"{name}_hparams"][0])
        infos = [json.loads(Path(h).read_text()) for h in inputs[f"{name}_hparams"]]
        rows.append(
            {
                "model": name,
                "parameters": info["n_parameters"],
                "flops_per_sequence": info["flops"],
                "seconds_to_best_epoch": float(np.mean([i["seconds_to_best"] for i in infos])),
                "sequences_per_second": throughput(model, tokens)["sequences_per_second"],
            }
        )
    return rows


FOREST_NAMES = {"paired_t": "paired t, seeds", "bootstrap": "two-level bootstrap"}
"""The across-seed intervals drawn in the forest plot, by test."""


def figures(per_seed: list[dict], tests: list[dict], out: dict) -> None:
    """Paired per-seed accuracy plot and a forest plot of the differences."""
    values: dict[str, dict[int, float]] = defaultdict(dict)
    for r in per_seed:
        if r["metric"] == "accuracy":
            values[r["model"]][r["seed"]] = float(r["value"])
    paired_seeds_figure(dict(values), "accuracy", out["paired"])
    forest = [
        {
            "name": f"{r['metric']} ({FOREST_NAMES[r['test']]})",
            "estimate": r["estimate"],
            "ci_low": r["ci_low"],
            "ci_high": r["ci_high"],
        }
        for r in tests
        if r["test"] in FOREST_NAMES and np.isfinite(r["ci_low"])
    ]
    forest_figure(
        forest or [{"name": "no interval", "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0}], out["forest"]
    )


def run(
    inputs: dict,
    margin: float,
    alpha: float,
    n_boot: int,
    dataset: str,
    out: dict,
    primary_test: str = "paired_t",
    n_datasets: int = 1,
    seeds: list[int] | None = None,
) -> None:
    """Compare the models of one data set and write tests, evidence and verdict.

    ``seeds`` are the seeds of the ``.npz`` inputs, in their order (every model
    has one file per seed, in the same order).

    ``primary_test`` and ``n_datasets`` (the data sets the verdicts are
    declared across) are checked first: the primary test must be able to
    reach ``alpha`` (:func:`gsattn.verdicts.check_primary_reachable`).
    """
    if isinstance(inputs["encoded"], str):
        data = load_encoded(inputs["encoded"])
        test = np.flatnonzero(data["split"] == "test")
        y = data["labels"][test].astype(int)
    else:  # data_seeds: every seed on its own draw, in the order of seeds
        draws = {s: load_encoded(path) for s, path in zip(seeds, inputs["encoded"], strict=True)}
        test = {s: np.flatnonzero(d["split"] == "test") for s, d in draws.items()}
        y = {s: draws[s]["labels"][test[s]].astype(int) for s in seeds}
        data = draws[seeds[0]]
    att_rows, att_logits = attention_inputs(
        inputs["attention_metrics"], inputs["attention_truth"], seeds, test
    )
    jp_rows, jp_logits = pipeline_inputs(
        "joint_pipeline", inputs["pipeline_metrics"], inputs["pipeline_predictions"], seeds, test
    )
    cnn_rows, _ = pipeline_inputs("cnn", inputs["cnn_metrics"], inputs["cnn_predictions"], seeds, test)
    predictions = {
        "y": y,
        "attention": att_logits,
        "joint_pipeline": jp_logits,
    }
    tests, within = compare_dataset(
        att_rows + jp_rows, predictions, margin, n_boot, 0, alpha, primary_test, n_datasets
    )
    log.info("%s: %s (Holm within this data set; declare_verdicts adjusts across data sets)", dataset, within)
    evidence = evidence_rows(att_rows + jp_rows + cnn_rows, inputs["floors"])
    efficiency = efficiency_rows(inputs, data["tokens"].shape[1])
    write_tables(
        {
            out["per_seed"]: att_rows + jp_rows + cnn_rows,
            out["tests"]: [{"dataset": dataset, **r} for r in tests],
            out["evidence"]: evidence,
            out["efficiency"]: efficiency,
        }
    )
    with atomic_outputs(out["paired"], out["forest"]) as (paired, forest):
        figures(att_rows + jp_rows + cnn_rows, tests, {"paired": str(paired), "forest": str(forest)})


def main(smk) -> None:
    keys = (
        "attention_metrics",
        "attention_truth",
        "pipeline_metrics",
        "pipeline_predictions",
        "cnn_metrics",
        "cnn_predictions",
        "attention_models",
        "attention_hparams",
        "attention_history",
        "joint_pipeline_models",
        "joint_pipeline_hparams",
        "cnn_models",
        "cnn_hparams",
    )
    inputs = {k: list(smk.input[k]) for k in keys} | {
        "encoded": list(smk.input.encoded) if smk.params.data_seeds else smk.input.encoded,
        "floors": list(smk.input.floors) if smk.params.data_seeds else smk.input.floors,
        "attention_compute": smk.input.attention_compute,
    }
    p = smk.params
    out = {k: smk.output[k] for k in ("per_seed", "tests", "evidence", "efficiency", "paired", "forest")}
    with rule_logging(smk.log[0], "compare_models"):
        run(inputs, p.margin, p.alpha, p.n_boot, p.dataset, out, p.primary_test, p.n_datasets, list(p.seeds))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
