"""Are the positions a sparse selector keeps the planted motif sites?

A selection is an ``(N, L)`` bool mask of the positions kept per sequence
(:func:`selection_mask` builds it from the selector's ``(N, k)`` indices).
Positives come from :func:`gsattn.recovery.position_sets` (valid positions
inside sites of a role or a motif); positions ``>= lengths[i]`` are PAD and
never selected.

Metrics: :func:`precision` (fraction of the selected positions that are
positives) and :func:`enrichment` (precision over the positives' share of the
valid positions; 1 is chance), per sequence and pooled over sequences.

Test: the statistic is the number of selected positions on positives, summed
over the sequences that hold at least one positive. The default null
(:func:`shift_null_pvalue`, ``method="shift"``) rotates each sequence's whole
selection by an independent uniformly random offset within its valid part,
which keeps the selection's contiguity (a selector keeps runs of neighbouring
positions, and motif sites are runs too, so a null of scattered positions
would be anti-conservative). ``method="permutation"`` draws the same number of
positions uniformly without replacement instead. Callers apply BH across rows
(:func:`gsattn.stats.adjust_pvalues`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from scipy import stats

from gsattn.recovery import check_mask, check_motif_table, motif_targets, position_sets, valid_positions

log = logging.getLogger(__name__)

METHODS = ("shift", "permutation")
ROW_KEYS = (
    "group",
    "motif",
    "role",
    "n_sequences",
    "n_selected",
    "precision",
    "chance",
    "enrichment",
    "observed",
    "expected",
    "p_value",
    "p_value_permutation",
)
_PERM_CHUNK = 256


# --------------------------------------------------------------------------- validation
def _check_k(k: int) -> int:
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    return int(k)


def _check_within(
    selected: np.ndarray, positive: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a selection and positives against the lengths; return them and the valid mask."""
    selected = check_mask("selected", selected)
    positive = check_mask("positive", positive, selected.shape)
    valid = valid_positions(lengths, selected.shape[1])
    if valid.shape != selected.shape:
        raise ValueError("lengths and selected disagree on the number of sequences")
    if (selected & ~valid).any():
        raise ValueError("selected positions must lie before each sequence's length (never PAD)")
    if (positive & ~valid).any():
        raise ValueError("positive positions must lie before each sequence's length (never PAD)")
    return selected, positive, valid


# --------------------------------------------------------------------------- selections
def selection_mask(index: np.ndarray, valid: np.ndarray, length: int) -> np.ndarray:
    """Mask of the selected positions from a selector's indices.

    Parameters
    ----------
    index : numpy.ndarray
        ``(N, k)`` integer positions kept per sequence (distinct where valid).
    valid : numpy.ndarray
        ``(N, k)`` bool; False marks slots to ignore (they point at PAD when a
        sequence is shorter than ``k``).
    length : int
        Padded length ``L``.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` bool, True at the valid selected positions.
    """
    index, valid = np.asarray(index), np.asarray(valid)
    if index.ndim != 2 or not np.issubdtype(index.dtype, np.integer):
        raise ValueError(f"index must be a 2-D integer array (N, k), got {index.dtype} {index.shape}")
    if valid.shape != index.shape or valid.dtype != bool:
        raise ValueError(f"valid must be a bool array of shape {index.shape}")
    if int(length) != length or length < 0:
        raise ValueError(f"length must be a non-negative integer, got {length}")
    if index.size and (index.min() < 0 or index.max() >= length):
        raise ValueError(f"index values must lie in [0, {int(length) - 1}]")
    mask = np.zeros((index.shape[0], int(length)), dtype=bool)
    rows = np.broadcast_to(np.arange(index.shape[0])[:, None], index.shape)
    mask[rows[valid], index[valid]] = True
    if (mask.sum(axis=1) != valid.sum(axis=1)).any():
        raise ValueError("index holds repeated positions within a sequence")
    return mask


