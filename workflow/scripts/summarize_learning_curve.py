"""Rule summarize_learning_curve: test accuracy of the reference Phase 1 model against data set size.

Each size is a re-drawn copy of one synthetic data set (same generator and seed,
``n_sequences`` replaced), with its own split; the PWM-oracle OR rule scored on
the same test split is the ceiling. Writes one row per size and seed and one
summary row per size (mean, SD over seeds, fraction of the ceiling), and a figure.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import json
import logging
from pathlib import Path

import numpy as np

from gsattn.io import atomic_outputs, read_table, write_table
from gsattn.logs import rule_logging
from gsattn.plots import learning_curve_figure

log = logging.getLogger("summarize_learning_curve")


def seed_rows(size: int, seed: int, metrics: str, hparams: str) -> dict:
    """One model's test accuracy and AUROC with its training cost."""
    test = {r["metric"]: r for r in read_table(metrics) if r["split"] == "test"}
    info = json.loads(Path(hparams).read_text())
    return {
        "n_sequences": size,
        "seed": seed,
        "accuracy": test["accuracy"]["value"],
        "auroc": test["auroc"]["value"],
        "n_test": test["accuracy"]["n"],
        "train_seconds": info["train_seconds"],
        "epochs_run": info["epochs_run"],
    }


def oracle_accuracy(path: str) -> float:
    found = [
        r["value"] for r in read_table(path) if (r["classifier"], r["metric"]) == ("or_rule", "accuracy")
    ]
    return float(found[0]) if found else float("nan")


def summary_rows(per_seed: list[dict], oracles: dict[int, float]) -> list[dict]:
    """Mean and SD over seeds of the test accuracy at each size, beside the oracle."""
    out = []
    for size in sorted({r["n_sequences"] for r in per_seed}):
        acc = np.array([r["accuracy"] for r in per_seed if r["n_sequences"] == size], dtype=float)
        mean, ceiling = float(acc.mean()), oracles[size]
        out.append(
            {
                "n_sequences": size,
                "n_seeds": int(acc.size),
                "mean": mean,
                "sd": float(acc.std(ddof=1)) if acc.size > 1 else float("nan"),
                "min": float(acc.min()),
                "max": float(acc.max()),
                "oracle_accuracy": ceiling,
                "fraction_of_oracle": mean / ceiling if ceiling > 0 else float("nan"),
            }
        )
    return out


def run(sizes: list[int], seeds: list[int], inputs: dict, threshold: float, out: dict) -> None:
    """Write the tables and figure.

    ``inputs`` lists metrics and hparams size-major (every seed of a size
    together), and one oracle table per size.
    """
    pairs = [(size, seed) for size in sizes for seed in seeds]
    per_seed = [
        seed_rows(size, seed, m, h)
        for (size, seed), m, h in zip(pairs, inputs["metrics"], inputs["hparams"], strict=True)
    ]
    oracles = {size: oracle_accuracy(p) for size, p in zip(sizes, inputs["oracle"], strict=True)}
    summary = summary_rows(per_seed, oracles)
    for row in summary:
        log.info(
            "n=%d: accuracy %.3f ± %.3f (oracle %.3f)",
            row["n_sequences"],
            row["mean"],
            row["sd"],
            row["oracle_accuracy"],
        )
    with atomic_outputs(out["table"], out["per_seed"], out["figure"]) as (table, seeds_path, figure):
        with open(table, "w") as handle:
            write_table(handle, summary)
        with open(seeds_path, "w") as handle:
            write_table(handle, per_seed)
        learning_curve_figure(summary, threshold, str(figure))


def main(smk) -> None:
    with rule_logging(smk.log[0], "summarize_learning_curve"):
        run(
            list(smk.params.sizes),
            list(smk.params.seeds),
            {k: list(smk.input[k]) for k in ("metrics", "hparams", "oracle")},
            smk.params.threshold,
            {k: smk.output[k] for k in ("table", "per_seed", "figure")},
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
