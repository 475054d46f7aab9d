"""Motif masks: which positions are valid, positive (in a site) or scored, and their checks.

The ground truth of ``encoded.npz`` (:mod:`gsattn.datasets`) marks every
position with ``motif_index`` (``-1`` = background or padding) and every
sequence with its unpadded length; these helpers turn it into the ``(N, L)``
boolean masks that motif recovery (:mod:`gsattn.recovery`), motif selection
(:mod:`gsattn.selection`) and receptive fields (:mod:`gsattn.receptive`) score
against:

* :func:`valid_positions` (unpadded positions) and :func:`length_groups`
  (sequences of one length);
* :func:`check_motif_table` and :func:`motif_targets` (the roles and motifs
  scored, in report order);
* :func:`position_sets` – positives (sites of the motifs under study) and
  scored positions (positives or true background; sites of other motifs are
  left out, Koo & Ploenzke 2021);
* :func:`dilate` – positions within a tolerance of a site;
* :func:`check_2d`, :func:`check_mask`, :func:`check_scores` – the argument
  checks shared by those modules (``ValueError`` naming the argument).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gsattn.motifs import ROLES


# --------------------------------------------------------------------------- validation
def check_2d(name: str, array: np.ndarray, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A 2-D ``(N, L)`` array (optionally of ``shape``), else ``ValueError``."""
    array = np.asarray(array)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (N, L), got shape {array.shape}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape}")
    return array


