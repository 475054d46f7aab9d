"""The selector-cost frontier of Phase 2 (target ``frontier``, rule summarize_frontier).

At the trained length the student's selector, a convolution over every
position, costs most of its FLOPs, so the whole-model reduction is set by the
selector's size, not by ``rho`` alone. The frontier trains students over a grid
of selectors declared in config ``phase2.frontier.selectors`` (options over
``phase2.model``) at every rho and puts each point's accuracy fraction, FLOPs,
time and share of the sequence seen side by side (:func:`frontier_rows`).

**Design-point rule** (written before the run, config ``phase2.frontier.tolerance``;
:func:`choose_design_points`): at each rho, among the selectors whose mean
validation accuracy fraction (mean validation accuracy of the students over
seeds ÷ that of their teachers, :func:`validation_fraction`) is within
``tolerance`` of the best selector's, the one with the fewest whole-model FLOPs
at the trained length; ties go to the selector listed first. Only the
validation split enters the choice; the chosen point's criteria are then read
from its test-split criteria table.

**Lengths**: :func:`passes_from` finds, for each selector and rho, the shortest
length from which ``1 − FLOPs(student) / FLOPs(teacher)`` reaches the threshold
(closed-form counts of :mod:`gsattn.flops`; the student's cost is affine in L,
full attention's quadratic).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from gsattn.criteria import as_number
from gsattn.flops import attention_block_flops, attention_flops, sparse_block_flops, sparse_flops
from gsattn.models import ModelConfig
from gsattn.sparse import SparseConfig
from gsattn.stats import accuracy_from_logits

log = logging.getLogger(__name__)

#: Growth factor of the length grid :func:`passes_from` scans before it narrows down.
GRID_FACTOR = 2 ** (1 / 8)


def reduction(sparse: SparseConfig, teacher: ModelConfig, length: int, block: bool = False) -> float:
    """``1 − FLOPs(student) / FLOPs(teacher)`` per sequence at ``length`` (closed form).

    ``block``: the student's replacement path against the teacher's attention block only
    (:func:`gsattn.flops.sparse_block_flops`, :func:`gsattn.flops.attention_block_flops`);
    else both whole models, embedding to logit."""
    if block:
        return 1.0 - sparse_block_flops(sparse, length) / attention_block_flops(teacher, length)
    return 1.0 - sparse_flops(sparse, length)["total"] / attention_flops(teacher, length)["total"]


def passes_from(
    sparse: SparseConfig, teacher: ModelConfig, threshold: float, max_length: int, block: bool = False
) -> int | None:
    """Shortest length ``L <= max_length`` at which :func:`reduction` reaches ``threshold``,
    or ``None`` if none does.

    Scans a geometric grid (factor :data:`GRID_FACTOR`) for the first grid length that
    passes, then every integer length between it and the grid length before it, so the
    answer is exact wherever the reduction does not dip back below the threshold between
    two grid points (it grows with L but for the rounding of ``k = ceil(rho L)``)."""

    def passes(length: int) -> bool:
        return reduction(sparse, teacher, length, block) >= threshold

    previous, length = 0, 1
    while previous < max_length:
        length = min(length, max_length)  # the longest length is always probed
        if passes(length):
            return next(c for c in range(previous + 1, length + 1) if passes(c))
        previous, length = length, max(length + 1, math.floor(length * GRID_FACTOR))
    return None


def validation_fraction(
    labels: Sequence[np.ndarray], full: Sequence[np.ndarray], sparse: Sequence[np.ndarray]
) -> float:
    """Mean validation accuracy of the students over seeds ÷ that of their teachers.

    Parameters
    ----------
    labels, full, sparse
        One array ``(N_s,)`` per seed: validation labels and teacher / student logits.
    """
    if not labels:
        raise ValueError("no seeds")
    acc_full = np.mean([accuracy_from_logits(y, f) for y, f in zip(labels, full, strict=True)])
    acc_sparse = np.mean([accuracy_from_logits(y, s) for y, s in zip(labels, sparse, strict=True)])
    return float(acc_sparse / acc_full) if acc_full > 0 else float("nan")


def choose_design_points(points: Sequence[dict], tolerance: float) -> dict:
    """The design point of each rho (module docstring's rule).

    Parameters
    ----------
    points
        One dict per (selector, rho) with ``selector``, ``rho``, ``val_accuracy_fraction``
        and ``flops`` (whole model, trained length), in grid order.
    tolerance
        How far below the best validation accuracy fraction a selector may be.

    Returns
    -------
    dict
        rho → the chosen point (one of ``points``), with ``best_val_accuracy_fraction`` and
        ``eligible`` (the selectors within ``tolerance``) added.
    """
    chosen = {}
    for rho in dict.fromkeys(p["rho"] for p in points):
        group = [p for p in points if p["rho"] == rho and np.isfinite(p["val_accuracy_fraction"])]
        if not group:
            log.warning("rho %s: no selector has a finite validation accuracy fraction", rho)
            continue
        best = max(p["val_accuracy_fraction"] for p in group)
        eligible = [p for p in group if p["val_accuracy_fraction"] >= best - tolerance - 1e-12]
        pick = min(eligible, key=lambda p: p["flops"])  # min keeps the first of equal FLOPs
        chosen[rho] = pick | {
            "best_val_accuracy_fraction": best,
            "eligible": [p["selector"] for p in eligible],
        }
    return chosen


def criteria_by_rho(rows: Sequence[dict]) -> dict:
    """``(criterion, rho) -> row`` of one selector's Phase 2 criteria table (``rho`` as a float;
    NaN for the ``all`` rows)."""
    return {(r["criterion"], as_number(r["rho"])): r for r in rows}


def point_row(
    selector: str,
    options: dict,
    rho: float,
    criteria: dict,
    metrics: dict,
    compute: dict,
    val_fraction: float,
    lengths: dict,
) -> dict:
    """One (selector, rho) row of the frontier table.

    Parameters
    ----------
    selector, options
        Grid name and the full selector options (kernel, channels, separable).
    criteria
        ``(criterion, rho) -> row`` of the selector's criteria table (:func:`criteria_by_rho`).
    metrics
        ``(rho, metric) -> mean over seeds`` of its metrics summary.
    compute
        ``metric -> value`` of its compute profile at this rho.
    val_fraction
        :func:`validation_fraction` of its students at this rho.
    lengths
        ``passes_from_length``, ``passes_from_length_attention_block``, ``teacher_flops``.
    """

    def crit(name: str, key: str = "measured"):
        row = criteria.get((name, rho))
        return row.get(key, "NA") if row else "NA"

    return {
        "selector": selector,
        "rho": rho,
        "selector_kernel": options["selector_kernel"],
        "selector_channels": options["selector_channels"],
        "selector_separable": bool(options.get("selector_separable", False)),
        "accuracy_fraction": as_number(crit("accuracy_fraction")),
        "accuracy_fraction_ci_low": as_number(crit("accuracy_fraction", "ci_low")),
        "accuracy_fraction_ci_high": as_number(crit("accuracy_fraction", "ci_high")),
        "accuracy_fraction_verdict": crit("accuracy_fraction", "verdict"),
        "val_accuracy_fraction": val_fraction,
        "cosine": metrics.get((rho, "cosine"), float("nan")),
        "mse": metrics.get((rho, "mse"), float("nan")),
        "selection_p": as_number(crit("selection_is_motifs")),
        "selection_verdict": crit("selection_is_motifs", "verdict"),
        "flops": as_number(compute.get("flops_analytical")),
        "flops_attention_block": as_number(compute.get("flops_analytical_attention_block")),
        "teacher_flops": lengths["teacher_flops"],
        "compute_reduction": as_number(crit("compute_reduction")),
        "compute_reduction_attention_block": as_number(crit("compute_reduction_attention_block")),
        "time_per_batch_s": as_number(compute.get("time_per_batch_median")),
        "throughput": as_number(compute.get("throughput")),
        "sequence_seen": as_number(crit("sequence_seen")),
        "sequence_seen_ci_low": as_number(crit("sequence_seen", "ci_low")),
        "sequence_seen_ci_high": as_number(crit("sequence_seen", "ci_high")),
        "selected_share": as_number(crit("sequence_seen", "threshold")),
        "trained_length": int(as_number(compute.get("length"))),
        "passes_from_length": lengths["passes_from_length"],
        "passes_from_length_attention_block": lengths["passes_from_length_attention_block"],
    }


def _length_text(length: int | None, max_length: int) -> str:
    return f"L = {length:,}" if length is not None else f"not by L = {max_length:,}"


def design_point_row(point: dict, tolerance: float) -> dict:
    """The ``design_point`` row of one rho (the choice and the numbers it rests on)."""
    return {
        "selector": point["selector"],
        "criterion": "design_point",
        "rho": point["rho"],
        "measured": point["val_accuracy_fraction"],
        "ci_low": np.nan,
        "ci_high": np.nan,
        "threshold": point["best_val_accuracy_fraction"] - tolerance,
        "verdict": "chosen",
        "evidence": (
            "chosen on the validation split: fewest whole-model FLOPs "
            f"({point['flops']:,.0f}/sequence) among the selectors within {tolerance:g} of the best "
            "validation accuracy fraction "
            f"({point['best_val_accuracy_fraction']:.3f}): {', '.join(point['eligible'])}; measured = its "
            "validation accuracy fraction, threshold = best - tolerance"
        ),
    }


def length_row(point: dict, threshold: float, max_length: int) -> dict:
    """``compute_reduction_from_length``: from which length the chosen point's whole-model
    reduction reaches ``threshold`` (closed form)."""
    length, trained = point["passes_from_length"], point["trained_length"]
    if length is None:
        verdict = "does not hold"
    else:
        verdict = "holds" if length <= trained else "does not hold"
    return {
        "selector": point["selector"],
        "criterion": "compute_reduction_from_length",
        "rho": point["rho"],
        "measured": np.nan if length is None else length,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "threshold": threshold,
        "verdict": verdict,
        "evidence": (
            f"whole-model reduction reaches {threshold:g} from {_length_text(length, max_length)} on "
            f"(trained length {trained}; attention block only: from "
            f"{_length_text(point['passes_from_length_attention_block'], max_length)}); holds when that is "
            "at or below the trained length; closed-form FLOPs"
        ),
    }


def target_row(rows: Sequence[dict], criteria: dict) -> dict:
    """``frontier_target``: does any point reach ``accuracy_fraction`` of full accuracy with a
    ``compute_reduction`` whole-model reduction at the trained length?

    ``holds`` when some point's accuracy-fraction verdict holds (CI lower bound at or above
    the threshold) with the reduction met; ``inconclusive`` when only point estimates reach
    both; else ``does not hold``. ``measured``: the points whose estimates reach both."""
    need_acc, need_cut = criteria["accuracy_fraction"], criteria["compute_reduction"]
    both = [r for r in rows if r["accuracy_fraction"] >= need_acc and r["compute_reduction"] >= need_cut]
    sure = [r for r in both if r["accuracy_fraction_verdict"] == "holds"]
    verdict = "holds" if sure else ("inconclusive" if both else "does not hold")
    accurate = [r for r in rows if r["accuracy_fraction"] >= need_acc]
    cheap = [r for r in rows if r["compute_reduction"] >= need_cut]
    best_cut = max(accurate, key=lambda r: r["compute_reduction"], default=None)
    best_acc = max(cheap, key=lambda r: r["accuracy_fraction"], default=None)
    parts = [f"{len(both)} of {len(rows)} points reach both"]
    if best_cut:
        parts.append(
            f"largest reduction with accuracy fraction >= {need_acc:g}: {best_cut['compute_reduction']:.3f} "
            f"({best_cut['selector']}, rho {best_cut['rho']:g})"
        )
    if best_acc:
        parts.append(
            f"best accuracy fraction with reduction >= {need_cut:g}: {best_acc['accuracy_fraction']:.3f} "
            f"({best_acc['selector']}, rho {best_acc['rho']:g})"
        )
    return {
        "selector": "any",
        "criterion": "frontier_target",
        "rho": "all",
        "measured": len(both),
        "ci_low": np.nan,
        "ci_high": np.nan,
        "threshold": np.nan,
        "verdict": verdict,
        "evidence": "; ".join(parts) + " (test split, trained length, whole model)",
    }


def frontier_criteria(
    rows: Sequence[dict],
    tables: dict[str, Sequence[dict]],
    chosen: dict,
    criteria: dict,
    tolerance: float,
    max_length: int,
) -> list[dict]:
    """The criteria table of the frontier: per rho, the design point and its test-split Phase 2
    criteria (from its own criteria table), the length from which its reduction holds; then
    :func:`target_row`. Every row names its ``selector``."""
    out = []
    for rho, point in chosen.items():
        out.append(design_point_row(point, tolerance))
        for r in tables[point["selector"]]:
            if as_number(r["rho"]) == rho:
                out.append({"selector": point["selector"], **r})
        out.append(length_row(point, criteria["compute_reduction"], max_length))
    out.append(target_row(rows, criteria))
    return out


def _label_anchor(group: Sequence[dict]) -> tuple[float, float] | None:
    """The point a selector's one label points at: its highest finite accuracy fraction over
    rho (ties: the first row), as ``(compute_reduction, accuracy_fraction)``; ``None`` if none."""
    points = [
        (r["compute_reduction"], r["accuracy_fraction"])
        for r in group
        if np.isfinite(r["compute_reduction"]) and np.isfinite(r["accuracy_fraction"])
    ]
    return max(points, key=lambda p: p[1]) if points else None


def label_selectors(ax, rows: Sequence[dict]) -> list:
    """One text label per selector (grid order) with a leader line to :func:`_label_anchor`,
    above right of it, or above left in the right third of the axes; then moved apart
    (:func:`gsattn.plots.separate_labels`). Returns the annotations."""
    from gsattn.plots import separate_labels

    left, right = ax.get_xlim()
    labels = []
    for name in dict.fromkeys(r["selector"] for r in rows):
        anchor = _label_anchor([r for r in rows if r["selector"] == name])
        if anchor is None:
            continue
        flip = anchor[0] > left + 2 * (right - left) / 3
        labels.append(
            ax.annotate(
                name,
                anchor,
                textcoords="offset points",
                xytext=(-10 if flip else 10, 10),
                ha="right" if flip else "left",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "0.7", "lw": 0.5, "alpha": 0.85},
                arrowprops={"arrowstyle": "-", "color": "0.4", "lw": 0.6, "shrinkA": 0, "shrinkB": 4},
            )
        )
    separate_labels(ax, labels, pad=3.0)
    return labels


def _frontier_curves(ax, rows: Sequence[dict]) -> None:
    """One error-bar curve per rho through its selectors (by reduction), design points starred."""
    for rho in sorted({r["rho"] for r in rows}):
        group = sorted((r for r in rows if r["rho"] == rho), key=lambda r: r["compute_reduction"])
        x = np.array([r["compute_reduction"] for r in group])
        y = np.array([r["accuracy_fraction"] for r in group])
        low = np.array([r["accuracy_fraction_ci_low"] for r in group])
        high = np.array([r["accuracy_fraction_ci_high"] for r in group])
        err = np.vstack([np.clip(y - low, 0, None), np.clip(high - y, 0, None)])
        line = ax.errorbar(x, y, yerr=np.nan_to_num(err), marker="o", capsize=3, label=f"rho = {rho:g}")
        for r, xi, yi in zip(group, x, y, strict=True):
            if r.get("design_point") == "yes":
                ax.plot(xi, yi, marker="*", markersize=15, color=line[0].get_color(), markeredgecolor="k")


def frontier_axes(rows: Sequence[dict], criteria: dict, title: str = ""):
    """The figure of :func:`frontier_figure` (matplotlib ``Figure``, drawn, not saved)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    need_acc, need_cut = criteria["accuracy_fraction"], criteria["compute_reduction"]
    ax.fill_between([need_cut, 1.0], need_acc, 10, color="tab:green", alpha=0.12, label="design's target")
    _frontier_curves(ax, rows)
    values = [r["accuracy_fraction"] for r in rows if np.isfinite(r["accuracy_fraction"])]
    top = max([need_acc, *values]) + 0.05
    bottom = min([need_acc, *values]) - 0.05
    ax.set_ylim(bottom, top)
    cuts = [r["compute_reduction"] for r in rows if np.isfinite(r["compute_reduction"])]
    ax.set_xlim(min([need_cut, *cuts]) - 0.05, 1.0)
    ax.axhline(need_acc, color="grey", lw=0.8, ls="--")
    ax.axvline(need_cut, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("whole-model compute reduction at the trained length (1 - FLOPs sparse / full)")
    ax.set_ylabel("test accuracy fraction (sparse / full), 95% CI")
    ax.set_title(title or "selector-cost frontier (star: design point chosen on validation)")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    label_selectors(ax, rows)
    return fig


def frontier_figure(rows: Sequence[dict], criteria: dict, path: str, title: str = "") -> None:
    """Accuracy fraction (test, 95 % CI) against whole-model compute reduction at the trained
    length, one curve per rho through its selectors, design points starred, each selector
    labelled once (labels kept apart), the design's target region (reduction >= threshold,
    accuracy fraction >= threshold) shaded (PNG; :func:`frontier_axes`)."""
    import matplotlib.pyplot as plt

    fig = frontier_axes(rows, criteria, title)
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
