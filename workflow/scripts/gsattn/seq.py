"""Nucleotide alphabet, token encoding and small sequence utilities.

Token ids follow the seed design's ``Embedding(6, 16)``: ``A=0, C=1, G=2, T=3,
N=4, PAD=5``. One-hot columns are in ACGT order and ``N``/``PAD`` are all-zero.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "ACGT"
TOKENS = "ACGTN"
N_TOKEN = 4
PAD_TOKEN = 5
VOCAB_SIZE = 6

_LUT = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(TOKENS):
    _LUT[ord(_c)] = _i
    _LUT[ord(_c.lower())] = _i
# Token id of each token's complement (index = token id); N and PAD map to themselves.
COMPLEMENT_TOKEN = np.array([3, 2, 1, 0, 4, 5], dtype=np.uint8)
_DECODE = np.frombuffer(b"ACGTN-", dtype=np.uint8)


def encode(sequence: str) -> np.ndarray:
    """Encode a nucleotide string as token ids.

    Parameters
    ----------
    sequence : str
        Letters from ``ACGTN`` (either case).

    Returns
    -------
    numpy.ndarray
        ``(L,)`` uint8 token ids.

    Raises
    ------
    ValueError
        If the string holds a letter outside ``ACGTN``.
    """
    tokens = _LUT[np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)]
    bad = np.flatnonzero(tokens == 255)
    if bad.size:
        raise ValueError(f"character {sequence[bad[0]]!r} at position {bad[0]} is not one of ACGTN")
    return tokens


def decode(tokens: np.ndarray) -> str:
    """Turn ``(L,)`` token ids back into a string (``PAD`` becomes ``-``)."""
    return _DECODE[np.asarray(tokens, dtype=np.uint8)].tobytes().decode("ascii")


def reverse_complement_tokens(tokens: np.ndarray) -> np.ndarray:
    """Reverse complement of ``(L,)`` token ids; ``N`` and ``PAD`` map to themselves."""
    return COMPLEMENT_TOKEN[np.asarray(tokens, dtype=np.uint8)][::-1].copy()


def reverse_complement(sequence: str) -> str:
    """Reverse complement of an ``ACGTN`` string."""
    return decode(reverse_complement_tokens(encode(sequence)))


def pad_tokens(tokens: np.ndarray, length: int) -> np.ndarray:
    """Right-pad ``(l,)`` tokens with ``PAD`` to ``(length,)``; ``l`` must be <= length."""
    if tokens.shape[0] > length:
        raise ValueError(f"sequence of length {tokens.shape[0]} exceeds {length}")
    out = np.full(length, PAD_TOKEN, dtype=np.uint8)
    out[: tokens.shape[0]] = tokens
    return out


def one_hot(tokens: np.ndarray) -> np.ndarray:
    """One-hot encode token ids.

    Parameters
    ----------
    tokens : numpy.ndarray
        ``(..., L)`` token ids.

    Returns
    -------
    numpy.ndarray
        ``(..., 4, L)`` float32, ACGT rows; ``N`` and ``PAD`` columns are zero.
    """
    tokens = np.asarray(tokens)
    eye = np.zeros((VOCAB_SIZE, 4), dtype=np.float32)
    eye[np.arange(4), np.arange(4)] = 1.0
    return np.moveaxis(eye[tokens], -1, -2)


def gc_fraction(tokens: np.ndarray) -> float:
    """GC fraction over the A/C/G/T positions of ``(L,)`` tokens (NaN if none)."""
    tokens = np.asarray(tokens)
    acgt = tokens < 4
    if not acgt.any():
        return float("nan")
    return float(np.isin(tokens[acgt], (1, 2)).mean())
