"""Across-seed summary of how well each model's attributions recover the planted motifs.

:func:`interpretability_summary` reads the motif-recovery rows that rule
``interpret_model`` writes (:func:`gsattn.recovery.summarize_recovery`, one
file per model, seed and attribution method) and summarises each metric over
seeds, with the paired difference of every model against attention
(:func:`gsattn.paired.paired_seed_tests`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import nan

import numpy as np

from gsattn.compare import MODEL_A, seed_key
from gsattn.paired import paired_seed_tests

INTERPRETABILITY_METRICS = ("auroc", "auprc", "enrichment", "top1")
INTERPRETABILITY_KEYS = (
    "model",
    "method",
    "metric",
    "n_seeds",
    "n_sequences",
    "mean",
    "sd",
    "min",
    "max",
    "chance",
    "difference_vs_attention",
    "ci_low",
    "ci_high",
    "p_value",
)


def interpretability_summary(rows: Sequence[Mapping], level: float = 0.95) -> list[dict]:
    """Across-seed summary of attribution-vs-motif-mask metrics of every model and method.

    Reads the rows of :func:`gsattn.recovery.summarize_recovery` that rule
    ``interpret_model`` writes (with ``model``, ``seed`` and ``method`` keys)
    and keeps group ``recovery``, motif ``all``, subset ``all``: every
    predictive (or known) motif, all test sequences that hold one.

    Parameters
    ----------
    rows : sequence of mapping
        Long rows; other groups, motifs, subsets and metrics are ignored.
    level : float
        Level of the t-interval of the paired difference.

    Returns
    -------
    list of dict
        One row per (model, method, metric) with :data:`INTERPRETABILITY_KEYS`:
        ``mean``/``sd``/``min``/``max`` over seeds of the per-seed mean,
        ``n_sequences`` the mean number of sequences scored, ``chance`` the
        metric's chance level. For a model other than attention and a method
        attention also has, ``difference_vs_attention`` is the mean over
        seeds of (model - attention), paired by seed, with its t-interval and
        the two-sided paired t-test p-value (NaN with fewer than 2 seeds).
    """
    cells: dict[tuple[str, str, str], dict[int, Mapping]] = {}
    for row in rows:
        if (row["group"], row["motif"], row["subset"]) != ("recovery", "all", "all"):
            continue
        if row["metric"] not in INTERPRETABILITY_METRICS:
            continue
        cell = cells.setdefault((row["model"], row["method"], row["metric"]), {})
        seed = seed_key(row["seed"])
        if seed in cell:
            raise ValueError(f"two rows for {row['model']}/{row['method']}/{row['metric']} seed {seed}")
        cell[seed] = row
    out = []
    for (model, method, metric), cell in sorted(cells.items()):
        seeds = sorted(cell)
        values = np.array([float(cell[s]["mean"]) for s in seeds])
        summary = dict.fromkeys(INTERPRETABILITY_KEYS, nan) | {
            "model": model,
            "method": method,
            "metric": metric,
            "n_seeds": len(seeds),
            "n_sequences": float(np.mean([float(cell[s]["n"]) for s in seeds])),
            "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)) if values.size > 1 else nan,
            "min": float(values.min()),
            "max": float(values.max()),
            "chance": float(np.mean([float(cell[s]["chance"]) for s in seeds])),
        }
        reference = cells.get((MODEL_A, method, metric))
        if model != MODEL_A and reference is not None:
            if sorted(reference) != seeds:
                raise ValueError(
                    f"{model}/{method}: seeds {seeds} differ from attention's {sorted(reference)}"
                )
            a = np.array([float(reference[s]["mean"]) for s in seeds])
            paired = paired_seed_tests(a, values, level=level)
            summary.update(
                difference_vs_attention=paired["mean_difference"],
                ci_low=paired["ci_low"],
                ci_high=paired["ci_high"],
                p_value=paired["t_p_value"],
            )
        out.append(summary)
    return out
