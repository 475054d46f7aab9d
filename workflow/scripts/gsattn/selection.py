"""Are the positions a sparse selector keeps the planted motif sites?

A selection is an ``(N, L)`` bool mask of the positions kept per sequence
(:func:`selection_mask` builds it from the selector's ``(N, k)`` indices).
Positives come from :func:`gsattn.masks.position_sets` (valid positions
inside sites of a role or a motif); positions ``>= lengths[i]`` are PAD and
never selected.

Metrics: :func:`precision` (fraction of the selected positions that are
positives) and :func:`enrichment` (precision over the positives' share of the
valid positions; 1 is chance), per sequence and pooled over sequences.

Test (:func:`selection_pvalue`): the statistic is the number of selected
positions on positives, summed over the sequences that hold at least one
positive. The default null (``method="mask"``) permutes the whole selection
masks of those sequences among the ones of the same length, so each sequence is
scored with another sequence's selection. That keeps everything about the
selection except its link to the sites: its size, its contiguity (selectors keep
runs of neighbouring positions and sites are runs too) and its positional
profile (site coverage is not flat along a sequence: sites cannot cross the
ends, and centred planting or real promoters concentrate them). It is exact
(``P(p <= a) <= a``) whenever the selection does not depend on where the sites
are. ``method="shift"`` (rotate each selection by a uniform offset: keeps
contiguity, not the profile) and ``method="permutation"`` (scattered uniform
positions: keeps neither) are reported beside it for comparison; both call a
selector that merely avoids the ends significant. Callers apply BH across rows
(:func:`gsattn.stats.adjust_pvalues`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from scipy import stats

from gsattn.masks import (
    check_mask,
    check_motif_table,
    length_groups,
    motif_targets,
    position_sets,
    valid_positions,
)

log = logging.getLogger(__name__)

METHODS = ("mask", "shift", "permutation")
ROW_KEYS = (
    "group",
    "motif",
    "role",
    "n_sequences",
    "n_exchangeable",
    "n_selected",
    "precision",
    "chance",
    "enrichment",
    "enrichment_null",
    "observed",
    "expected",
    "expected_null",
    "p_value",
    "p_value_shift",
    "p_value_permutation",
)
_PERM_CHUNK = 256
_GATHER_BUDGET = 1 << 24  # elements gathered per chunk of mask-null draws


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
    :func:`enrichment` and :func:`selection_pvalue`). Each sequence's term in
    the denominator is its expected hits under a uniformly placed selection
    (and the shift and permutation nulls), so the chance level
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
def mask_permutations(
    groups: Sequence[np.ndarray], n_sequences: int, n_draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Donor of each sequence's selection mask in each null draw.

    Within every group an independent uniformly random permutation per draw;
    a sequence alone in its group keeps its own mask.

    Parameters
    ----------
    groups : sequence of numpy.ndarray
        A partition of ``range(n_sequences)`` (:func:`length_groups`).
    n_sequences, n_draws : int
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        ``(n_draws, n_sequences)`` int; ``donors[d, i]`` is the sequence whose
        whole mask sequence ``i`` receives in draw ``d``.
    """
    donors = np.broadcast_to(np.arange(n_sequences), (n_draws, n_sequences)).copy()
    for rows in groups:
        if rows.size > 1:
            donors[:, rows] = rng.permuted(np.broadcast_to(rows, (n_draws, rows.size)), axis=1)
    return donors


def _padded_index(selected: np.ndarray) -> np.ndarray:
    """``(N, k_max)`` selected positions per row, padded with ``L`` (a column that is never positive)."""
    n_selected = selected.sum(axis=1)
    width = max(int(n_selected.max(initial=0)), 1)
    order = np.argsort(~selected, axis=1, kind="stable")[:, :width]
    return np.where(np.arange(order.shape[1])[None, :] < n_selected[:, None], order, selected.shape[1])


