"""Known-motif enrichment of position sets (Phase 4).

Three steps, each a few small functions:

1. **Scan** (:func:`jaspar_collection`, :func:`scan_tokens`): every sequence of a
   data set is scanned with a JASPAR collection by memelite's FIMO (both strands,
   one p-value threshold). A hit is ``(row, matrix, start, end, strand, score,
   p_value)`` with ``end`` exclusive, in the coordinates of the encoded tokens (the
   model's input: cropped and right-padded), so hits and selected positions share one
   frame. Hits that reach into the padding are dropped.
2. **Overlap test** (:func:`site_tables`, :func:`cmh_one_sided`): does a position
   set ``S`` (``(N, L)`` bool, e.g. the positions a sparse selector keeps) fall on the
   sites of motif ``m`` more than chance, keeping the set's positional profile? The
   rule, fixed before any run:

   * unit: a **site** of ``m`` (overlapping hits of one matrix in one sequence, either
     strand, merged: :func:`merge_sites`) in a sequence the set was computed on, so
     one motif instance counts once, whatever its width;
   * null: the set of the sequence holding the site is exchangeable with the sets of
     the other sequences of the same length and class (the whole-mask permutation of
     Phase 2's selection test, within classes, taken analytically). Each site is one
     stratum: sequence ``i`` (holding the site) against the other ``n − 1`` sequences
     of its length and class, the outcome "this sequence's set touches ``[start,
     end)``". Within the class, because a set that is larger or placed differently in
     positives would otherwise be "enriched" for every motif that marks positives
     (a test shows it for random positions drawn in positives only). A set that sits at −30
     of every promoter touches a TATA box at −30 in other sequences as often as in
     its own, so it is not called enriched for TATA merely for being there; a set
     that moves to where the motif is, is;
   * effect: the Mantel–Haenszel common odds ratio over the sites (odds that a
     sequence's set touches a site in that sequence against the same window in the
     other sequences) with the Robins–Breslow–Greenland 95 % CI; test: the one-sided
     Cochran–Mantel–Haenszel statistic with continuity correction,
     ``Z = (Σa − ΣE[a] − ½) / sqrt(ΣVar[a])``, ``p = 1 − Φ(Z)`` (for ``Σa > ΣE[a]`` its
     square is statsmodels' ``test_null_odds(correction=True)``; without the ½ a single
     site in 400 sequences, touched where 19 % of the others are, gets p = 0.02 instead of
     the exact 0.19); seeds pool by taking their strata together;
   * Benjamini–Hochberg across the motifs of one set (one family per set, ρ and
     seed group); a motif is *enriched* when the adjusted p is below ``alpha`` and the
     odds ratio exceeds 1.

   Caveats: several sites of one motif in one sequence are scored as independent
   strata (they share the sequence's set); the normal approximation wants more than a
   handful of sites (a motif with few sites gets a large p or a wide CI). The random
   set of the same count per sequence (:func:`random_set`) is the calibration row
   beside every set.
3. **Classes** (:func:`class_rows`): is a motif hit in more positive than negative
   sequences? One 2×2 table of sequences (positive or not × at least one hit or
   not), Fisher's exact test, one-sided (``greater``), Woolf CI with 0.5 added
   to every cell when one is empty; BH across motifs.

Hooks for the de novo part: :func:`jaspar_collection` gives the ``(4, w)`` matrices a
TOMTOM match (memelite) or a logo (logomaker) needs, and :func:`merge_sites` the motif
instances of the hit table (:data:`HIT_COLUMNS`).
"""

from __future__ import annotations

import csv
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from gsattn.seq import ALPHABET, one_hot

log = logging.getLogger(__name__)

HIT_COLUMNS = ("row", "id", "matrix_id", "name", "start", "end", "strand", "score", "p_value")
# Sums over strata of the Mantel–Haenszel / CMH components (all additive over strata).
CMH_SUMS = ("a", "expected", "variance", "r", "s", "pr", "ps_qr", "qs", "n_in", "b")


@dataclass(frozen=True)
class Matrix:
    """One JASPAR matrix: ``probs`` is ``(4, w)``, ACGT rows, columns summing to 1."""

    matrix_id: str
    name: str
    probs: np.ndarray


# --------------------------------------------------------------------------- collection
def _probs(counts, pseudocount: float) -> np.ndarray:
    """``(4, w)`` probabilities from a Bio.motifs counts mapping (+ ``pseudocount``)."""
    matrix = np.array([counts[b] for b in ALPHABET], dtype=float) + pseudocount
    return matrix / matrix.sum(axis=0, keepdims=True)


