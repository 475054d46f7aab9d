"""Figures of the workflow (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

log = logging.getLogger(__name__)

ROLE_COLOURS = {"predictive": "tab:red", "known": "tab:red", "decoy": "tab:grey"}


def _shade_sites(ax, motif_row: np.ndarray, roles: Sequence[str], offset: int = 0) -> None:
    """Shade the ``(L,)`` motif-index runs of one sequence on ``ax`` (x = position + offset)."""
    pos = 0
    while pos < motif_row.shape[0]:
        if motif_row[pos] < 0:
            pos += 1
            continue
        end = pos
        while end < motif_row.shape[0] and motif_row[end] == motif_row[pos]:
            end += 1
        colour = ROLE_COLOURS.get(roles[motif_row[pos]], "tab:red")
        ax.axvspan(pos + offset - 0.5, end + offset - 0.5, color=colour, alpha=0.25, lw=0)
        pos = end


def attention_maps_figure(
    maps: np.ndarray,
    received: np.ndarray,
    motif_index: np.ndarray,
    roles: Sequence[str],
    titles: Sequence[str],
    path: str,
) -> None:
    """Attention heat maps of example sequences with their planted sites.

    Parameters
    ----------
    maps : numpy.ndarray
        ``(S, L', L')`` attention maps averaged over heads (rows: queries).
    received : numpy.ndarray
        ``(S, L)`` attention received per position (mean over heads).
    motif_index : numpy.ndarray
        ``(S, L)`` motif index per position (-1: background).
    """
    n = maps.shape[0]
    fig, axes = plt.subplots(2, n, figsize=(3.2 * n, 5.6), squeeze=False, height_ratios=[1, 3])
    offset = maps.shape[-1] - received.shape[-1]  # 1 with a CLS token
    has_sites = bool((np.asarray(motif_index) >= 0).any())
    for j in range(n):
        top, heat = axes[0, j], axes[1, j]
        top.plot(np.arange(received.shape[1]) + offset, received[j], lw=0.8, color="black")
        _shade_sites(top, motif_index[j], roles, offset)
        top.set_title(titles[j], fontsize=8)
        top.set_xlim(-0.5, maps.shape[-1] - 0.5)
        top.set_ylabel(("received (CLS row)" if offset else "received") if j == 0 else "")
        heat.imshow(maps[j], aspect="auto", cmap="viridis", interpolation="nearest")
        _shade_sites(heat, motif_index[j], roles, offset)
        heat.set_xlabel("key position")
        heat.set_ylabel("query position" if j == 0 else "")
    shading = "shaded: planted sites (red predictive, grey decoy)" if has_sites else "no known sites"
    fig.suptitle(f"Attention (mean over heads); {shading}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def motif_centred_profile(
    scores: np.ndarray, motif_index: np.ndarray, lengths: np.ndarray, motif_ids: Sequence[int], flank: int
) -> tuple[np.ndarray, int]:
    """Mean of ``(N, L)`` scores × L (1 = uniform) at offsets −flank..flank around the
    centres of sites of ``motif_ids``; returns ``(2·flank+1,)`` profile and the site count."""
    total, count, n_sites = np.zeros(2 * flank + 1), np.zeros(2 * flank + 1), 0
    for i in range(scores.shape[0]):
        norm = scores[i, : lengths[i]] * lengths[i] / max(scores[i, : lengths[i]].sum(), 1e-12)
        row = motif_index[i, : lengths[i]]
        starts = np.flatnonzero(np.isin(row, motif_ids) & (np.r_[-1, row[:-1]] != row))
        for start in starts:
            end = start
            while end < row.shape[0] and row[end] == row[start]:
                end += 1
            centre = (start + end - 1) // 2
            lo, hi = max(0, centre - flank), min(row.shape[0], centre + flank + 1)
            total[lo - centre + flank : hi - centre + flank] += norm[lo:hi]
            count[lo - centre + flank : hi - centre + flank] += 1
            n_sites += 1
    with np.errstate(invalid="ignore"):
        return total / count, n_sites


def meta_profile_figure(profiles: dict[str, dict[str, np.ndarray]], flank: int, path: str) -> None:
    """Lines of motif-centred profiles: ``profiles[panel][line] = (2·flank+1,)``."""
    fig, axes = plt.subplots(1, len(profiles), figsize=(4 * len(profiles), 3.2), squeeze=False, sharey=True)
    x = np.arange(-flank, flank + 1)
    for ax, (panel, lines) in zip(axes[0], profiles.items(), strict=True):
        for name, values in lines.items():
            ax.plot(x, values, label=name, lw=1.2)
        if not lines:
            ax.text(0.5, 0.5, "no ground-truth sites in this data set", ha="center", transform=ax.transAxes)
        ax.axhline(1.0, color="black", lw=0.6, ls="--")
        ax.set_xlim(-flank, flank)
        ax.set_title(panel, fontsize=9)
        ax.set_xlabel("offset from motif centre (bp)")
    axes[0, 0].set_ylabel("mean score × L (1 = uniform)")
    if axes[0, -1].get_legend_handles_labels()[0]:
        axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def paired_seeds_figure(values: dict[str, dict[int, float]], metric: str, path: str) -> None:
    """Per-seed ``metric`` of each model, seeds joined by lines (``values[model][seed]``)."""
    models = list(values)
    seeds = sorted(set.intersection(*(set(v) for v in values.values())))
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(models), 3.4))
    for seed in seeds:
        ax.plot(range(len(models)), [values[m][seed] for m in models], color="grey", lw=0.8, alpha=0.7)
    for i, model in enumerate(models):
        ax.scatter([i] * len(seeds), [values[model][s] for s in seeds], zorder=3, label=model)
    ax.set_xticks(range(len(models)), models, rotation=15)
    ax.set_ylabel(f"test {metric}")
    ax.set_title(f"{len(seeds)} seeds, paired", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def forest_figure(rows: Sequence[dict], path: str, label: str = "joint pipeline − attention") -> None:
    """Estimates with CIs, one line per row (``name``, ``estimate``, ``ci_low``, ``ci_high``)."""
    fig, ax = plt.subplots(figsize=(5.5, 0.45 * len(rows) + 1.2))
    for i, row in enumerate(rows):
        ax.errorbar(
            row["estimate"],
            i,
            xerr=[[row["estimate"] - row["ci_low"]], [row["ci_high"] - row["estimate"]]],
            fmt="o",
            color="black",
            capsize=3,
        )
    ax.axvline(0.0, color="tab:red", lw=0.8, ls="--")
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel(f"difference ({label}), 95% CI")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def learning_curve_figure(rows: Sequence[dict], threshold: float, path: str) -> None:
    """Test accuracy (mean ± SD over seeds) against data set size, with the PWM-oracle ceiling.

    ``rows`` have ``n_sequences``, ``mean``, ``sd`` and ``oracle_accuracy``.
    """
    rows = sorted(rows, key=lambda r: r["n_sequences"])
    sizes = [r["n_sequences"] for r in rows]
    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    ax.errorbar(
        sizes,
        [r["mean"] for r in rows],
        yerr=[r["sd"] for r in rows],
        fmt="o-",
        capsize=3,
        label="attention model (mean ± SD over seeds)",
    )
    ax.plot(
        sizes,
        [r["oracle_accuracy"] for r in rows],
        "s--",
        color="tab:grey",
        label="PWM-scan OR rule (knows the matrices)",
    )
    ax.axhline(threshold, color="tab:red", lw=0.8, ls=":", label=f"design target {threshold:g}")
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("sequences in the data set (70 % train)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def text_boxes(texts: Sequence, renderer=None) -> np.ndarray:
    """``(T, 4)`` display-pixel boxes ``x0, y0, x1, y1`` of the texts themselves (an annotation's
    leader line left out), as drawn by ``renderer`` (default: their figure's)."""
    from matplotlib.text import Text

    if renderer is None and texts:
        texts[0].figure.canvas.draw()
        renderer = texts[0].figure.canvas.get_renderer()
    return np.array([Text.get_window_extent(t, renderer).extents for t in texts]).reshape(-1, 4)


def _push_apart(boxes: np.ndarray, shift: np.ndarray, pad: float) -> bool:
    """One pass over the pairs of ``(T, 4)`` ``boxes`` (moved by ``(T, 2)`` ``shift``): a pair that
    overlaps (within ``pad`` pixels) is pushed apart vertically, the upper box (ties: the later
    one) up by half the overlap and a quarter pixel, the other down as far (so that a pair held
    at an edge still ends apart in a few passes). Returns whether anything moved."""
    moved = False
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i] + np.tile(shift[i], 2), boxes[j] + np.tile(shift[j], 2)
            over_x = min(a[2], b[2]) - max(a[0], b[0]) + pad
            over_y = min(a[3], b[3]) - max(a[1], b[1]) + pad
            if over_x > 0 and over_y > 0:
                up, down = (i, j) if a[1] + a[3] > b[1] + b[3] else (j, i)
                shift[up, 1] += over_y / 2 + 0.25
                shift[down, 1] -= over_y / 2 + 0.25
                moved = True
    return moved