def _mask_null(
    selected: np.ndarray, positive: np.ndarray, groups: Sequence[np.ndarray], n_perm: int, rng
) -> np.ndarray:
    """``(n_perm,)`` null statistics: each sequence's hits with the whole mask of a same-length donor."""
    n = positive.shape[0]
    alone = [rows for rows in groups if rows.size == 1]
    moved = [rows for rows in groups if rows.size > 1]
    null = np.full(n_perm, sum(int((selected[r] & positive[r]).sum()) for r in alone), dtype=np.int64)
    index = _padded_index(selected)
    padded = np.concatenate([positive, np.zeros((n, 1), dtype=bool)], axis=1)
    chunk = int(np.clip(_GATHER_BUDGET // max(index.size, 1), 1, _PERM_CHUNK))
    for start in range(0, n_perm, chunk):
        size = min(chunk, n_perm - start)
        donors = mask_permutations(moved, n, size, rng)
        for rows in moved:
            null[start : start + size] += padded[rows[None, :, None], index[donors[:, rows]]].sum(axis=(1, 2))
    return null


def _mask_expected(selected: np.ndarray, positive: np.ndarray, groups: Sequence[np.ndarray]) -> float:
    """Exact mean of the mask null: ``sum_i <P_i, mean of i's group's masks>``."""
    return float(
        sum(positive[rows].sum(axis=0) @ selected[rows].mean(axis=0, dtype=np.float64) for rows in groups)
    )


def _mask_sequence_p(selected: np.ndarray, positive: np.ndarray, groups: Sequence[np.ndarray]) -> np.ndarray:
    """Exact per-sequence p-values of the mask null.

    ``p[i]`` is the share of the masks ``j`` of ``i``'s group (``i`` included)
    with ``|S_j & P_i| >= |S_i & P_i|``: ``O(n_group**2 k)`` per group.
    """
    hits = (selected & positive).sum(axis=1)
    index = _padded_index(selected)
    padded = np.concatenate([positive, np.zeros((positive.shape[0], 1), dtype=bool)], axis=1)
    p_sequence = np.empty(selected.shape[0])
    for rows in groups:
        size = max(1, _GATHER_BUDGET // (rows.size * index.shape[1]))
        for block in np.array_split(rows, -(-rows.size // size)):
            table = padded[block[:, None, None], index[rows][None, :, :]].sum(axis=2)  # (block, donors)
            p_sequence[block] = (table >= hits[block, None]).mean(axis=1)
    return p_sequence


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


def _method_null(
    method: str,
    selected: np.ndarray,
    positive: np.ndarray,
    lengths: np.ndarray,
    n_perm: int,
    rng: np.random.Generator,
    per_sequence: bool,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Null draws, exact per-sequence p (NaN unless asked for or free), exact null mean and the
    number of sequences the null can move, for the ``(n, L)`` sequences with a positive."""
    n_pos, n_selected = positive.sum(axis=1), selected.sum(axis=1)
    hits = (selected & positive).sum(axis=1)
    uniform_mean = float((n_selected * n_pos / np.maximum(lengths, 1)).sum())
    if method == "mask":
        groups = length_groups(lengths)
        null = _mask_null(selected, positive, groups, n_perm, rng)
        p_sequence = _mask_sequence_p(selected, positive, groups) if per_sequence else np.nan
        movable = int(sum(rows.size for rows in groups if rows.size > 1))
        return null, p_sequence, _mask_expected(selected, positive, groups), movable
    if method == "shift":
        table = shift_hit_table(selected, positive, lengths)
        null = _shift_null(table, lengths, n_perm, rng)
        in_range = np.arange(table.shape[1])[None, :] < lengths[:, None]
        p_sequence = ((table >= hits[:, None]) & in_range).sum(axis=1) / lengths
        return null, p_sequence, uniform_mean, int(lengths.size)
    null = _permutation_null(lengths, n_pos, n_selected, n_perm, rng)
    p_sequence = stats.hypergeom.sf(hits - 1, lengths, n_pos, n_selected)
    return null, p_sequence, uniform_mean, int(lengths.size)


def selection_pvalue(
    selected: np.ndarray,
    positive: np.ndarray,
    lengths: np.ndarray,
    n_perm: int = 1000,
    seed: int | np.random.Generator = 0,
    method: str = "mask",
    per_sequence: bool = True,
) -> dict:
    """One-sided Monte Carlo test that the selection falls on the positives.

    Statistic: selected positions on positives, summed over the sequences with
    at least one positive (the *used* sequences). Null (``method``):

    ``mask`` (default)
        the used sequences' whole selection masks permuted among the used
        sequences of the same length (:func:`mask_permutations`): each gets
        another one's mask, or keeps its own. Keeps the selection's
        contiguity, size and positional profile; exact under the hypothesis
        that the masks of equal-length sequences are exchangeable, i.e. the
        selection does not depend on where the sites are. A sequence whose
        length no other used sequence has keeps its mask (no information).
    ``shift``
        every sequence's selection rotated, as a whole, by an independent
        uniform offset in ``[0, length)``; keeps contiguity, but assumes every
        position is equally likely to be in a site (sites cannot cross the
        ends, so a selector that avoids the ends is called significant).
    ``permutation``
        the same number of positions drawn uniformly without replacement
        (hits hypergeometric); keeps neither contiguity nor profile.

    ``p = (1 + #{null >= observed}) / (1 + n_perm)``: the observed statistic
    and the draws are exchangeable under the null, so ``P(p <= a) <= a``.

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
    per_sequence : bool
        Also compute the exact per-sequence p-values of the mask null
        (``O(n**2 L)`` for ``n`` used sequences of one length); the shift and
        permutation nulls give theirs at no cost.

    Returns
    -------
    dict
        ``observed`` (int); ``expected`` (float, ``sum selected * positives /
        length``, the mean of a uniformly placed selection and of the shift and
        permutation nulls); ``expected_null`` (float, exact mean of this null);
        ``null_mean`` (float, of the draws); ``p_value`` (NaN when no sequence
        has a positive); ``n_sequences`` (used); ``n_exchangeable`` (used
        sequences the null can move: for ``mask``, those sharing their length
        with another used one); ``n_perm``; ``method``; ``p_sequence`` (``(N,)``
        exact per-sequence one-sided p-values under the same null, NaN for
        unused sequences and, for ``mask`` without ``per_sequence``, for all).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if int(n_perm) != n_perm or n_perm < 1:
        raise ValueError(f"n_perm must be a positive integer, got {n_perm}")
    n_perm = int(n_perm)
    selected, positive, valid = _check_within(selected, positive, lengths)
    rng = np.random.default_rng(seed)
    used = positive.any(axis=1)
    p_sequence = np.full(selected.shape[0], np.nan)
    result = {
        "observed": int((selected & positive)[used].sum()),
        "expected": float(_expected_hits(selected[used], positive[used], valid[used]).sum()),
        "expected_null": float("nan"),
        "null_mean": float("nan"),
        "p_value": float("nan"),
        "n_sequences": int(used.sum()),
        "n_exchangeable": 0,
        "n_perm": n_perm,
        "method": method,
        "p_sequence": p_sequence,
    }
    if not used.any():
        return result
    sizes = np.asarray(lengths)[used].astype(np.int64)
    null, p_sequence[used], mean, movable = _method_null(
        method, selected[used], positive[used], sizes, n_perm, rng, per_sequence
    )
    if movable < result["n_sequences"]:
        log.info(
            "%s null: %d of %d sequences share their length with no other and keep their own mask",
            method,
            result["n_sequences"] - movable,
            result["n_sequences"],
        )
    result |= {"expected_null": mean, "null_mean": float(null.mean()), "n_exchangeable": movable}
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
    tests = {
        m: selection_pvalue(selected, positive, lengths, n_perm, rng, method=m, per_sequence=False)
        for m in METHODS
    }
    mask = tests["mask"]
    enrichment_null = mask["observed"] / mask["expected_null"] if mask["expected_null"] > 0 else np.nan
    return {
        "n_sequences": int(used.sum()),
        "n_exchangeable": mask["n_exchangeable"],
        "n_selected": int(selected[used].sum()),
        "precision": float(per_precision[defined].mean()) if defined.any() else float("nan"),
        "chance": float(chance[defined].mean()) if defined.any() else float("nan"),
        "enrichment": pooled_enrichment(selected, positive, lengths),
        "enrichment_null": float(enrichment_null),
        "observed": mask["observed"],
        "expected": mask["expected"],
        "expected_null": mask["expected_null"],
        "p_value": mask["p_value"],
        "p_value_shift": tests["shift"]["p_value"],
        "p_value_permutation": tests["permutation"]["p_value"],
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
    positions in sites of that role/motif (:func:`gsattn.masks.position_sets`);
    only sequences with at least one positive are used. Columns:

    ``n_sequences``, ``n_exchangeable``, ``n_selected``
        sequences used, those among them the mask null can move (they share
        their length with another used sequence), and their selected positions.
    ``precision``, ``chance``
        mean per-sequence precision (denominator: all selected positions) and
        mean positive share of the valid positions (its chance level), over
        used sequences with a selection.
    ``enrichment``, ``enrichment_null``
        ``observed / expected`` (:func:`pooled_enrichment`) and
        ``observed / expected_null``; 1 is chance for each.
    ``observed``, ``expected``, ``expected_null``
        selected positions on positives; their mean under a uniformly placed
        selection; their exact mean under the mask null (another same-length
        sequence's selection: chance with the selection's positional profile).
    ``p_value``, ``p_value_shift``, ``p_value_permutation``
        one-sided Monte Carlo p-values (:func:`selection_pvalue`) under the
        mask null (the test), the circular-shift null and the scattered
        permutation null (for comparison: both assume every position equally
        likely to be in a site); not multiplicity adjusted.

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