def _first_k(keys: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """Valid positions of the ``k`` smallest keys per row (stable: ties to the earlier position)."""
    order = np.argsort(np.where(valid, keys, np.inf), axis=1, kind="stable")[:, :k]
    mask = np.zeros(valid.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask & valid


def random_k(lengths: np.ndarray, length: int, k: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """``k`` distinct valid positions per sequence, uniformly at random.

    Parameters
    ----------
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths in ``[0, length]``.
    length : int
        Padded length ``L``.
    k : int
        Positions per sequence, ``>= 1``; a sequence shorter than ``k`` gets
        all its valid positions.
    seed : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` bool selection.
    """
    k = _check_k(k)
    valid = valid_positions(lengths, length)
    rng = np.random.default_rng(seed)
    return _first_k(rng.random(valid.shape), valid, k)


def top_k_of(scores: np.ndarray, lengths: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` highest-scoring valid positions per sequence.

    Ties go to the earlier position; PAD (``position >= length``) is never
    selected, and a sequence shorter than ``k`` gets all its valid positions.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(N, L)`` real scores, finite on valid positions.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.
    k : int
        Positions per sequence, ``>= 1``.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` bool selection.
    """
    k = _check_k(k)
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"scores must be 2-D (N, L), got shape {scores.shape}")
    if not np.issubdtype(scores.dtype, np.number) or np.iscomplexobj(scores):
        raise ValueError(f"scores must be real numbers, got dtype {scores.dtype}")
    valid = valid_positions(lengths, scores.shape[1])
    if valid.shape != scores.shape:
        raise ValueError("lengths and scores disagree on the number of sequences")
    scores = scores.astype(np.float64)
    if not np.isfinite(scores[valid]).all():
        raise ValueError("scores must be finite on every valid position")
    return _first_k(-scores, valid, k)


# --------------------------------------------------------------------------- metrics
def precision(selected: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Fraction of the selected positions that are positives.

    Parameters
    ----------
    selected, positive : numpy.ndarray
        ``(N, L)`` bool.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64, NaN where nothing is selected.
    """
    selected = check_mask("selected", selected)
    positive = check_mask("positive", positive, selected.shape)
    n_selected = selected.sum(axis=1)
    hits = (selected & positive).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_selected > 0, hits / n_selected, np.nan)


def enrichment(selected: np.ndarray, positive: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per-sequence precision over the positives' share of the valid positions.

    ``(hits / n selected) / (n positives / length)``; 1 is the expectation of
    a uniformly random selection.

    Parameters
    ----------
    selected, positive : numpy.ndarray
        ``(N, L)`` bool, both within the valid positions.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64, NaN where nothing is selected or there is no positive.
    """
    selected, positive, valid = _check_within(selected, positive, lengths)
    n_pos = positive.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = precision(selected, positive) / (n_pos / valid.sum(axis=1))
    return np.where(n_pos > 0, value, np.nan)


def pooled_enrichment(selected: np.ndarray, positive: np.ndarray, lengths: np.ndarray) -> float:
    """Selected positives over their expectation under random selection, pooled over sequences.

    ``sum hits / sum (n selected * n positives / length)``, sums over the
    sequences with at least one positive (the others are left out, as in
    :func:`enrichment` and :func:`shift_null_pvalue`). Each sequence's term in
    the denominator is its expected hits under both nulls, so the chance level
    is exactly 1 even when ``k`` does not scale with the length (a plain ratio
    of pooled precision to pooled positive share is not).

    Parameters
    ----------
    selected, positive : numpy.ndarray
        ``(N, L)`` bool, both within the valid positions.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.

    Returns
    -------
    float
        NaN when no used sequence has a selected position.
    """
    selected, positive, valid = _check_within(selected, positive, lengths)
    used = positive.any(axis=1)
    expected = _expected_hits(selected[used], positive[used], valid[used])
    if expected.sum() == 0:
        return float("nan")
    return float((selected & positive)[used].sum() / expected.sum())


def _expected_hits(selected: np.ndarray, positive: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``(N,)`` expected hits of a random selection of the same size: ``selected * positives / length``."""
    n_valid = valid.sum(axis=1)
    return selected.sum(axis=1) * positive.sum(axis=1) / np.maximum(n_valid, 1)


# --------------------------------------------------------------------------- null distributions
def shift_hit_table(selected: np.ndarray, positive: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Hits of every circular shift of each sequence's selection.

    ``table[i, u]`` is the number of positions ``s`` selected in sequence
    ``i`` with ``(s + u) mod lengths[i]`` a positive, for ``u < lengths[i]``
    (0 beyond). Circular cross-correlation by FFT, batched by length.

    Parameters
    ----------
    selected, positive : numpy.ndarray
        ``(N, L)`` bool, both within the valid positions.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` int64; column 0 holds the observed hits.
    """
    selected, positive, _ = _check_within(selected, positive, lengths)
    lengths = np.asarray(lengths)
    table = np.zeros(selected.shape, dtype=np.int64)
    for n in np.unique(lengths):
        n = int(n)
        if n == 0:
            continue
        rows = np.flatnonzero(lengths == n)
        sel = np.fft.rfft(selected[rows, :n].astype(np.float64), axis=1)
        pos = np.fft.rfft(positive[rows, :n].astype(np.float64), axis=1)
        table[rows, :n] = np.rint(np.fft.irfft(np.conj(sel) * pos, n=n, axis=1)).astype(np.int64)
    return table


def _shift_null(table: np.ndarray, lengths: np.ndarray, n_perm: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_perm,)`` null statistics: each row's hits at an independent uniform offset."""
    rows = np.arange(table.shape[0])[None, :]
    null = np.empty(n_perm, dtype=np.int64)
    for start in range(0, n_perm, _PERM_CHUNK):
        size = min(_PERM_CHUNK, n_perm - start)
        offsets = rng.integers(0, lengths[None, :], size=(size, lengths.size))
        null[start : start + size] = table[rows, offsets].sum(axis=1)
    return null


def _permutation_null(
    n_valid: np.ndarray, n_pos: np.ndarray, n_selected: np.ndarray, n_perm: int, rng: np.random.Generator
) -> np.ndarray:
    """``(n_perm,)`` null statistics: hits of uniform draws without replacement (hypergeometric)."""
    null = np.empty(n_perm, dtype=np.int64)
    for start in range(0, n_perm, _PERM_CHUNK):
        size = min(_PERM_CHUNK, n_perm - start)
        draws = rng.hypergeometric(n_pos, n_valid - n_pos, n_selected, size=(size, n_valid.size))
        null[start : start + size] = draws.sum(axis=1)
    return null


def shift_null_pvalue(
    selected: np.ndarray,
    positive: np.ndarray,
    lengths: np.ndarray,
    n_perm: int = 1000,
    seed: int | np.random.Generator = 0,
    method: str = "shift",
) -> dict:
    """One-sided Monte Carlo test that the selection falls on the positives.

    Statistic: selected positions on positives, summed over the sequences with
    at least one positive. Null (``method``):

    ``shift``
        every sequence's selection rotated, as a whole, by an independent
        uniform offset in ``[0, length)`` within its valid part; keeps the
        selection's contiguity.
    ``permutation``
        the same number of positions drawn uniformly without replacement among
        the valid ones (hits are hypergeometric, drawn directly).

    ``p = (1 + #{null >= observed}) / (1 + n_perm)``.

    Parameters
    ----------
    selected, positive : numpy.ndarray
        ``(N, L)`` bool, both within the valid positions.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.
    n_perm : int
        Null draws, ``>= 1``; the smallest attainable p is ``1 / (1 + n_perm)``.
    seed : int or numpy.random.Generator
    method : str
        One of :data:`METHODS`.

    Returns
    -------
    dict
        ``observed`` (int), ``expected`` (float, exact null mean
        ``sum selected * positives / length``), ``null_mean`` (float, of the
        draws), ``p_value`` (NaN when no sequence has a positive),
        ``n_sequences`` (used), ``n_perm``, ``method`` and ``p_sequence``
        (``(N,)`` exact per-sequence one-sided p-values under the same null,
        NaN for unused sequences).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if int(n_perm) != n_perm or n_perm < 1:
        raise ValueError(f"n_perm must be a positive integer, got {n_perm}")
    n_perm = int(n_perm)
    selected, positive, valid = _check_within(selected, positive, lengths)
    rng = np.random.default_rng(seed)
    used = positive.any(axis=1)
    n_valid = valid[used].sum(axis=1)
    n_pos = positive[used].sum(axis=1)
    n_selected = selected[used].sum(axis=1)
    hits = (selected & positive)[used].sum(axis=1)
    p_sequence = np.full(selected.shape[0], np.nan)
    result = {
        "observed": int(hits.sum()),
        "expected": float(_expected_hits(selected[used], positive[used], valid[used]).sum()),
        "null_mean": float("nan"),
        "p_value": float("nan"),
        "n_sequences": int(used.sum()),
        "n_perm": n_perm,
        "method": method,
        "p_sequence": p_sequence,
    }
    if not used.any():
        return result
    if method == "shift":
        table = shift_hit_table(selected[used], positive[used], np.asarray(lengths)[used])
        null = _shift_null(table, n_valid, n_perm, rng)
        in_range = np.arange(table.shape[1])[None, :] < n_valid[:, None]
        p_sequence[used] = ((table >= hits[:, None]) & in_range).sum(axis=1) / n_valid
    else:
        null = _permutation_null(n_valid, n_pos, n_selected, n_perm, rng)
        p_sequence[used] = stats.hypergeom.sf(hits - 1, n_valid, n_pos, n_selected)
    result["null_mean"] = float(null.mean())
    result["p_value"] = float((1 + np.count_nonzero(null >= result["observed"])) / (1 + n_perm))
    return result


# --------------------------------------------------------------------------- summary rows
def _row(selected: np.ndarray, positive: np.ndarray, lengths: np.ndarray, n_perm: int, rng) -> dict:
    """Metrics and tests of one position set over the sequences that hold a positive."""
    used = positive.any(axis=1)
    valid = valid_positions(lengths, selected.shape[1])
    per_precision = precision(selected[used], positive[used])
    chance = positive[used].sum(axis=1) / valid[used].sum(axis=1)
    defined = np.isfinite(per_precision)
    shift = shift_null_pvalue(selected, positive, lengths, n_perm, rng, method="shift")
    perm = shift_null_pvalue(selected, positive, lengths, n_perm, rng, method="permutation")
    return {
        "n_sequences": int(used.sum()),
        "n_selected": int(selected[used].sum()),
        "precision": float(per_precision[defined].mean()) if defined.any() else float("nan"),
        "chance": float(chance[defined].mean()) if defined.any() else float("nan"),
        "enrichment": pooled_enrichment(selected, positive, lengths),
        "observed": shift["observed"],
        "expected": shift["expected"],
        "p_value": shift["p_value"],
        "p_value_permutation": perm["p_value"],
    }


def selection_rows(
    selected: np.ndarray,
    motif_index: np.ndarray,
    lengths: np.ndarray,
    motif_labels: Sequence[str] | np.ndarray,
    motif_roles: Sequence[str] | np.ndarray,
    n_perm: int = 1000,
    seed: int | np.random.Generator = 0,
) -> list[dict]:
    """Long-format selection summary per role and motif.

    For each role present (``predictive`` and ``known`` in group
    ``recovery``, ``decoy`` in group ``decoy``), one row for the union of its
    motifs (``motif = "all"``) and one per motif. Positives are the valid
    positions in sites of that role/motif (:func:`gsattn.recovery.position_sets`);
    only sequences with at least one positive are used. Columns:

    ``n_sequences``, ``n_selected``
        sequences used and their selected positions.
    ``precision``, ``chance``
        mean per-sequence precision (denominator: all selected positions) and
        mean positive share of the valid positions (its chance level), over
        used sequences with a selection.
    ``enrichment``
        :func:`pooled_enrichment`, ``observed / expected`` (1 is chance).
    ``observed``, ``expected``
        selected positions on positives, and their exact null mean.
    ``p_value``, ``p_value_permutation``
        one-sided Monte Carlo p-values under the shift and the permutation
        nulls (:func:`shift_null_pvalue`); not multiplicity adjusted.

    Rows without a used sequence are left out. The caller adds model, rho or
    seed columns and applies BH across rows.

    Parameters
    ----------
    selected : numpy.ndarray
        ``(N, L)`` bool selection, never on PAD.
    motif_index : numpy.ndarray
        ``(N, L)`` int motif index, ``-1`` for background and padding.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.
    motif_labels, motif_roles : sequence of str
        ``(M,)`` motif names and roles.
    n_perm : int
        Null draws per test.
    seed : int or numpy.random.Generator
        One generator is drawn from it for all rows, in row order.

    Returns
    -------
    list of dict
        Rows with keys :data:`ROW_KEYS`.
    """
    selected = check_mask("selected", selected, np.asarray(motif_index).shape)
    names, roles = check_motif_table(motif_labels, motif_roles)
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    for group, role, motif_name, motif in motif_targets(names, roles):
        positive, _ = position_sets(motif_index, lengths, roles, role=role, motif=motif)
        if not positive.any():
            continue
        values = _row(selected, positive, lengths, n_perm, rng)
        rows.append({"group": group, "motif": motif_name, "role": role, **values})
    log.info("selection: %d summary rows from %d sequences", len(rows), selected.shape[0])
    return [{name: row[name] for name in ROW_KEYS} for row in rows]