def jaspar_collection(
    release: str,
    matrix_ids: Sequence[str] | None = None,
    collection: str = "CORE",
    tax_group: str = "vertebrates",
    pseudocount: float = 0.5,
) -> list[Matrix]:
    """Matrices of a JASPAR release shipped with pyjaspar (offline).

    Parameters
    ----------
    release : str
        e.g. ``"JASPAR2024"``; a release pyjaspar does not ship is refused.
    matrix_ids : sequence of str, optional
        These matrices only (in this order); ``None``: the non-redundant collection
        (the latest version of every matrix of ``collection`` and ``tax_group``).
    collection, tax_group : str
        JASPAR collection and taxonomic group.
    pseudocount : float
        Added to every count before normalising.

    Returns
    -------
    list of Matrix
    """
    from pyjaspar import jaspardb

    db = jaspardb(release=release)
    if db.release != release:
        raise ValueError(f"JASPAR release {release!r} is not shipped with pyjaspar")
    if matrix_ids is None:
        found = db.fetch_motifs(collection=collection, tax_group=[tax_group])
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = [db.fetch_motif_by_id(m) for m in matrix_ids]
        missing = [m for m, f in zip(matrix_ids, found, strict=True) if f is None]
        if missing:
            raise ValueError(f"no JASPAR matrix {missing} in {release}")
    matrices = [Matrix(m.matrix_id, m.name, _probs(m.counts, pseudocount)) for m in found]
    log.info("%s %s %s: %d matrices", release, collection, tax_group, len(matrices))
    return matrices


# --------------------------------------------------------------------------- scan
def _empty_hits() -> dict[str, np.ndarray]:
    return {
        "row": np.zeros(0, np.int64),
        "motif": np.zeros(0, np.int64),
        "start": np.zeros(0, np.int64),
        "end": np.zeros(0, np.int64),
        "strand": np.zeros(0, "<U1"),
        "score": np.zeros(0, np.float64),
        "p_value": np.zeros(0, np.float64),
    }


def scan_tokens(
    matrices: Sequence[Matrix], tokens: np.ndarray, lengths: np.ndarray, threshold: float
) -> dict[str, np.ndarray]:
    """FIMO hits of every matrix on both strands of every sequence.

    Parameters
    ----------
    matrices : sequence of Matrix
    tokens : numpy.ndarray
        ``(N, L)`` token ids (``gsattn.seq``: ACGT = 0..3, N and PAD all-zero one-hot).
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths; hits with ``end > length`` are dropped.
    threshold : float
        FIMO p-value threshold.

    Returns
    -------
    dict of numpy.ndarray
        Equal-length columns ``row``, ``motif`` (index into ``matrices``), ``start``,
        ``end`` (exclusive), ``strand`` (``+``/``-``), ``score``, ``p_value``, sorted by
        motif, row, start and strand.
    """
    from memelite import fimo

    tokens, lengths = np.asarray(tokens), np.asarray(lengths)
    if tokens.ndim != 2 or lengths.shape != tokens.shape[:1]:
        raise ValueError(f"tokens must be (N, L) and lengths (N,), got {tokens.shape} and {lengths.shape}")
    if not matrices or not len(tokens):
        return _empty_hits()
    names = {f"m{i}": m.probs for i, m in enumerate(matrices)}
    frames = fimo(names, one_hot(tokens).astype(np.float32), threshold=threshold, reverse_complement=True)
    parts = [_frame_columns(frame, i) for i, frame in enumerate(frames)]
    hits = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else _empty_hits()
    keep = hits["end"] <= lengths[hits["row"]]
    hits = {k: v[keep] for k, v in hits.items()}
    order = np.lexsort((hits["strand"], hits["start"], hits["row"], hits["motif"]))
    return {k: v[order] for k, v in hits.items()}


def _frame_columns(frame, motif: int) -> dict[str, np.ndarray]:
    """Columns of one memelite hit DataFrame (``sequence_name`` is the row index)."""
    if len(frame) == 0:
        return _empty_hits()
    return {
        "row": frame["sequence_name"].to_numpy().astype(np.int64),
        "motif": np.full(len(frame), motif, np.int64),
        "start": frame["start"].to_numpy().astype(np.int64),
        "end": frame["end"].to_numpy().astype(np.int64),
        "strand": frame["strand"].to_numpy().astype("<U1"),
        "score": frame["score"].to_numpy().astype(np.float64),
        "p_value": frame["p-value"].to_numpy().astype(np.float64),
    }


