"""JASPAR position weight matrices (offline, through ``pyjaspar``) and PWM helpers."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gsattn.seq import ALPHABET, reverse_complement_tokens

log = logging.getLogger(__name__)

ROLES = ("predictive", "decoy", "known")


@dataclass(frozen=True)
class Motif:
    """A motif as a probability matrix.

    Attributes
    ----------
    matrix_id, name : str
        JASPAR matrix ID (e.g. ``MA0079.5``) and TF name.
    probs : numpy.ndarray
        ``(4, w)`` column-stochastic probabilities, rows in ACGT order.
    release : str
        JASPAR release the matrix came from.
    role : str
        ``predictive`` (drives the class), ``decoy`` (planted in both classes)
        or ``known`` (user-supplied sites).
    """

    matrix_id: str
    name: str
    probs: np.ndarray
    release: str
    role: str

    @property
    def label(self) -> str:
        """Name used in the BED ``name`` column: ``<matrix_id>:<name>``."""
        return f"{self.matrix_id}:{self.name}"

    @property
    def width(self) -> int:
        return int(self.probs.shape[1])

    def consensus(self) -> str:
        return "".join(ALPHABET[i] for i in self.probs.argmax(axis=0))


@lru_cache(maxsize=4)
def _jaspar(release: str):
    from pyjaspar import jaspardb

    db = jaspardb(release=release)
    if db.release != release:
        raise ValueError(f"JASPAR release {release!r} is not shipped with pyjaspar")
    return db


def _pick_by_name(db, name: str):
    candidates = [m for m in db.fetch_motifs_by_name(name) if m.name.upper() == name.upper()]
    if not candidates:
        raise ValueError(f"no JASPAR motif named {name!r} in {db.release}")
    human = [m for m in candidates if "9606" in (m.species or [])]
    pool = sorted(human or candidates, key=lambda m: m.matrix_id)
    if len(pool) > 1:
        log.info("motif %s: %d matrices match, using %s", name, len(pool), pool[0].matrix_id)
    return pool[0]


def _fetch(db, spec: dict):
    matrix_id, name = spec.get("id"), spec.get("name")
    if matrix_id is None:
        return _pick_by_name(db, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        motif = db.fetch_motif_by_id(matrix_id)
    if motif is None:
        raise ValueError(f"no JASPAR matrix {matrix_id!r} in {db.release}")
    if name is not None and motif.name.upper() != name.upper():
        raise ValueError(f"JASPAR {matrix_id} is {motif.name!r}, not {name!r}")
    return motif


def fetch_jaspar_motifs(
    specs: Sequence[dict], release: str, role: str, pseudocount: float = 0.5
) -> list[Motif]:
    """Fetch motifs from the JASPAR SQLite database shipped with ``pyjaspar``.

    Parameters
    ----------
    specs : sequence of dict
        Each with ``id`` (matrix ID, preferred) and/or ``name``. By name alone the
        human matrix with the lowest ID is taken and logged.
    release : str
        e.g. ``"JASPAR2024"``.
    role : str
        One of :data:`ROLES`.
    pseudocount : float
        Added to every count before normalising (avoids zero probabilities).

    Returns
    -------
    list of Motif
    """
    db = _jaspar(release)
    motifs = []
    for spec in specs:
        m = _fetch(db, spec)
        counts = np.array([m.counts[b] for b in ALPHABET], dtype=float) + pseudocount
        probs = counts / counts.sum(axis=0, keepdims=True)
        motifs.append(Motif(m.matrix_id, m.name, probs, release, role))
        log.info("motif %s (%s, width %d, %s)", m.matrix_id, m.name, probs.shape[1], role)
    return motifs


def sample_instance(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one ``(w,)`` token instance from ``(4, w)`` column probabilities."""
    cumulative = np.cumsum(probs, axis=0)
    draws = rng.random(probs.shape[1])
    idx = (draws[None, :] > cumulative).sum(axis=0)
    return np.minimum(idx, 3).astype(np.uint8)


def log_odds(probs: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``(4, w)`` log2-odds matrix of ``probs`` against ``(4,)`` background frequencies."""
    with np.errstate(divide="ignore"):  # a zero probability scores -inf
        return np.log2(probs / background[:, None])


def score_instance(tokens: np.ndarray, probs: np.ndarray, background: np.ndarray) -> float:
    """Log2-odds score (bits) of a ``(w,)`` ACGT token instance read on the motif's strand."""
    lo = log_odds(probs, background)
    return float(lo[tokens, np.arange(tokens.shape[0])].sum())


def site_tokens(tokens: np.ndarray, start: int, end: int, strand: str) -> np.ndarray:
    """Read ``tokens[start:end]`` on ``strand`` (``-`` gives the reverse complement)."""
    window = tokens[start:end]
    return reverse_complement_tokens(window) if strand == "-" else window.copy()


def scan_max(tokens: np.ndarray, probs: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Best log2-odds score of a motif over both strands of each sequence.

    Parameters
    ----------
    tokens : numpy.ndarray
        ``(N, L)`` token ids; N and PAD score 0 at every motif column.
    probs : numpy.ndarray
        ``(4, w)`` motif probabilities.
    background : numpy.ndarray
        ``(4,)`` background frequencies.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` maximum over positions and strands (``-inf`` if ``L < w``).
    """
    lo = np.vstack([log_odds(probs, background), np.zeros((2, probs.shape[1]))])  # rows A C G T N PAD
    rc = np.vstack([lo[3::-1, ::-1], np.zeros((2, probs.shape[1]))])
    n, length = tokens.shape
    w = probs.shape[1]
    best = np.full(n, -np.inf)
    for matrix in (lo, rc):
        if length < w:
            break
        scores = sum(matrix[tokens[:, j : length - w + 1 + j], j] for j in range(w))
        best = np.maximum(best, scores.max(axis=1))
    return best
