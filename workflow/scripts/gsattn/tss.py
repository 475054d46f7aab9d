"""Phase 4 TSS meta-profile: where the position sets fall relative to the promoter's TSS.

For a data set whose windows hold the TSS at a fixed index (``tss_index`` of the data
set's config), every position set of :func:`gsattn.position_sets.seed_sets` is counted
per position relative to the TSS and per group of sequences: ``negative`` (label 0) and
the positives, grouped by the file they came from (the ``origin`` column of the
prepared set's labels, ``file:line:header``; ``tss_groups`` maps a file to a group name,
positives of other files, or without an origin, are ``positive``).

The test (:func:`region_rows`): is the share of a set's positions that lies in the
TATA region (−35..−20, both ends included) larger than for a position-uniform set of
the same size? Per sequence ``i`` with ``k_i`` selected positions among ``U_i`` valid
ones, ``r_i`` of them in the region, a uniform set puts ``k_i · r_i / U_i`` positions
there in expectation; the expected share is ``Σ k_i r_i / U_i / Σ k_i``. One-sided exact
binomial test of the observed count in the region out of ``Σ k_i`` (each selected
position one trial). The trials are not independent: positions drawn without
replacement within a sequence (a uniform set's count is hypergeometric, less variable
than binomial: conservative) and positions that come in runs (more variable:
anti-conservative), and each sequence counts once per seed. The ``random`` set of the
same counts is the calibration row. BH across every (set, ρ, group) row of a data set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

from gsattn.stats import adjust_pvalues

REGION = (-35, -20)
NEGATIVE = "negative"
POSITIVE = "positive"


def origin_file(origin: str) -> str:
    """The source file of an ``origin`` cell (``file:line:header`` → ``file``)."""
    return str(origin).split(":", 1)[0] if origin else ""


def sequence_groups(
    ids: np.ndarray, labels: np.ndarray, origins: dict[str, str], groups: dict[str, str] | None
) -> np.ndarray:
    """``(N,)`` group name of each sequence.

    Parameters
    ----------
    ids, labels : numpy.ndarray
        ``(N,)`` sequence IDs and 0/1 labels (``encoded.npz``).
    origins : dict
        ``id → origin`` (labels' ``origin`` column; empty when the labels have none).
    groups : dict or None
        ``origin file → group name`` of the positives; others are ``positive``.
    """
    groups = groups or {}
    out = []
    for seq_id, label in zip(ids.tolist(), labels.tolist(), strict=True):
        if int(label) == 0:
            out.append(NEGATIVE)
        else:
            out.append(groups.get(origin_file(origins.get(str(seq_id), "")), POSITIVE))
    return np.asarray(out, dtype=str)


def region_mask(length: int, tss_index: int, region: tuple[int, int] = REGION) -> np.ndarray:
    """``(L,)`` bool: positions ``tss_index + region[0] .. tss_index + region[1]`` (clipped)."""
    if not 0 <= tss_index < length:
        raise ValueError(f"tss_index {tss_index} lies outside the window of length {length}")
    rel = np.arange(length) - tss_index
    return (rel >= region[0]) & (rel <= region[1])


@dataclass
class Counts:
    """Counts of one (set, ρ, group), pooled over seeds (each sequence once per seed).

    ``hits[p]``: sequences whose set holds position ``p``; ``valid[p]``: sequences where
    ``p`` is valid; ``uniform[p]``: sum of ``k_i / U_i`` over them (a uniform set's
    expected ``hits[p]``); the region totals of :func:`region_rows`.
    """

    hits: np.ndarray
    valid: np.ndarray
    uniform: np.ndarray
    n_sequences: int = 0
    n_selected: int = 0
    in_region: int = 0
    expected_in_region: float = 0.0
    touched: int = 0

    @classmethod
    def empty(cls, length: int) -> Counts:
        return cls(np.zeros(length, np.int64), np.zeros(length, np.int64), np.zeros(length))


def accumulate(
    counts: dict[str, Counts],
    selected: np.ndarray,
    universe: np.ndarray,
    groups: np.ndarray,
    region: np.ndarray,
) -> None:
    """Add one seed's set to ``counts`` (``group → Counts``), in place.

    Parameters
    ----------
    selected, universe : numpy.ndarray
        ``(N, L)`` bool: the set and the valid positions of the set's sequences
        (rows without a valid position are not the set's sequences and are skipped).
    groups : numpy.ndarray
        ``(N,)`` group names (:func:`sequence_groups`).
    region : numpy.ndarray
        ``(L,)`` bool (:func:`region_mask`).
    """
    rows = universe.any(axis=1)
    for name in np.unique(groups[rows]).tolist():
        pick = rows & (groups == name)
        sel, uni = selected[pick] & universe[pick], universe[pick]
        k, size = sel.sum(axis=1), uni.sum(axis=1)
        c = counts.setdefault(name, Counts.empty(selected.shape[1]))
        c.hits += sel.sum(axis=0)
        c.valid += uni.sum(axis=0)
        c.uniform += (uni * (k / size)[:, None]).sum(axis=0)
        c.n_sequences += int(pick.sum())
        c.n_selected += int(k.sum())
        c.in_region += int((sel & region).sum())
        c.expected_in_region += float((k * (uni & region).sum(axis=1) / size).sum())
        c.touched += int((sel & region).any(axis=1).sum())


def profile_rows(ids: dict, counts: dict[str, Counts], tss_index: int) -> list[dict]:
    """Rows of ``tss_profile.tsv`` of one (set, ρ): one per group and valid position."""
    rows = []
    for name, c in counts.items():
        for p in np.flatnonzero(c.valid).tolist():
            rows.append(
                ids
                | {
                    "group": name,
                    "position": p - tss_index,
                    "fraction": c.hits[p] / c.valid[p],
                    "uniform_fraction": c.uniform[p] / c.valid[p],
                    "n_sequences": int(c.valid[p]),
                }
            )
    return rows


def region_test(in_region: int, n_selected: int, expected_in_region: float) -> float:
    """One-sided exact binomial p of ``in_region`` of ``n_selected`` against the uniform share."""
    if n_selected == 0 or expected_in_region <= 0:
        return math.nan
    share = min(expected_in_region / n_selected, 1.0)
    return float(binomtest(in_region, n_selected, share, alternative="greater").pvalue)


def region_rows(ids: dict, counts: dict[str, Counts]) -> list[dict]:
    """Rows of ``tss_region.tsv`` of one (set, ρ): the region share per group (unadjusted)."""
    rows = []
    for name, c in counts.items():
        share = c.in_region / c.n_selected if c.n_selected else math.nan
        expected = c.expected_in_region / c.n_selected if c.n_selected else math.nan
        rows.append(
            ids
            | {
                "group": name,
                "region": f"{REGION[0]}..{REGION[1]}",
                "n_sequences": c.n_sequences,
                "n_selected": c.n_selected,
                "in_region": c.in_region,
                "share": share,
                "expected_share": expected,
                "enrichment": share / expected if expected else math.nan,
                "touched_fraction": c.touched / c.n_sequences if c.n_sequences else math.nan,
                "p": region_test(c.in_region, c.n_selected, c.expected_in_region),
            }
        )
    return rows


def adjust_rows(rows: list[dict], alpha: float) -> list[dict]:
    """``rows`` with BH-adjusted ``p_adjusted`` (one family: every row) and ``enriched``."""
    adjusted = adjust_pvalues(np.array([r["p"] for r in rows], dtype=np.float64))
    return [
        r | {"p_adjusted": float(q), "enriched": bool(q <= alpha)}
        for r, q in zip(rows, adjusted, strict=True)
    ]