def hit_table(hits: dict[str, np.ndarray], matrices: Sequence[Matrix], ids: np.ndarray) -> dict[str, list]:
    """Hit columns named as :data:`HIT_COLUMNS` (sequence ID, matrix ID and name filled in)."""
    motif = hits["motif"]
    return {
        "row": hits["row"].tolist(),
        "id": [str(ids[r]) for r in hits["row"]],
        "matrix_id": [matrices[i].matrix_id for i in motif],
        "name": [matrices[i].name for i in motif],
        "start": hits["start"].tolist(),
        "end": hits["end"].tolist(),
        "strand": hits["strand"].tolist(),
        "score": hits["score"].tolist(),
        "p_value": hits["p_value"].tolist(),
    }


def read_hits(path: str, matrix_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Read a hit table (:data:`HIT_COLUMNS`) back; ``motif`` indexes ``matrix_ids``."""
    index = {m: i for i, m in enumerate(matrix_ids)}
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if rows and set(HIT_COLUMNS) - set(rows[0]):
        raise ValueError(f"{path}: line 1 lacks columns {sorted(set(HIT_COLUMNS) - set(rows[0]))}")
    unknown = sorted({r["matrix_id"] for r in rows} - set(index))
    if unknown:
        raise ValueError(f"{path}: matrices {unknown[:3]} are not in the motif list; re-run scan_motifs")
    hits = _empty_hits()
    if rows:
        hits = {
            "row": np.array([int(r["row"]) for r in rows], np.int64),
            "motif": np.array([index[r["matrix_id"]] for r in rows], np.int64),
            "start": np.array([int(r["start"]) for r in rows], np.int64),
            "end": np.array([int(r["end"]) for r in rows], np.int64),
            "strand": np.array([r["strand"] for r in rows], "<U1"),
            "score": np.array([float(r["score"]) for r in rows]),
            "p_value": np.array([float(r["p_value"]) for r in rows]),
        }
    return hits


def merge_sites(hits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Overlapping hits of one matrix in one sequence (either strand) merged into sites.

    A palindrome found on both strands, or a hit shifted by a base, is one site: the
    unit of the overlap test, so one motif instance counts once.

    Returns
    -------
    dict of numpy.ndarray
        ``(S,)`` columns ``row``, ``motif``, ``start``, ``end`` (the union's bounds),
        sorted by motif, row and start.
    """
    order = np.lexsort((hits["start"], hits["row"], hits["motif"]))
    row, motif, start, end = (hits[k][order] for k in ("row", "motif", "start", "end"))
    new = np.ones(row.size, bool)
    stop = end.copy()
    for i in range(1, row.size):
        if row[i] == row[i - 1] and motif[i] == motif[i - 1] and start[i] < stop[i - 1]:
            new[i] = False
            stop[i] = max(stop[i - 1], end[i])
    first = np.flatnonzero(new)
    last = np.r_[first[1:], row.size] - 1
    return {"row": row[first], "motif": motif[first], "start": start[first], "end": stop[last]}


# --------------------------------------------------------------------------- position sets
def universe_mask(rows: np.ndarray, lengths: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``(N, L)`` bool: the valid positions of sequences ``rows`` (the set's sequences)."""
    out = np.zeros(shape, bool)
    out[rows] = np.arange(shape[1])[None, :] < np.asarray(lengths)[rows, None]
    return out


def embed_set(rows: np.ndarray, mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``(N, L)`` bool set from the ``(len(rows), L)`` mask of the sequences ``rows``."""
    out = np.zeros(shape, bool)
    out[rows] = mask
    return out


def random_set(universe: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random positions of a given count per sequence: the control set.

    Parameters
    ----------
    universe : numpy.ndarray
        ``(N, L)`` bool positions that may be drawn.
    counts : numpy.ndarray
        ``(N,)`` positions to draw per sequence (capped at the sequence's universe).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` bool, ``min(counts[i], universe[i].sum())`` distinct positions of
        ``universe[i]`` in row ``i``, uniformly at random.
    """
    keys = np.where(universe, rng.random(universe.shape), np.inf)
    ranks = np.argsort(np.argsort(keys, axis=1, kind="stable"), axis=1, kind="stable")
    return universe & (ranks < np.asarray(counts)[:, None])


# --------------------------------------------------------------------------- the overlap test
def site_tables(
    sites: dict[str, np.ndarray],
    selected: np.ndarray,
    universe: np.ndarray,
    groups: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One 2×2 stratum per motif site: does the set touch it, here and at the same place elsewhere?

    For a site ``[start, end)`` in sequence ``i`` of the set's sequences (rows of
    ``universe`` with a position): the exposed unit is sequence ``i``, the others are
    the other set sequences of the same length and group (class); the outcome is "the
    sequence's set touches ``[start, end)``". Cells: ``a`` = 1 if ``i``'s set touches
    it, ``b = 1 − a``, ``c`` = how many of the others' sets touch the same window,
    ``d`` = the rest.

    Parameters
    ----------
    sites : dict of numpy.ndarray
        :func:`merge_sites` output.
    selected, universe : numpy.ndarray
        ``(N, L)`` bool; ``selected`` within ``universe`` (the valid positions of the
        sequences the set was computed on).
    groups : numpy.ndarray, optional
        ``(N,)`` int group of every sequence (the class label); ``None``: one group.

    Returns
    -------
    dict of numpy.ndarray
        ``(K,)`` cells ``a``, ``b``, ``c``, ``d`` and ``motif`` of the K sites in those
        sequences; a site whose sequence has no other of its length and group has
        ``n = 1`` (no information).
    """
    if (selected & ~universe).any():
        raise ValueError("the position set has positions outside its sequences")
    lengths = universe.sum(axis=1)
    keys = lengths if groups is None else lengths * 2**32 + np.asarray(groups, np.int64)
    in_set = universe.any(axis=1)
    cum = np.zeros((selected.shape[0], selected.shape[1] + 1), np.int64)
    cum[:, 1:] = np.cumsum(selected, axis=1)
    keep = in_set[sites["row"]]
    row, start, end = sites["row"][keep], sites["start"][keep], sites["end"][keep]
    own = (cum[row, end] - cum[row, start]) > 0
    touching = np.zeros(row.size, np.int64)
    stratum_size = np.zeros(row.size, np.int64)
    for key in np.unique(keys[in_set]):
        members = np.flatnonzero(in_set & (keys == key))
        here = keys[row] == key
        windows, inverse = np.unique(np.stack([start[here], end[here]]), axis=1, return_inverse=True)
        counts = ((cum[members][:, windows[1]] - cum[members][:, windows[0]]) > 0).sum(axis=0)
        touching[here] = counts[inverse.reshape(-1)]
        stratum_size[here] = members.size
    a = own.astype(float)
    c = (touching - own).astype(float)
    return {"a": a, "b": 1 - a, "c": c, "d": stratum_size - 1 - c, "motif": sites["motif"][keep]}


def cmh_sums(tables: dict[str, np.ndarray], n_motifs: int = 1) -> dict[str, np.ndarray]:
    """Per-motif sums over strata of the MH / CMH components (:data:`CMH_SUMS`).

    Parameters
    ----------
    tables : dict of numpy.ndarray
        ``(K,)`` cells ``a, b, c, d`` of K strata and, optionally, ``motif`` (``(K,)``
        int, the motif each stratum belongs to; all 0 when absent).
    n_motifs : int
        Motifs to sum over (``motif`` < ``n_motifs``).

    Returns
    -------
    dict of numpy.ndarray
        ``(n_motifs,)`` sums; strata with fewer than two units add nothing.
    """
    a, b, c, d = (np.asarray(tables[k], float).reshape(-1) for k in "abcd")
    motif = np.asarray(tables.get("motif", np.zeros(a.size, int))).reshape(-1)
    n = a + b + c + d
    n1, n0, m1, m0 = a + b, c + d, a + c, b + d
    ok = n > 1
    safe = np.where(ok, n, 2.0)
    r, s = a * d / safe, b * c / safe
    p, q = (a + d) / safe, (b + c) / safe
    parts = {
        "a": a,
        "expected": n1 * m1 / safe,
        "variance": n1 * n0 * m1 * m0 / (safe**2 * (safe - 1)),
        "r": r,
        "s": s,
        "pr": p * r,
        "ps_qr": p * s + q * r,
        "qs": q * s,
        "n_in": n1,
        "b": b,
    }
    return {k: np.bincount(motif, np.where(ok, v, 0.0), minlength=n_motifs) for k, v in parts.items()}


def cmh_one_sided(sums: dict[str, np.ndarray], level: float = 0.95) -> dict[str, np.ndarray]:
    """Mantel–Haenszel odds ratio, its RBG CI and the one-sided CMH p-value.

    Parameters
    ----------
    sums : dict of numpy.ndarray
        ``(M,)`` sums from :func:`cmh_sums` (or pooled, :func:`add_summaries`).
    level : float
        Confidence level of the interval.

    Returns
    -------
    dict of numpy.ndarray
        ``(M,)`` ``odds_ratio`` (inf when no discordant ``b·c`` mass, NaN without
        information), ``ci_low``, ``ci_high`` (NaN where the RBG variance is
        undefined), ``z`` (continuity-corrected) and ``p_value`` (``1 − Φ(z)``; 1 where the
        variance is 0).
    """
    r, s = sums["r"], sums["s"]
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(s > 0, r / s, np.where(r > 0, np.inf, np.nan))
        var_log = sums["pr"] / (2 * r**2) + sums["ps_qr"] / (2 * r * s) + sums["qs"] / (2 * s**2)
        half = stats.norm.ppf(0.5 + level / 2) * np.sqrt(var_log)
        finite = (r > 0) & (s > 0)
        low = np.where(finite, np.exp(np.log(odds) - half), np.nan)
        high = np.where(finite, np.exp(np.log(odds) + half), np.nan)
        excess = sums["a"] - sums["expected"] - 0.5  # continuity correction of P(sum a >= observed)
        z = np.where(sums["variance"] > 0, excess / np.sqrt(sums["variance"]), 0.0)
    p = np.where(sums["variance"] > 0, stats.norm.sf(z), 1.0)
    return {"odds_ratio": odds, "ci_low": low, "ci_high": high, "z": z, "p_value": p}


def bh_adjust(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (statsmodels ``fdr_bh``); empty stays empty."""
    from statsmodels.stats.multitest import multipletests

    p_values = np.asarray(p_values, float)
    if p_values.size == 0:
        return p_values
    return multipletests(p_values, method="fdr_bh")[1]


def hits_overlapping(hits: dict[str, np.ndarray], selected: np.ndarray, universe: np.ndarray) -> tuple:
    """Motif index of every hit in the set's sequences that touches / misses a set position.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The ``motif`` of each touching hit and of each other hit of the same sequences
        (rows where ``universe`` has a position), for ``numpy.bincount``.
    """
    n, length = selected.shape
    cum = np.zeros((n, length + 1), np.int64)
    cum[:, 1:] = np.cumsum(selected, axis=1)
    in_rows = universe.any(axis=1)[hits["row"]]
    touching = (cum[hits["row"], hits["end"]] - cum[hits["row"], hits["start"]]) > 0
    return hits["motif"][in_rows & touching], hits["motif"][in_rows & ~touching]


def set_summary(
    hits: dict[str, np.ndarray],
    sites: dict[str, np.ndarray],
    selected: np.ndarray,
    universe: np.ndarray,
    n_motifs: int,
    groups: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The additive summary of one position set against every motif.

    Parameters
    ----------
    hits : dict of numpy.ndarray
        The scan's hit columns (:func:`scan_tokens`, :func:`read_hits`).
    sites : dict of numpy.ndarray
        The same hits merged (:func:`merge_sites`).
    selected, universe : numpy.ndarray
        ``(N, L)`` bool: the set, and the valid positions of the sequences it was
        computed on.
    n_motifs : int
    groups : numpy.ndarray, optional
        ``(N,)`` int group (class) of every sequence: sets are compared within groups.

    Returns
    -------
    dict of numpy.ndarray
        ``(M,)`` sums of :func:`cmh_sums` over the sites of :func:`site_tables`, plus
        ``hits_in`` / ``hits_out`` (raw hits touching the set or not); summaries of
        several seeds pool with :func:`add_summaries` (their strata taken together).
    """
    summary = cmh_sums(site_tables(sites, selected, universe, groups), n_motifs)
    touch, rest = hits_overlapping(hits, selected, universe)
    summary["hits_in"] = np.bincount(touch, minlength=n_motifs).astype(float)
    summary["hits_out"] = np.bincount(rest, minlength=n_motifs).astype(float)
    return summary


def add_summaries(summaries: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Pool :func:`set_summary` results (their strata, and hit counts, taken together)."""
    return {k: np.sum([s[k] for s in summaries], axis=0) for k in summaries[0]}


def ranked_rows(summary: dict[str, np.ndarray], alpha: float) -> list[dict]:
    """Ranked rows of every motif from one (pooled) :func:`set_summary`.

    Returns
    -------
    list of dict
        One row per motif (index ``motif``), sorted by p-value, then odds ratio
        (descending), then motif index, with ``rank`` 1.., the columns of
        :func:`cmh_one_sided`, ``p_adjusted`` (BH across the motifs), ``enriched``
        (adjusted p below ``alpha`` and odds ratio above 1), ``sites`` (sites in the
        set's sequences that entered the test), ``sites_in`` (those the set touches),
        ``expected_in`` (the number expected from the other sequences' sets) and
        ``hits_in`` / ``hits_out`` (raw FIMO hits touching the set or not).
    """
    test = cmh_one_sided(summary)
    adjusted = bh_adjust(test["p_value"])
    odds = np.nan_to_num(test["odds_ratio"], nan=0.0, posinf=np.finfo(float).max)
    order = np.lexsort((np.arange(odds.size), -odds, test["p_value"]))
    rows = []
    for rank, m in enumerate(order, start=1):
        row = {"rank": rank, "motif": int(m)}
        row |= {k: float(test[k][m]) for k in ("odds_ratio", "ci_low", "ci_high", "p_value")}
        row["p_adjusted"] = float(adjusted[m])
        row["enriched"] = bool(adjusted[m] < alpha and test["odds_ratio"][m] > 1)
        row["sites"] = int(summary["n_in"][m])
        row["sites_in"] = int(summary["a"][m])
        row["expected_in"] = float(summary["expected"][m])
        row["hits_in"], row["hits_out"] = int(summary["hits_in"][m]), int(summary["hits_out"][m])
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- classes
def sequences_with_hit(hits: dict[str, np.ndarray], n_motifs: int, n_rows: int) -> np.ndarray:
    """``(M, N)`` bool: sequence ``i`` holds at least one hit of motif ``m``."""
    out = np.zeros((n_motifs, n_rows), bool)
    out[hits["motif"], hits["row"]] = True
    return out


def woolf_ci(a: float, b: float, c: float, d: float, level: float = 0.95) -> tuple[float, float, float]:
    """Odds ratio ``ad/bc`` and its Woolf (log) CI; 0.5 added to every cell when one is 0."""
    if min(a, b, c, d) == 0:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    log_or = math.log(a * d / (b * c))
    half = stats.norm.ppf(0.5 + level / 2) * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return math.exp(log_or), math.exp(log_or - half), math.exp(log_or + half)


def class_rows(present: np.ndarray, labels: np.ndarray, alpha: float) -> list[dict]:
    """Are motif hits more frequent in positive than in negative sequences?

    Parameters
    ----------
    present : numpy.ndarray
        ``(M, N)`` bool (:func:`sequences_with_hit`).
    labels : numpy.ndarray
        ``(N,)`` 0/1 class of every sequence.
    alpha : float
        Level of the BH-adjusted call.

    Returns
    -------
    list of dict
        One row per motif, ranked by one-sided Fisher p (then odds ratio): ``rank``,
        ``motif``, ``odds_ratio`` (the sample ``ad/bc``, inf or NaN as it falls),
        ``ci_low``/``ci_high`` (Woolf), ``p_value``, ``p_adjusted``, ``enriched`` and
        the counts of positives / negatives with and without a hit.
    """
    labels = np.asarray(labels).astype(bool)
    pos_hit = present[:, labels].sum(1)
    neg_hit = present[:, ~labels].sum(1)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    found = []
    for m in range(present.shape[0]):
        a, c = int(pos_hit[m]), int(neg_hit[m])
        b, d = n_pos - a, n_neg - c
        p = stats.fisher_exact([[a, b], [c, d]], alternative="greater").pvalue
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.float64(a * d) / np.float64(b * c)
        _, low, high = woolf_ci(a, b, c, d)
        found.append((m, float(odds), low, high, float(p), a, b, c, d))
    adjusted = bh_adjust([f[4] for f in found])
    key = [(f[4], -np.nan_to_num(f[1], nan=0.0, posinf=np.finfo(float).max)) for f in found]
    order = sorted(range(len(found)), key=lambda i: key[i])
    rows = []
    for rank, i in enumerate(order, start=1):
        m, odds, low, high, p, a, b, c, d = found[i]
        rows.append(
            {
                "rank": rank,
                "motif": m,
                "odds_ratio": odds,
                "ci_low": low,
                "ci_high": high,
                "p_value": p,
                "p_adjusted": float(adjusted[i]),
                "enriched": bool(adjusted[i] < alpha and odds > 1),
                "positives_with_hit": a,
                "positives_without": b,
                "negatives_with_hit": c,
                "negatives_without": d,
            }
        )
    return rows