def check_mask(name: str, mask: np.ndarray, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A 2-D ``(N, L)`` boolean mask (optionally of ``shape``), else ``ValueError``."""
    mask = check_2d(name, mask, shape)
    if mask.dtype != bool:
        raise ValueError(f"{name} must be a boolean array, got dtype {mask.dtype}")
    return mask


def check_scores(scores: np.ndarray, shape: tuple[int, ...], used: np.ndarray) -> np.ndarray:
    """Scores as float64; they must be finite wherever ``used``."""
    scores = check_2d("scores", scores, shape)
    if not np.issubdtype(scores.dtype, np.number) or np.iscomplexobj(scores):
        raise ValueError(f"scores must be real numbers, got dtype {scores.dtype}")
    scores = scores.astype(np.float64)
    if not np.isfinite(scores[used]).all():
        raise ValueError("scores must be finite on every scored/valid position")
    return scores


def check_motif_table(motif_labels, motif_roles) -> tuple[np.ndarray, np.ndarray]:
    """``(M,)`` motif labels and roles as string arrays; ``ValueError`` on a shape
    mismatch or a role outside :data:`gsattn.motifs.ROLES`."""
    names = np.asarray(motif_labels, dtype=str)
    roles = np.asarray(motif_roles, dtype=str)
    if names.ndim != 1 or names.shape != roles.shape:
        raise ValueError("motif_labels and motif_roles must be 1-D of equal length")
    unknown = sorted(set(roles.tolist()) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown motif roles {unknown}; expected {ROLES}")
    return names, roles


def motif_targets(names: np.ndarray, roles: np.ndarray) -> list[tuple[str, str, str, int | None]]:
    """What recovery and selection are scored against, in report order.

    For each role of :data:`~gsattn.motifs.ROLES` that some motif has: the
    union of its motifs (``motif_name = "all"``, ``motif = None``), then each
    motif on its own. ``group`` is ``"decoy"`` for decoys, else ``"recovery"``.

    Parameters
    ----------
    names, roles : numpy.ndarray
        ``(M,)`` motif names and roles (from :func:`check_motif_table`).

    Returns
    -------
    list of tuple
        ``(group, role, motif_name, motif)`` with ``motif`` an index into the
        motif table or ``None`` for the union.
    """
    targets = []
    for role in ROLES:
        members = np.flatnonzero(roles == role)
        if members.size == 0:
            continue
        group = "decoy" if role == "decoy" else "recovery"
        targets.append((group, role, "all", None))
        targets += [(group, role, str(names[j]), int(j)) for j in members]
    return targets


def valid_positions(lengths: np.ndarray, length: int) -> np.ndarray:
    """Mask of unpadded positions.

    Parameters
    ----------
    lengths : numpy.ndarray
        ``(N,)`` unpadded sequence lengths, each in ``[0, length]``.
    length : int
        Padded length ``L``.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` bool, True where ``position < lengths[i]``.
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be a 1-D integer array, got {lengths.dtype} {lengths.shape}")
    if (lengths < 0).any() or (lengths > length).any():
        raise ValueError(f"lengths must lie in [0, {length}]")
    return np.arange(length)[None, :] < lengths[:, None]


def length_groups(lengths: np.ndarray) -> list[np.ndarray]:
    """Indices of the sequences of each distinct length (or other integer key), smallest first.

    Parameters
    ----------
    lengths : numpy.ndarray
        ``(N,)`` integer lengths, ``N >= 1``.

    Returns
    -------
    list of numpy.ndarray
        One ascending index array per distinct length; together a partition
        of ``range(N)``.
    """
    _, inverse = np.unique(np.asarray(lengths), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    return np.split(order, np.cumsum(np.bincount(inverse))[:-1])


# --------------------------------------------------------------------------- position sets
def position_sets(
    motif_index: np.ndarray,
    lengths: np.ndarray,
    motif_roles: Sequence[str] | np.ndarray,
    role: str = "predictive",
    motif: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Positive and scored positions for one role (or one motif).

    Parameters
    ----------
    motif_index : numpy.ndarray
        ``(N, L)`` integer index into the motif table of the site covering each
        position, ``-1`` for background and padding.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths; positions ``>= lengths[i]`` are never used.
    motif_roles : sequence of str
        ``(M,)`` role of each motif (one of ``predictive``, ``decoy``, ``known``).
    role : str
        Role whose sites are the positives. Not used when ``motif`` is given.
    motif : int, optional
        Index of a single motif whose sites are the positives.

    Returns
    -------
    positive : numpy.ndarray
        ``(N, L)`` bool, valid positions inside a site of the chosen motifs.
    scored : numpy.ndarray
        ``(N, L)`` bool, ``positive`` or true background (valid and in no site
        of any motif). Sites of other motifs are excluded.
    """
    motif_index = check_2d("motif_index", motif_index)
    if not np.issubdtype(motif_index.dtype, np.integer):
        raise ValueError(f"motif_index must be integer, got dtype {motif_index.dtype}")
    roles = np.asarray(motif_roles, dtype=str)
    if roles.ndim != 1:
        raise ValueError("motif_roles must be 1-D")
    n_motifs = roles.shape[0]
    if motif_index.size and (motif_index.min() < -1 or motif_index.max() >= n_motifs):
        raise ValueError(f"motif_index values must lie in [-1, {n_motifs - 1}]")
    valid = valid_positions(lengths, motif_index.shape[1])
    if valid.shape != motif_index.shape:
        raise ValueError("lengths and motif_index disagree on the number of sequences")
    if motif is None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {role!r}")
        chosen = np.flatnonzero(roles == role)
    else:
        if not 0 <= int(motif) < n_motifs:
            raise ValueError(f"motif must lie in [0, {n_motifs - 1}], got {motif}")
        chosen = np.array([int(motif)])
    positive = np.isin(motif_index, chosen) & valid
    scored = positive | ((motif_index == -1) & valid)
    return positive, scored


# --------------------------------------------------------------------------- dilation
def dilate(mask: np.ndarray, tolerance: int) -> np.ndarray:
    """Positions within ``tolerance`` positions of a True entry, per row.

    Parameters
    ----------
    mask : numpy.ndarray
        ``(N, L)`` bool.
    tolerance : int
        Non-negative half-width in positions.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` bool.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    if tolerance == 0:
        return mask.copy()
    n_seq, length = mask.shape
    cumulative = np.zeros((n_seq, length + 1), dtype=np.int64)
    np.cumsum(mask, axis=1, out=cumulative[:, 1:])
    pos = np.arange(length)
    hi = np.minimum(pos + tolerance + 1, length)
    lo = np.maximum(pos - tolerance, 0)
    return (cumulative[:, hi] - cumulative[:, lo]) > 0
