"""De novo motifs from position sets (Phase 4): seqlets, PWMs, TOMTOM matches, MEME files.

The method, fixed before any run (parameters in ``config.denovo``):

1. **Seqlets** (:func:`extract_seqlets`): in every sequence, the runs of a position set
   (``(N, L)`` bool: a sparse selector's kept positions, the top attended or top
   attribution positions), runs closer than ``gap`` merged, each widened by ``flank``
   on both sides and clipped to the sequence: ``(row, start, end)``, ``end`` exclusive.
2. **Seeds** (:func:`kmer_counts`, :func:`best_seed`): the canonical ``k``-mer (a
   k-mer and its reverse complement are one) most over-represented in the seqlets
   against the same sequences' every window: binomial z-score
   ``(c − e) / sqrt(e)`` with ``e = f · W``, ``f`` the k-mer's frequency among the
   windows of the set's sequences and ``W`` the number of k-mer windows in the
   seqlets. A seed needs ``c ≥ min_seqlets``, ``c / e ≥ min_fold`` and ``z ≥ min_z``;
   ties go to the lexicographically first k-mer, so the result is deterministic.
3. **PWM** (:func:`grow_motif`): every not yet assigned seqlet holding the seed (either
   strand, its first occurrence) gives the ``k + 2·extend`` window of the full sequence
   around it, in the seed's orientation; the counts (+ ``pseudocount``) make a PWM.
   The PWM is then refined by expectation maximisation under MEME's ZOOPS model
   (:func:`zoops_em`; Bailey & Elkan 1995): every not yet assigned seqlet holds zero
   or one site, anywhere in the ``k + 2·extend`` windows overlapping it on either
   strand; each step weights every window by its posterior of being the site
   (log-odds against the set's base composition) and re-estimates the PWM from the
   weighted windows and the share of seqlets with a site, for at most ``iterations``
   steps or until no PWM entry moves by 1e-4. The seqlets whose posterior of holding
   a site is at least 1/2 are the motif's. EM maximises likelihood, not enrichment: it
   may slide from an over-represented seed to a more abundant motif that is not, so EM
   stops before a step whose PWM's consensus would no longer hold the seed (either
   strand) and keeps the last PWM that does (session 15; in session 14 such a PWM was
   dropped and the next seed tried, which lost the planted TBP: chosen on two
   validation fixtures, tests/test_denovo.py). (Until session 14 the refinement re-scanned
   the seqlets and kept those whose best window scored ``min_score`` = 0.6 of the PWM
   maximum: a PWM grown from windows holding the exact seed is nearly 1 at the seed's
   columns, so one mismatch fell under the cut and the PWM stayed the seed's; the
   planted TBP came out as TATAAAA at 0.99 per column against JASPAR's 0.57-0.96, which
   a PWM estimated from that many true sites would match at q ~1e-10.) Edge columns
   under ``trim_bits`` of information are trimmed (the choice of a validation rule,
   tests/test_denovo.py). A motif with fewer than ``min_seqlets`` seqlets is dropped
   and the next seed tried; otherwise its seqlets are removed and the next seed is
   sought, up to ``max_motifs``.
4. **Matches** (:func:`match_jaspar`): memelite's TOMTOM against the scanned JASPAR
   collection (both strands); q-values are Benjamini–Hochberg across the collection,
   per discovered motif; the best match is the smallest p. Each match is also put to
   its own null (:func:`shuffle_p`): ``n_shuffles`` column permutations of the
   discovered PWM (the decoys of the TOMTOM paper, Gupta et al. 2007: the same columns,
   so the same information, in an order that is no motif) are matched to the same
   collection, and ``shuffle_p = (1 + #{shuffles whose p against that matrix is at most
   the motif's}) / (1 + n_shuffles)``. A match *counts* (:func:`counted`) when its q and
   its ``shuffle_p`` are both below ``alpha``: a PWM of near-uniform columns matches a
   long matrix at a small TOMTOM q whatever their order (measured on the default
   synthetic run, session 14: four such PWMs, 4-7 bits, matched CTCF at q 3e-7 to 0.014
   with ``shuffle_p`` 0.18-0.92, while the planted motifs' matches had 0.01, the
   smallest 99 shuffles give).

Above ``max_seqlets`` seqlets per set, a uniform subsample is drawn with
``numpy.random.default_rng(seed)``; below it nothing is random.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gsattn.enrichment import Matrix, bh_adjust
from gsattn.seq import reverse_complement

log = logging.getLogger(__name__)

COMPLEMENT = np.array([3, 2, 1, 0])  # ACGT -> TGCA
EM_TOLERANCE = 1e-4  # EM stops when no PWM entry moves by more than this
GAMMA_BOUNDS = (1e-3, 0.999)  # the ZOOPS share of seqlets with a site stays inside these
PACK = 6  # columns per look-up block of a window (4**6 table entries)


@dataclass(frozen=True)
class DenovoSpec:
    """Parameters of the method (the schema's ``denovo`` defaults)."""

    gap: int = 2
    flank: int = 5
    k: int = 6
    extend: int = 5
    min_seqlets: int = 20
    min_fold: float = 2.0
    min_z: float = 5.0
    iterations: int = 50
    trim_bits: float = 0.3
    pseudocount: float = 0.5
    max_motifs: int = 5
    max_seqlets: int = 10000
    seed: int = 1
    n_shuffles: int = 99

    @classmethod
    def from_config(cls, spec: dict) -> DenovoSpec:
        """The method's keys of ``config.denovo`` (others ignored)."""
        return cls(**{k: spec[k] for k in cls.__dataclass_fields__ if k in spec})


@dataclass
class Motif:
    """One discovered motif: ``probs`` ``(4, w)``, the seed and the seqlets assigned."""

    seed: str
    probs: np.ndarray
    n_seqlets: int
    seqlets: np.ndarray = field(repr=False)  # (n,) indices into the seqlet list


# --------------------------------------------------------------------------- seqlets
def extract_seqlets(selected: np.ndarray, lengths: np.ndarray, gap: int, flank: int) -> np.ndarray:
    """Windows around the runs of a position set.

    Parameters
    ----------
    selected : numpy.ndarray
        ``(N, L)`` bool position set.
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths (windows are clipped to them).
    gap : int
        Runs separated by at most ``gap`` unselected positions merge.
    flank : int
        Positions added on both sides of a run.

    Returns
    -------
    numpy.ndarray
        ``(S, 3)`` int ``row, start, end`` (``end`` exclusive), by row and start.
    """
    out = []
    for row in np.flatnonzero(selected.any(axis=1)):
        pos = np.flatnonzero(selected[row])
        breaks = np.flatnonzero(np.diff(pos) > gap + 1)
        starts = pos[np.r_[0, breaks + 1]]
        ends = pos[np.r_[breaks, pos.size - 1]] + 1
        for s, e in zip(starts, ends, strict=True):
            out.append((row, max(0, s - flank), min(int(lengths[row]), e + flank)))
    return np.array(out, np.int64).reshape(-1, 3)


def subsample(seqlets: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """At most ``limit`` seqlets, a uniform draw (order kept) when there are more."""
    if len(seqlets) <= limit:
        return seqlets
    keep = np.sort(rng.choice(len(seqlets), size=limit, replace=False))
    return seqlets[keep]


# --------------------------------------------------------------------------- k-mers
def kmer_codes(tokens: np.ndarray, k: int) -> np.ndarray:
    """``(N, L - k + 1)`` base-4 codes of the k-mer starting at every position (-1 over N or PAD)."""
    tokens = np.asarray(tokens, np.int64)
    if tokens.shape[1] < k:
        return np.zeros((tokens.shape[0], 0), np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(tokens, k, axis=1)
    valid = (windows < 4).all(axis=2)
    codes = (np.clip(windows, 0, 3) * 4 ** np.arange(k - 1, -1, -1)).sum(axis=2)
    return np.where(valid, codes, -1)


def canonical(codes: np.ndarray, k: int) -> np.ndarray:
    """The smaller of a k-mer code and its reverse complement's (-1 stays -1); any shape."""
    powers = 4 ** np.arange(k - 1, -1, -1)
    digits = (np.asarray(codes)[..., None] // powers) % 4
    rc = ((3 - digits[..., ::-1]) * powers).sum(axis=-1)
    return np.where(codes < 0, -1, np.minimum(codes, rc))


def kmer_text(code: int, k: int) -> str:
    """``ACGT`` text of a k-mer code."""
    return "".join("ACGT"[(code // 4**i) % 4] for i in range(k - 1, -1, -1))


def span_mask(spans: np.ndarray, width: int, k: int) -> np.ndarray:
    """``(S, width - k + 1)`` bool: the k-mer starts that lie wholly inside each span."""
    starts = np.arange(max(width - k + 1, 0))[None, :]
    return (starts >= spans[:, 1:2]) & (starts + k <= spans[:, 2:3])


def kmer_counts(codes: np.ndarray, spans: np.ndarray, k: int) -> np.ndarray:
    """``(4**k,)`` canonical k-mer counts over the spans ``(row, start, end)``.

    ``codes`` is the :func:`canonical` of :func:`kmer_codes`, ``(N, L - k + 1)``.
    """
    if not len(spans):
        return np.zeros(4**k)
    inside = span_mask(spans, codes.shape[1] + k - 1, k)
    picked = codes[spans[:, 0]][inside]
    return np.bincount(picked[picked >= 0], minlength=4**k).astype(float)


def best_seed(seqlet_counts: np.ndarray, background: np.ndarray, spec: DenovoSpec) -> int | None:
    """The canonical k-mer code of the best seed (:mod:`gsattn.denovo` step 2), or None."""
    total_bg, total = background.sum(), seqlet_counts.sum()
    if total_bg == 0 or total == 0:
        return None
    expected = background / total_bg * total
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(expected > 0, (seqlet_counts - expected) / np.sqrt(expected), 0.0)
        fold = np.where(expected > 0, seqlet_counts / expected, 0.0)
    ok = (seqlet_counts >= spec.min_seqlets) & (fold >= spec.min_fold) & (z >= spec.min_z)
    if not ok.any():
        return None
    z = np.where(ok, z, -np.inf)
    return int(np.flatnonzero(z == z.max())[0])


# --------------------------------------------------------------------------- PWMs
def counts_to_probs(windows: np.ndarray, pseudocount: float) -> np.ndarray:
    """``(4, w)`` probabilities from ``(n, w)`` aligned token windows (+ ``pseudocount``)."""
    width = windows.shape[1]
    counts = np.zeros((4, width))
    np.add.at(counts, (windows.reshape(-1), np.tile(np.arange(width), len(windows))), 1)
    return with_pseudocount(counts, pseudocount)


def with_pseudocount(counts: np.ndarray, pseudocount: float) -> np.ndarray:
    """``(4, w)`` column probabilities of ``counts`` + ``pseudocount``."""
    counts = counts + pseudocount
    return counts / counts.sum(axis=0, keepdims=True)


def information(probs: np.ndarray) -> np.ndarray:
    """``(w,)`` information content (bits) of every column against a uniform background."""
    return 2 + (probs * np.log2(probs)).sum(axis=0)


def trim(probs: np.ndarray, bits: float) -> np.ndarray:
    """``probs`` without the edge columns under ``bits`` (at least one column kept)."""
    ic = information(probs)
    keep = np.flatnonzero(ic >= bits)
    if not keep.size:
        return probs[:, [int(ic.argmax())]]
    return probs[:, keep[0] : keep[-1] + 1]


def windows_at(tokens: np.ndarray, rows: np.ndarray, starts: np.ndarray, strands: np.ndarray, width: int):
    """``(n, width)`` token windows (reverse-complemented where ``strands`` is 1)."""
    cols = starts[:, None] + np.arange(width)[None, :]
    w = np.asarray(tokens, np.int64)[rows[:, None], cols]
    return np.where(strands[:, None] == 1, COMPLEMENT[np.clip(w[:, ::-1], 0, 3)], w)


def overlapping_windows(tokens: np.ndarray, seqlets: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``width`` window overlapping a seqlet, on both strands, inside its sequence.

    Parameters
    ----------
    tokens : numpy.ndarray
        ``(N, L)`` token ids (ACGT = 0..3; N and PAD above).
    seqlets : numpy.ndarray
        ``(S, 3)`` ``(row, start, end)``.
    width : int

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(V, width)`` int8 tokens of the windows that hold no N or PAD (the reverse
        complement's read as the motif) and ``(V,)`` the seqlet each belongs to.
    """
    tokens = np.asarray(tokens, np.int64)
    length = tokens.shape[1]
    lo = np.maximum(seqlets[:, 1] - width + 1, 0)
    hi = np.minimum(seqlets[:, 2] - 1, length - width)  # last start, inclusive
    n_pos = max(int((hi - lo + 1).max(initial=0)), 0)
    starts = lo[:, None] + np.arange(n_pos)[None, :]
    cols = np.clip(starts[:, :, None] + np.arange(width), 0, max(length - 1, 0))
    fwd = tokens[seqlets[:, 0, None, None], cols]  # (S, P, w)
    ok = (starts <= hi[:, None]) & (fwd < 4).all(axis=2)
    fwd = fwd[ok]
    owner = np.broadcast_to(np.arange(len(seqlets))[:, None], ok.shape)[ok]
    windows = np.concatenate([fwd, COMPLEMENT[fwd[:, ::-1]]]).astype(np.int8)
    return windows, np.concatenate([owner, owner])


Packed = list[tuple[int, int, np.ndarray]]
""":func:`pack_windows` output: ``(first column, n columns, (V,) codes)`` per block."""


def pack_windows(windows: np.ndarray) -> Packed:
    """``(V, w)`` windows as blocks of ``PACK`` columns, each block one base-4 code per window.

    Returns ``[(first column, n columns, (V,) int32 codes), ...]``: scoring a window is
    then one table look-up per block instead of one per column.
    """
    blocks = []
    for first in range(0, windows.shape[1], PACK):
        n = min(PACK, windows.shape[1] - first)
        powers = 4 ** np.arange(n - 1, -1, -1, dtype=np.int32)
        blocks.append((first, n, windows[:, first : first + n].astype(np.int32) @ powers))
    return blocks


def _axis_shape(n: int, axis: int) -> list[int]:
    return [4 if a == axis else 1 for a in range(n)]


def block_scores(packed: Packed, logodds: np.ndarray) -> np.ndarray:
    """``(V,)`` log-odds sums of the :func:`pack_windows` windows under ``logodds`` ``(4, w)``."""
    score = np.zeros(len(packed[0][2]))
    for first, n, codes in packed:
        table = np.zeros((4,) * n)
        for i in range(n):
            table = table + logodds[:, first + i].reshape(_axis_shape(n, i))
        score += table.ravel()[codes]
    return score


def block_counts(packed: Packed, weights: np.ndarray, width: int) -> np.ndarray:
    """``(4, width)`` base counts of the :func:`pack_windows` windows, each weighted by ``(V,)``."""
    counts = np.zeros((4, width))
    for first, n, codes in packed:
        table = np.bincount(codes, weights=weights, minlength=4**n).reshape((4,) * n)
        for i in range(n):
            counts[:, first + i] = table.sum(axis=tuple(a for a in range(n) if a != i))
    return counts


def zoops_posteriors(
    packed: Packed, owner: np.ndarray, n_seqlets: int, logodds: np.ndarray, gamma: float
) -> np.ndarray:
    """``(V,)`` posterior that each window is its seqlet's site (MEME's ZOOPS model).

    Each seqlet holds zero or one site: one with prior ``gamma``, spread evenly over its
    ``M`` windows (both strands), so a window's posterior is ``λ·LR / (1 − γ + λ·ΣLR)``
    with ``λ = γ / M`` and ``LR = 2^logodds`` (``packed``: :func:`pack_windows`,
    ``owner`` ``(V,)``). A log-odds sum stays far inside float64's exponent range
    (pseudocounts bound it), so no shift is needed.
    """
    n_windows = np.maximum(np.bincount(owner, minlength=n_seqlets), 1)
    lr = np.exp2(block_scores(packed, logodds)) * (gamma / n_windows)[owner]
    total = (1.0 - gamma) + np.bincount(owner, weights=lr, minlength=n_seqlets)
    return lr / total[owner]


def zoops_em(
    windows: np.ndarray,
    owner: np.ndarray,
    n_seqlets: int,
    probs: np.ndarray,
    gamma: float,
    base: np.ndarray,
    spec: DenovoSpec,
    seed: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The PWM refined by expectation maximisation over every seqlet's windows (ZOOPS).

    ``windows`` ``(V, w)`` and ``owner`` ``(V,)``: :func:`overlapping_windows`.
    ``probs`` ``(4, w)`` and ``gamma`` (the share of seqlets holding a site) start the
    search; each step re-weights every window by its posterior (:func:`zoops_posteriors`)
    and re-estimates both, for ``spec.iterations`` steps at most or until no PWM entry
    moves by more than ``EM_TOLERANCE``; with a ``seed``, a step whose PWM's consensus
    would no longer hold it (:func:`holds_seed`) is not taken: EM stops at the last PWM
    that holds its seed, with that PWM's seqlet posteriors.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(4, w)`` probabilities and ``(n_seqlets,)`` posterior that each seqlet holds a site.
    """
    held = np.zeros(n_seqlets)
    packed = pack_windows(windows)
    for step in range(spec.iterations):
        post = zoops_posteriors(packed, owner, n_seqlets, np.log2(probs / base[:, None]), gamma)
        held = np.bincount(owner, weights=post, minlength=n_seqlets)  # under ``probs``
        new = with_pseudocount(block_counts(packed, post, probs.shape[1]), spec.pseudocount)
        if seed is not None and not holds_seed(new, seed):
            log.debug("EM step %d would lose seed %s (%s): stopped before it", step + 1, seed, consensus(new))
            break
        gamma = float(np.clip(held.mean(), GAMMA_BOUNDS[0], GAMMA_BOUNDS[1]))
        moved = float(np.abs(new - probs).max())
        probs = new
        if moved < EM_TOLERANCE:
            log.debug("EM converged after %d steps (gamma %.3f)", step + 1, gamma)
            break
    return probs, held


def seed_windows(tokens, seqlets, codes, raw, code, spec: DenovoSpec) -> tuple[np.ndarray, np.ndarray]:
    """Windows (``k + 2·extend``) around the first seed occurrence in every seqlet holding it.

    Returns ``(n, width)`` windows in the seed's orientation and the ``(n,)`` seqlet indices.
    """
    width = spec.k + 2 * spec.extend
    inside = span_mask(seqlets, codes.shape[1] + spec.k - 1, spec.k) & (codes[seqlets[:, 0]] == code)
    has = inside.any(axis=1)
    first = inside.argmax(axis=1)
    start = first - spec.extend
    fits = has & (start >= 0) & (start + width <= tokens.shape[1])
    idx = np.flatnonzero(fits)
    strands = (raw[seqlets[idx, 0], first[idx]] != code).astype(np.int64)
    w = windows_at(tokens, seqlets[idx, 0], start[idx], strands, width)
    ok = (w < 4).all(axis=1)
    return w[ok], idx[ok]


def consensus(probs: np.ndarray) -> str:
    """The most probable base of every column of a ``(4, w)`` PWM."""
    return "".join("ACGT"[i] for i in probs.argmax(axis=0))


def holds_seed(probs: np.ndarray, seed: str) -> bool:
    """Whether the consensus of ``probs`` ``(4, w)`` holds ``seed`` or its reverse complement."""
    text = consensus(probs)
    return seed in text or reverse_complement(seed) in text


def grow_motif(tokens, seqlets, codes, raw, code, base, spec: DenovoSpec) -> Motif | None:
    """The PWM grown from seed ``code`` over ``seqlets`` (step 3), or None.

    ``codes`` / ``raw``: the canonical and the plain :func:`kmer_codes` of ``tokens``;
    ``base``: ``(4,)`` background composition. ``Motif.seqlets`` index ``seqlets``: those
    whose posterior of holding a site is at least one half.
    """
    windows, members = seed_windows(tokens, seqlets, codes, raw, code, spec)
    if len(members) < spec.min_seqlets:
        return None
    width = spec.k + 2 * spec.extend
    start = counts_to_probs(windows, spec.pseudocount)
    gamma = float(np.clip(len(members) / len(seqlets), GAMMA_BOUNDS[0], GAMMA_BOUNDS[1]))
    every, owner = overlapping_windows(tokens, seqlets, width)
    seed = kmer_text(code, spec.k)
    probs, held = zoops_em(every, owner, len(seqlets), start, gamma, base, spec, seed)
    members = np.flatnonzero(held >= 0.5)
    if len(members) < spec.min_seqlets:
        return None
    return Motif(seed, trim(probs, spec.trim_bits), len(members), members)


def background_of(tokens: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``(4,)`` base composition of ``rows`` (both strands, +1 per base)."""
    valid = np.arange(tokens.shape[1])[None, :] < np.asarray(lengths)[rows, None]
    picked = np.asarray(tokens)[rows][valid]
    base = np.bincount(picked[picked < 4], minlength=4)[:4] + 1.0
    base = base + base[::-1]
    return base / base.sum()


def discover(
    tokens: np.ndarray, seqlets: np.ndarray, universe_rows: np.ndarray, lengths: np.ndarray, spec: DenovoSpec
) -> list[Motif]:
    """Motifs of the seqlets of one position set (:mod:`gsattn.denovo`, steps 2-3).

    Parameters
    ----------
    tokens : numpy.ndarray
        ``(N, L)`` token ids (ACGT = 0..3; N and PAD above).
    seqlets : numpy.ndarray
        ``(S, 3)`` :func:`extract_seqlets` output.
    universe_rows : numpy.ndarray
        Rows the set was computed on (their k-mers are the background).
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.
    spec : DenovoSpec

    Returns
    -------
    list of Motif
        In the order found (the strongest seed first).
    """
    rows = np.unique(np.asarray(universe_rows, np.int64))
    raw = kmer_codes(tokens, spec.k)
    codes = canonical(raw, spec.k)
    spans = np.stack([rows, np.zeros_like(rows), np.asarray(lengths)[rows]], axis=1)
    background = kmer_counts(codes, spans, spec.k)
    base = background_of(tokens, rows, lengths)
    pool, found, tried = np.arange(len(seqlets)), [], []
    while len(found) < spec.max_motifs and pool.size:
        counts = kmer_counts(codes, seqlets[pool], spec.k)
        counts[tried] = 0
        code = best_seed(counts, background, spec)
        if code is None:
            break
        tried.append(code)
        motif = grow_motif(tokens, seqlets[pool], codes, raw, code, base, spec)
        if motif is None:
            continue
        motif.seqlets = pool[motif.seqlets]
        found.append(motif)
        pool = np.setdiff1d(pool, motif.seqlets)
        width = motif.probs.shape[1]
        log.info("motif %d: seed %s, %d seqlets, width %d", len(found), motif.seed, motif.n_seqlets, width)
    return found


# --------------------------------------------------------------------------- matches
def match_jaspar(
    motifs: Sequence[np.ndarray], matrices: Sequence[Matrix], n_shuffles: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """TOMTOM of every discovered PWM against ``matrices`` (both strands), with its shuffle null.

    Parameters
    ----------
    motifs : sequence of numpy.ndarray
        ``(4, w)`` probabilities per discovered motif.
    matrices : sequence of Matrix
        The collection (``T`` matrices).
    n_shuffles : int
        Column permutations per motif for :func:`shuffle_p` (0: ``shuffle_p`` is 1).
    rng : numpy.random.Generator
        Draws the permutations, motif by motif in order.

    Returns
    -------
    dict of numpy.ndarray
        ``(Q, T)`` ``p_value``, ``q_value`` (BH across the T targets, per query),
        ``shuffle_p``, ``offset`` and ``strand`` (0: the query as found, 1: its reverse
        complement).
    """
    if not motifs:
        empty = np.zeros((0, len(matrices)))
        return {k: empty for k in ("p_value", "q_value", "shuffle_p", "offset", "strand")}
    result = _tomtom(motifs, matrices)
    p = np.asarray(result[0], float)
    q = np.stack([bh_adjust(row) for row in p])
    shuffled = np.ones_like(p)
    if n_shuffles:
        for i, probs in enumerate(motifs):
            decoys = [np.asarray(probs)[:, rng.permutation(probs.shape[1])] for _ in range(n_shuffles)]
            shuffled[i] = shuffle_p(p[i], np.asarray(_tomtom(decoys, matrices)[0], float))
    return {
        "p_value": p,
        "q_value": q,
        "shuffle_p": shuffled,
        "offset": np.asarray(result[2]),
        "strand": np.asarray(result[4]),
    }


def _tomtom(motifs: Sequence[np.ndarray], matrices: Sequence[Matrix]) -> tuple:
    """memelite's ``tomtom`` of ``motifs`` against the matrices' probabilities."""
    from memelite import tomtom

    return tomtom([np.asarray(m, np.float64) for m in motifs], [m.probs for m in matrices])


def shuffle_p(observed: np.ndarray, decoys: np.ndarray) -> np.ndarray:
    """Empirical p of a motif's TOMTOM p-values against its column-shuffled decoys.

    Parameters
    ----------
    observed : numpy.ndarray
        ``(T,)`` the motif's TOMTOM p against each matrix.
    decoys : numpy.ndarray
        ``(n, T)`` the p of each of ``n`` decoys against the same matrices.

    Returns
    -------
    numpy.ndarray
        ``(T,)`` ``(1 + #{decoys with p <= observed}) / (1 + n)``: ties count against the
        motif, so a PWM whose columns are all alike (every decoy is the motif) gets 1.
    """
    decoys = np.asarray(decoys, float).reshape(-1, np.size(observed))
    return (1.0 + (decoys <= np.asarray(observed)[None, :]).sum(axis=0)) / (1.0 + decoys.shape[0])


def counted(match: dict[str, np.ndarray], alpha: float) -> np.ndarray:
    """``(Q, T)`` bool: the matches that count, q and ``shuffle_p`` both below ``alpha``."""
    return (match["q_value"] < alpha) & (match["shuffle_p"] < alpha)


def write_meme(
    path: str, motifs: Sequence[tuple[str, np.ndarray, int]], base: np.ndarray | None = None
) -> None:
    """MEME minimal format: ``(name, (4, w) probs, n_sites)`` per motif."""
    base = np.full(4, 0.25) if base is None else np.asarray(base)
    lines = ["MEME version 5", "", "ALPHABET= ACGT", "", "strands: + -", "", "Background letter frequencies"]
    lines += [" ".join(f"{b} {f:.4f}" for b, f in zip("ACGT", base, strict=True)), ""]
    for name, probs, n in motifs:
        lines += [
            f"MOTIF {name}",
            f"letter-probability matrix: alength= 4 w= {probs.shape[1]} nsites= {n} E= 0",
        ]
        lines += [" ".join(f"{v:.6f}" for v in col) for col in np.asarray(probs).T]
        lines.append("")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def read_meme(path: str) -> dict[str, np.ndarray]:
    """``name → (4, w)`` probabilities of a MEME file written by :func:`write_meme`."""
    out, name, rows = {}, None, []
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("MOTIF "):
                name, rows = line.split()[1], []
                out[name] = rows
            elif name and line and line[0].isdigit():
                rows.append([float(v) for v in line.split()])
    return {k: np.array(v).T for k, v in out.items()}
