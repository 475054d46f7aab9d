"""Motif recovery: how well per-position scores pick out the planted motif sites.

Every function takes ``(N, L)`` per-position scores (attention received, or
gradient x input saliency) and the ground truth of ``encoded.npz``
(:mod:`gsattn.datasets`): ``motif_index`` (``-1`` = background or padding),
``lengths`` (positions ``>= length`` are PAD and never used) and
``motif_roles``.

Scoring protocol (Koo & Ploenzke 2021): a position is *scored* when it lies in a
site of the motifs under study (a *positive*) or in true background (no site of
any motif). Positions in sites of other motifs (e.g. decoys when recovering the
predictive motifs) are left out, so a model is neither rewarded nor punished
for attending to them. :func:`topk_hits` is the exception: it ranks every valid
position, as a reader of the top-k positions would. Its chance rate keeps the
positional profile of the top positions: a sequence read with the top-k
positions of another sequence of the same length (:func:`positional_chance`),
not with uniformly drawn positions (sites cannot cross the ends, and a score
that prefers the centre meets centred sites more often than uniform positions
would).

Per-sequence metrics are NaN where undefined; :func:`summarize_recovery` turns
them into long-format rows (mean, spread, confidence interval, chance level
and a one-sided p-value) per role, motif and class subset.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from scipy import stats

from gsattn.masks import (
    check_2d,
    check_mask,
    check_motif_table,
    check_scores,
    dilate,
    length_groups,
    motif_targets,
    position_sets,
    valid_positions,
)
from gsattn.stats import hit_rate_test, mean_ci, proportion_ci, wilcoxon_greater

log = logging.getLogger(__name__)

SUBSETS = ("all", "class0", "class1")
ROW_KEYS = (
    "group",
    "subset",
    "motif",
    "role",
    "metric",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "chance",
    "p_value",
    "chance_uniform",
    "p_value_uniform",
)
NULLS = ("positional", "uniform")
_GATHER_BUDGET = 1 << 24  # booleans gathered per block of the positional chance


# --------------------------------------------------------------------------- ranking metrics
def _masked_ranks(values: np.ndarray, mask: np.ndarray, method: str) -> np.ndarray:
    """Row-wise ascending ranks of ``values`` among the masked positions only.

    Unmasked entries become ``+inf``, so they rank above every masked value and
    leave the masked ranks unchanged.
    """
    return stats.rankdata(np.where(mask, values, np.inf), method=method, axis=1)


def per_sequence_auc(
    scores: np.ndarray, positive: np.ndarray, scored: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sequence AUROC and AUPRC of the scores on the scored positions.

    Rank based and vectorised; equal to ``sklearn.metrics.roc_auc_score`` and
    ``average_precision_score`` per row (ties are handled the same way: tied
    scores form one threshold).

    Parameters
    ----------
    scores : numpy.ndarray
        ``(N, L)`` real scores; must be finite on scored positions.
    positive : numpy.ndarray
        ``(N, L)`` bool, positives; must be a subset of ``scored``.
    scored : numpy.ndarray
        ``(N, L)`` bool, positions that take part.

    Returns
    -------
    auroc : numpy.ndarray
        ``(N,)`` float64, NaN where a row has no positive or no negative.
    auprc : numpy.ndarray
        ``(N,)`` float64 average precision, NaN where AUROC is.
    """
    scored = check_mask("scored", scored)
    positive = check_mask("positive", positive, scored.shape)
    if (positive & ~scored).any():
        raise ValueError("positive positions must be a subset of scored positions")
    scores = check_scores(scores, scored.shape, scored)
    n_pos = positive.sum(axis=1)
    n_scored = scored.sum(axis=1)
    n_neg = n_scored - n_pos
    defined = (n_pos > 0) & (n_neg > 0)

    avg_rank = _masked_ranks(scores, scored, "average")
    rank_sum = np.where(positive, avg_rank, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auroc = (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)

    # precision at each positive's own threshold: #positives >= s / #scored >= s
    n_ge_all = n_scored[:, None] - _masked_ranks(scores, scored, "min") + 1
    n_ge_pos = n_pos[:, None] - _masked_ranks(scores, positive, "min") + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(positive, n_ge_pos / n_ge_all, 0.0)
        auprc = precision.sum(axis=1) / n_pos
    return np.where(defined, auroc, np.nan), np.where(defined, auprc, np.nan)


def enrichment(scores: np.ndarray, positive: np.ndarray, scored: np.ndarray) -> np.ndarray:
    """Share of score mass on positives relative to their share of positions.

    ``(sum over positives / sum over scored) / (n positives / n scored)``; 1 is
    chance, larger means the scores concentrate on the motif sites. Scores must
    be non-negative (attention weights); for signed saliency pass absolute
    values.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(N, L)`` non-negative scores, finite on scored positions.
    positive : numpy.ndarray
        ``(N, L)`` bool, subset of ``scored``.
    scored : numpy.ndarray
        ``(N, L)`` bool.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64, NaN where a row has no positive or no scored score mass.
    """
    scored = check_mask("scored", scored)
    positive = check_mask("positive", positive, scored.shape)
    if (positive & ~scored).any():
        raise ValueError("positive positions must be a subset of scored positions")
    scores = check_scores(scores, scored.shape, scored)
    if (scores[scored] < 0).any():
        raise ValueError("enrichment needs non-negative scores; pass absolute values for signed saliency")
    mass_pos = np.where(positive, scores, 0.0).sum(axis=1)
    mass_all = np.where(scored, scores, 0.0).sum(axis=1)
    n_pos = positive.sum(axis=1)
    n_scored = scored.sum(axis=1)
    defined = (n_pos > 0) & (mass_all > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (mass_pos / mass_all) / (n_pos / n_scored)
    return np.where(defined, value, np.nan)


# --------------------------------------------------------------------------- top-k hits
def _top_positions(scores: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """``(N, k)`` the k top-scoring valid positions per row (ties to the earlier position), with
    ``L`` (one past the last column) where a row has fewer than ``k`` valid positions."""
    order = np.argsort(np.where(valid, -scores, np.inf), axis=1, kind="stable")[:, :k]
    taken = np.arange(order.shape[1])[None, :] < valid.sum(axis=1)[:, None]
    return np.where(taken, order, valid.shape[1])


def _hits_of(target: np.ndarray, top: np.ndarray, rows: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """``(len(rows), len(donors))`` bool: whether donor ``j``'s top positions hit row ``i``'s targets."""
    padded = np.concatenate([target[rows], np.zeros((rows.size, 1), dtype=bool)], axis=1)
    return padded[np.arange(rows.size)[:, None, None], top[donors][None, :, :]].any(axis=2)


def _equal_rows(valid: np.ndarray, rows: np.ndarray) -> list[np.ndarray]:
    """``rows`` grouped by identical valid masks (by length when, as usual, they are prefixes)."""
    mask = valid[rows]
    n_valid = mask.sum(axis=1)
    if (mask == (np.arange(mask.shape[1])[None, :] < n_valid[:, None])).all():
        keys = n_valid
    else:
        keys = np.unique(mask, axis=0, return_inverse=True)[1].ravel()
    return [rows[group] for group in length_groups(keys)]


def positional_chance(target: np.ndarray, top: np.ndarray, valid: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Chance of a top-k hit when a sequence is read with another sequence's top positions.

    For each used row ``i``: the share of the used rows ``j`` with the same
    valid positions (``i`` included) whose top positions hit ``i``'s targets.
    This keeps the positional profile of the top positions (a score that
    prefers the centre, or avoids the ends, is compared with itself, not with
    uniform positions); ``O(n_group**2 k)`` per group of equal valid rows.

    Parameters
    ----------
    target : numpy.ndarray
        ``(N, L)`` bool, positions that count as a hit.
    top : numpy.ndarray
        ``(N, k)`` top positions per row, ``L`` for an empty slot.
    valid : numpy.ndarray
        ``(N, L)`` bool, unpadded positions.
    used : numpy.ndarray
        ``(N,)`` bool, the rows scored (those with a positive).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64 in ``[0, 1]``, NaN for unused rows.
    """
    chance = np.full(target.shape[0], np.nan)
    rows = np.flatnonzero(used)
    if rows.size == 0:
        return chance
    for members in _equal_rows(valid, rows):
        size = max(1, _GATHER_BUDGET // (members.size * top.shape[1]))
        for block in np.array_split(members, -(-members.size // size)):
            chance[block] = _hits_of(target, top, block, members).mean(axis=1)
    return chance


def topk_hits(
    scores: np.ndarray,
    positive: np.ndarray,
    valid: np.ndarray,
    k: int,
    tolerance: int = 0,
    null: str = "positional",
) -> tuple[np.ndarray, np.ndarray]:
    """Whether any of the k top-scoring valid positions is (near) a positive.

    Ties are broken towards the earlier position (stable sort). When a row has
    fewer than ``k`` valid positions, all of them are taken.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(N, L)`` real scores, finite on valid positions.
    positive : numpy.ndarray
        ``(N, L)`` bool, subset of ``valid``.
    valid : numpy.ndarray
        ``(N, L)`` bool, unpadded positions (``position < length``).
    k : int
        Number of top positions, ``>= 1``.
    tolerance : int
        A top position counts as a hit when it lies within ``tolerance``
        positions of a positive.
    null : str
        Chance model, one of :data:`NULLS`: ``positional`` (default) reads a
        sequence with the top-k positions of another sequence with a positive
        and the same valid positions (:func:`positional_chance`); ``uniform``
        draws ``k`` distinct valid positions uniformly at random,
        ``1 - C(n - m, k) / C(n, k)`` with ``n`` valid positions of which ``m``
        are hits.

    Returns
    -------
    hits : numpy.ndarray
        ``(N,)`` bool; False for rows without positives.
    chance : numpy.ndarray
        ``(N,)`` float64 probability of a hit under ``null``; NaN for rows
        without positives.
    """
    if null not in NULLS:
        raise ValueError(f"null must be one of {NULLS}, got {null!r}")
    hits, chances = topk_chances(scores, positive, valid, k, tolerance, (null,))
    return hits, chances[null]


def topk_chances(
    scores: np.ndarray,
    positive: np.ndarray,
    valid: np.ndarray,
    k: int,
    tolerance: int = 0,
    nulls: Sequence[str] = NULLS,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`topk_hits` with the chance rates of several nulls from one ranking.

    Returns
    -------
    hits : numpy.ndarray
        ``(N,)`` bool.
    chances : dict
        ``null -> (N,)`` float64 chance rates, NaN for rows without positives.
    """
    valid = check_mask("valid", valid)
    positive = check_mask("positive", positive, valid.shape)
    if (positive & ~valid).any():
        raise ValueError("positive positions must be a subset of valid positions")
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    if int(tolerance) != tolerance or tolerance < 0:
        raise ValueError(f"tolerance must be a non-negative integer, got {tolerance}")
    if set(nulls) - set(NULLS):
        raise ValueError(f"nulls must be among {NULLS}, got {tuple(nulls)}")
    k, tolerance = int(k), int(tolerance)
    scores = check_scores(scores, valid.shape, valid)

    target = dilate(positive, tolerance) & valid
    top = _top_positions(scores, valid, k)
    has_pos = positive.any(axis=1)
    padded = np.concatenate([target, np.zeros((target.shape[0], 1), dtype=bool)], axis=1)
    hits = np.take_along_axis(padded, top, axis=1).any(axis=1) & has_pos
    chances = {}
    if "positional" in nulls:
        chances["positional"] = positional_chance(target, top, valid, has_pos)
    if "uniform" in nulls:
        chance = np.full(valid.shape[0], np.nan)
        rows = np.flatnonzero(has_pos)
        n_valid = valid.sum(axis=1)[rows]
        # P(at least one of k draws without replacement lands on one of m targets)
        chance[rows] = stats.hypergeom.sf(0, n_valid, target[rows].sum(axis=1), np.minimum(k, n_valid))
        chances["uniform"] = chance
    return hits, chances


# --------------------------------------------------------------------------- summary rows
def _subset_masks(labels: np.ndarray) -> dict[str, np.ndarray]:
    return {"all": np.ones(labels.shape, dtype=bool), "class0": labels == 0, "class1": labels == 1}


def _motif_metrics(
    scores: np.ndarray,
    positive: np.ndarray,
    scored: np.ndarray,
    valid: np.ndarray,
    k_values: Sequence[int],
    tolerance: int,
) -> dict:
    """Per-sequence metrics for one position set; all arrays are ``(N,)``."""
    auroc, auprc = per_sequence_auc(scores, positive, scored)
    with np.errstate(invalid="ignore", divide="ignore"):
        prevalence = positive.sum(axis=1) / scored.sum(axis=1)
    top = {}
    for k in k_values:
        hits, chances = topk_chances(scores, positive, valid, k, tolerance)
        top[k] = (hits, chances["positional"], chances["uniform"])
    return {
        "has_pos": positive.any(axis=1),
        "auroc": auroc,
        "auprc": auprc,
        "prevalence": prevalence,
        "enrichment": enrichment(scores, positive, scored),
        "top": top,
    }


def _rows_for_subset(metrics: dict, select: np.ndarray, key: dict) -> list[dict]:
    """Summary rows of one (role, motif, subset); rows with n = 0 are left out."""
    auroc = metrics["auroc"][select]
    defined = select & np.isfinite(metrics["auprc"])
    prevalence = float(np.mean(metrics["prevalence"][defined])) if defined.any() else np.nan
    entries = [
        ("auroc", mean_ci(auroc), (0.5, wilcoxon_greater(auroc - 0.5)), (np.nan, np.nan)),
        ("auprc", mean_ci(metrics["auprc"][select]), (prevalence, np.nan), (np.nan, np.nan)),
        ("enrichment", mean_ci(metrics["enrichment"][select]), (1.0, np.nan), (np.nan, np.nan)),
    ]
    for k, (hits, chance, chance_uniform) in metrics["top"].items():
        used = select & ~np.isnan(chance)
        tests = [hit_rate_test(hits[used], c[used]) for c in (chance, chance_uniform)]
        means = [(t["expected"] / t["n"] if t["n"] else np.nan, t["p_value"]) for t in tests]
        entries.append((f"top{k}", proportion_ci(hits[used]), *means))
    rows = []
    for metric, summary, (chance, p_value), (chance_uniform, p_uniform) in entries:
        if summary["n"] == 0:
            continue
        rows.append(
            {
                **key,
                "metric": metric,
                **summary,
                "chance": float(chance),
                "p_value": float(p_value),
                "chance_uniform": float(chance_uniform),
                "p_value_uniform": float(p_uniform),
            }
        )
    return rows


def summarize_recovery(
    scores: np.ndarray,
    motif_index: np.ndarray,
    lengths: np.ndarray,
    labels: np.ndarray,
    motif_labels: Sequence[str] | np.ndarray,
    motif_roles: Sequence[str] | np.ndarray,
    k_values: Sequence[int] = (1, 5),
    tolerance: int = 0,
) -> list[dict]:
    """Long-format motif-recovery summary per role, motif and class subset.

    For each role present (``predictive`` and ``known`` in group
    ``recovery``, ``decoy`` in group ``decoy``), for the union of its motifs
    (``motif = "all"``) and each motif on its own, and for the subsets
    ``all``, ``class0`` and ``class1``, one row per metric:

    ``auroc``
        mean per-sequence AUROC, t CI, chance 0.5, one-sided Wilcoxon
        signed-rank p-value that AUROC > 0.5.
    ``auprc``
        mean per-sequence average precision, t CI, chance = mean positive
        fraction among scored positions (approximate baseline), no p-value.
    ``enrichment``
        mean per-sequence enrichment, t CI, chance 1, no p-value.
    ``top{k}``
        hit rate of the k best positions (within ``tolerance``), Clopper-Pearson
        CI, chance = mean per-sequence positional chance rate (the top-k
        positions of another sequence of the same length with a positive,
        :func:`positional_chance`), Poisson-binomial p-value on those rates
        (:func:`gsattn.stats.hit_rate_test`); ``chance_uniform`` and ``p_value_uniform``
        are the same under uniformly drawn positions (NaN for the other
        metrics).

    Sequences without positives for a set are skipped (``n`` counts the rest);
    rows with ``n == 0`` are left out. The caller adds model, seed or head
    columns.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(N, L)`` non-negative scores, finite on valid positions (pass absolute
        values of signed saliency).
    motif_index : numpy.ndarray
        ``(N, L)`` int motif index, ``-1`` for background and padding.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.
    labels : numpy.ndarray
        ``(N,)`` binary classes (0/1).
    motif_labels, motif_roles : sequence of str
        ``(M,)`` motif names and roles.
    k_values : sequence of int
        Top-k sizes (duplicates dropped).
    tolerance : int
        Tolerance of the top-k hits, in positions.

    Returns
    -------
    list of dict
        Rows with keys :data:`ROW_KEYS`.
    """
    motif_index = check_2d("motif_index", motif_index)
    shape = motif_index.shape
    labels = np.asarray(labels)
    if labels.shape != (shape[0],):
        raise ValueError(f"labels must have shape ({shape[0]},), got {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be binary (0/1)")
    names, roles = check_motif_table(motif_labels, motif_roles)
    k_values = sorted({int(k) for k in k_values})
    if not k_values or k_values[0] < 1:
        raise ValueError("k_values must be positive integers")
    valid = valid_positions(lengths, shape[1])
    if valid.shape != shape:
        raise ValueError("lengths and motif_index disagree on the number of sequences")
    scores = check_scores(scores, shape, valid)
    subsets = _subset_masks(labels)

    rows: list[dict] = []
    for group, role, motif_name, motif in motif_targets(names, roles):
        positive, scored = position_sets(motif_index, lengths, roles, role=role, motif=motif)
        metrics = _motif_metrics(scores, positive, scored, valid, k_values, tolerance)
        for subset in SUBSETS:
            select = subsets[subset] & metrics["has_pos"]
            key = {"group": group, "subset": subset, "motif": motif_name, "role": role}
            rows.extend(_rows_for_subset(metrics, select, key))
    log.info("motif recovery: %d summary rows from %d sequences", len(rows), shape[0])
    return [{name: row[name] for name in ROW_KEYS} for row in rows]