def _keep_inside(boxes: np.ndarray, shift: np.ndarray, frame: np.ndarray) -> None:
    """Move each shifted box back inside ``frame`` (``x0, y0, x1, y1``) where it sticks out."""
    for k, box in enumerate(boxes):
        x0, y0, x1, y1 = box + np.tile(shift[k], 2)
        shift[k, 0] += max(frame[0] - x0, 0) - max(x1 - frame[2], 0)
        shift[k, 1] += max(frame[1] - y0, 0) - max(y1 - frame[3], 0)


def separate_labels(ax, texts: Sequence, pad: float = 2.0, rounds: int = 200) -> bool:
    """Move annotations (``textcoords="offset points"``) so that no two texts overlap and each
    stays inside ``ax``; call it after the axes' limits and layout are final.

    The texts' boxes are measured once on the drawn figure, then pushed apart vertically and
    kept inside the axes for at most ``rounds`` passes; the shifts go into each annotation's
    offset (points, so they hold at any dpi). Deterministic. Returns whether the texts end up
    apart (``False``: too many for the axes' height; a warning is logged).
    """
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = text_boxes(texts, renderer)
    frame = np.array(ax.get_window_extent(renderer).extents)
    shift = np.zeros((len(texts), 2))
    apart = False
    for _ in range(rounds):
        _keep_inside(boxes, shift, frame)
        if not _push_apart(boxes, shift, pad):
            apart = True
            break
    if not apart:
        log.warning("%d labels do not fit apart in the axes", len(texts))
    points = 72.0 / ax.figure.dpi
    for text, (dx, dy) in zip(texts, shift, strict=True):
        x, y = text.xyann
        text.xyann = (x + dx * points, y + dy * points)
    return apart
