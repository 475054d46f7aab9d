"""What the Phase 2 student reads: the receptive fields of its selected positions.

The :class:`~gsattn.sparse.SparseApproximator` keeps ``k = ceil(rho·L)``
positions, but the value it computes at a kept position ``i`` is not a
function of the base at ``i`` alone. Layer by layer (see :mod:`gsattn.sparse`):

============================ =============================== ===============================
layer                        mixes neighbouring positions?   bases the output at ``i`` reads
============================ =============================== ===============================
``embedding``                no (a lookup; PAD set to 0)     ``i``
``selector.context``         yes: ``Conv1d(d, c, K)``,       ``i − p + D·j``, ``j = 0..K−1``
                             padding ``p``, dilation ``D``   (``i − 7 .. i + 7`` by default)
``selector.score``           no (``Conv1d(c, 1, 1)``)        same as the context
top-k                        picks *which* positions         the scores of every position
MLP (48 → 8 → value)         no (per selected position)      embedding, context, position
softmax weights, pooled sum  mixes the k selected values     nothing beyond their fields
joint-pipeline ``head``      per selected block              nothing beyond their fields
============================ =============================== ===============================

So once the set of selected positions is fixed, the student's output is a
function of the bases inside the union of the selected positions' *value
fields* (:func:`value_offsets`: the context convolution's field, which
contains ``i`` itself) and of the set's positions, and of nothing else: that
union is the **information the student sees**. The selector's own field (the
same ``K`` bp per position) decides *which* positions are picked; that choice
depends on the scores of every position, but passes on only the ``k``
positions (at most ``log2 C(L, k)`` bits), not the bases around the rejected
ones. ``tests/test_sparse.py`` checks this by brute force: changing a base
outside the union leaves the output unchanged whenever the selection stays the
same, and changing one inside changes it.

Functions: :func:`value_offsets` (from the model's own modules),
:func:`seen_mask` (the union, clipped at each sequence's ends),
:func:`coverage` (per-sequence shares of the sequence and of the site bases
seen) and :func:`distance_to_sites` / :func:`distance_histogram` (where the
selected positions lie relative to the nearest site).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from torch import nn

from gsattn.masks import check_mask, valid_positions

log = logging.getLogger(__name__)

#: Site groups of :func:`site_masks`: the roles whose sites count as motif bases.
SITE_GROUPS = {"recovery": ("predictive", "known"), "decoy": ("decoy",)}


def conv_offsets(conv: nn.Conv1d) -> np.ndarray:
    """Input offsets that output position ``i`` of a stride-1 ``Conv1d`` reads.

    Parameters
    ----------
    conv : torch.nn.Conv1d
        Stride 1, integer padding ``p``, dilation ``D``, kernel ``K``.

    Returns
    -------
    numpy.ndarray
        ``(K,)`` int offsets ``o = −p + D·j`` (``j = 0..K−1``): output ``i`` reads
        input ``i + o`` (zero padding beyond the ends).
    """
    if conv.stride[0] != 1 or isinstance(conv.padding, str):
        raise ValueError(f"need a stride-1 convolution with integer padding, got {conv}")
    kernel, dilation, padding = conv.kernel_size[0], conv.dilation[0], conv.padding[0]
    return -padding + dilation * np.arange(kernel)


def stack_offsets(module: nn.Module) -> np.ndarray:
    """Input offsets that output position ``i`` of a ``Conv1d`` or a ``nn.Sequential`` of them reads.

    A stack's field is the Minkowski sum of its layers' :func:`conv_offsets`
    (a depthwise ``K``-bp convolution then a 1x1 one reads ``K`` bp); layers
    that are not convolutions (activations) work per position and add none.

    Returns
    -------
    numpy.ndarray
        Sorted unique int offsets.
    """
    if isinstance(module, nn.Conv1d):
        return conv_offsets(module)
    if not isinstance(module, nn.Sequential):
        raise ValueError(f"need a Conv1d or a Sequential of them, got {type(module).__name__}")
    offsets = np.array([0])
    for layer in module:
        if isinstance(layer, (nn.Conv1d, nn.Sequential)):
            offsets = np.unique((offsets[:, None] + stack_offsets(layer)[None, :]).ravel())
    return offsets


def value_offsets(model: nn.Module) -> np.ndarray:
    """Offsets of the bases the value at a selected position reads, from the model's modules.

    The union of the token's own offset (0: its embedding) and the selector
    context convolution's offsets (:func:`stack_offsets`: one convolution, or
    the depthwise-separable pair); ``selector.score`` must be a
    1x1 convolution (it adds none). The MLP, the softmax weights and the
    pooled sum work per selected position and add none either.

    Parameters
    ----------
    model : torch.nn.Module
        A :class:`~gsattn.sparse.SparseApproximator` (any weights).

    Returns
    -------
    numpy.ndarray
        Sorted unique int offsets; ``-7 .. 7`` for the default ``selector_kernel = 15``.
    """
    score = model.selector.score
    if score.kernel_size[0] != 1:
        raise ValueError(f"selector.score must be a 1x1 convolution, got kernel {score.kernel_size}")
    return np.union1d([0], stack_offsets(model.selector.context)).astype(int)


def seen_mask(selected: np.ndarray, lengths: np.ndarray, offsets: Sequence[int]) -> np.ndarray:
    """Valid positions inside the receptive field of at least one selected position.

    Parameters
    ----------
    selected : numpy.ndarray
        ``(N, L)`` bool selection, never on PAD.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.
    offsets : sequence of int
        :func:`value_offsets`.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` bool: position ``j`` is seen when ``j − o`` is selected for some
        offset ``o``; clipped to ``[0, lengths[i])`` (the field ends at the sequence's ends).
    """
    selected = check_mask("selected", selected)
    valid = valid_positions(lengths, selected.shape[1])
    if valid.shape != selected.shape or (selected & ~valid).any():
        raise ValueError("selected positions must lie before each sequence's length (never PAD)")
    length = selected.shape[1]
    seen = np.zeros_like(selected)
    for o in np.unique(np.asarray(offsets, dtype=int)):
        if abs(o) >= length:
            continue
        if o >= 0:
            seen[:, o:] |= selected[:, : length - o]
        else:
            seen[:, :o] |= selected[:, -o:]
    return seen & valid


def site_masks(
    motif_index: np.ndarray, lengths: np.ndarray, motif_roles: Sequence[str] | np.ndarray
) -> dict[str, np.ndarray]:
    """``(N, L)`` masks of the valid site bases per :data:`SITE_GROUPS` entry with a motif."""
    roles = np.asarray(motif_roles, dtype=str)
    valid = valid_positions(lengths, np.asarray(motif_index).shape[1])
    masks = {}
    for group, members in SITE_GROUPS.items():
        chosen = np.flatnonzero(np.isin(roles, members))
        if chosen.size:
            masks[group] = np.isin(motif_index, chosen) & valid
    return masks


def _share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def coverage(
    selected: np.ndarray, lengths: np.ndarray, offsets: Sequence[int], sites: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per-sequence shares of what is selected and what is seen.

    Parameters
    ----------
    selected : numpy.ndarray
        ``(N, L)`` bool selection.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths (the denominators of the sequence shares).
    offsets : sequence of int
        :func:`value_offsets`.
    sites : dict
        Group → ``(N, L)`` bool site mask (:func:`site_masks`).

    Returns
    -------
    dict
        ``(N,)`` float arrays: ``selected`` (share of valid positions selected),
        ``seen`` (share of valid positions inside the fields) and, per site group
        ``g``, ``g_share`` (site bases' share of the valid positions),
        ``g_selected`` (share of the selected positions inside a site) and
        ``g_seen`` (share of the site bases inside the fields); NaN where a
        sequence has no site of the group (or no valid position).
    """
    seen = seen_mask(selected, lengths, offsets)
    n_valid = np.asarray(lengths, dtype=float)
    n_selected = selected.sum(axis=1)
    out = {"selected": _share(n_selected, n_valid), "seen": _share(seen.sum(axis=1), n_valid)}
    for group, mask in sites.items():
        mask = check_mask(f"sites[{group}]", mask, selected.shape)
        n_sites = mask.sum(axis=1)
        has = n_sites > 0
        out[f"{group}_share"] = np.where(has, _share(n_sites, n_valid), np.nan)
        out[f"{group}_selected"] = np.where(has, _share((selected & mask).sum(axis=1), n_selected), np.nan)
        out[f"{group}_seen"] = _share((seen & mask).sum(axis=1), n_sites)
    return out


def distance_to_sites(selected: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Distance (bp) from each selected position to the nearest site base of its sequence.

    Parameters
    ----------
    selected, mask : numpy.ndarray
        ``(N, L)`` bool selection and site mask.

    Returns
    -------
    numpy.ndarray
        1-D int distances (0 inside a site), for the selected positions of the
        sequences that hold at least one site base, in row-major order.
    """
    selected = check_mask("selected", selected)
    mask = check_mask("mask", mask, selected.shape)
    out = []
    for row, site in zip(selected, mask, strict=True):
        where = np.flatnonzero(site)
        if where.size == 0:
            continue
        chosen = np.flatnonzero(row)
        right = np.searchsorted(where, chosen).clip(max=where.size - 1)
        left = (right - 1).clip(min=0)
        out.append(np.minimum(np.abs(where[right] - chosen), np.abs(chosen - where[left])))
    return np.concatenate(out).astype(int) if out else np.zeros(0, dtype=int)


def distance_bins(half_width: int, max_distance: int) -> list[tuple[int, int]]:
    """Inclusive distance bins ``[(0, 0), (1, h), (h+1, 2h), (2h+1, 4h), …]`` up to ``max_distance``.

    ``h = max(half_width, 1)``: bin ``(1, h)`` holds the selected positions
    outside a site whose value field (``h`` bp on each side) still reaches one.
    """
    h = max(int(half_width), 1)
    bins, low, high = [(0, 0)], 1, h
    while low <= max(int(max_distance), 1):
        bins.append((low, high))
        low, high = high + 1, 2 * high if high > h else 2 * h
    return bins


def distance_histogram(distances: np.ndarray, bins: Sequence[tuple[int, int]]) -> np.ndarray:
    """Counts of ``distances`` per inclusive bin of :func:`distance_bins`; ``(len(bins),)`` int."""
    distances = np.asarray(distances, dtype=int)
    return np.array([int(((distances >= lo) & (distances <= hi)).sum()) for lo, hi in bins], dtype=int)


def site_distance_figure(rows: Sequence[dict], path: str, title: str = "") -> None:
    """Bars of the selected positions' share per distance bin, one panel per site group (PNG).

    ``rows`` are the script's histogram rows (``site_group``, ``rho``, ``label``,
    ``share_selected``, ``share_positions``); the share of all valid positions per
    bin (what a selection blind to the sites would give) is drawn as a grey step.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys(r["site_group"] for r in rows)) or ["none"]
    fig, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 3.8), squeeze=False)
    for ax, group in zip(axes[0], groups, strict=True):
        members = [r for r in rows if r["site_group"] == group]
        rhos = sorted({r["rho"] for r in members}, key=float)
        labels = list(dict.fromkeys(r["label"] for r in members))
        x = np.arange(len(labels))
        width = 0.8 / max(len(rhos), 1)
        for j, rho in enumerate(rhos):
            share = [
                next(r["share_selected"] for r in members if r["rho"] == rho and r["label"] == lab)
                for lab in labels
            ]
            ax.bar(x - 0.4 + width * (j + 0.5), share, width, label=f"selected, rho={float(rho):g}")
        if rhos:
            base = [next(r["share_positions"] for r in members if r["label"] == lab) for lab in labels]
            ax.step(
                np.r_[x - 0.5, x[-1:] + 0.5],
                np.r_[base, base[-1:]],
                where="post",
                color="grey",
                label="all positions",
            )
        if not members:
            ax.text(0.5, 0.5, "no ground-truth sites in this data set", ha="center", transform=ax.transAxes)
        ax.set_xticks(x, labels, fontsize=7)
        name = {"recovery": "predictive/known "}.get(group, "" if group == "none" else f"{group} ")
        ax.set_xlabel(f"distance to the nearest {name}site base (bp)")
        ax.set_ylabel("share of positions")
        if members:
            ax.legend(fontsize=7)
    fig.suptitle(title or "Where the selected positions lie relative to the sites", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
