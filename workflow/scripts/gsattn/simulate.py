"""Synthetic DNA with planted JASPAR motifs and written-down ground truth.

A sequence is drawn from a background model (i.i.d. with a GC fraction, or a
k-th order Markov chain fitted on a FASTA), then motif instances sampled from
their PWMs are substituted in place (length preserving, never overlapping).
Positive sequences satisfy the class rule over the *predictive* motifs,
negatives do not; *decoy* motifs are planted at the same rate in both classes.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gsattn.config import ConfigError
from gsattn.io import SPLITS, FastaRecord, Site
from gsattn.motifs import Motif, sample_instance, score_instance
from gsattn.seq import reverse_complement_tokens

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- backgrounds
@dataclass(frozen=True)
class IIDBackground:
    """Independent nucleotides; ``probs`` is ``(4,)`` in ACGT order."""

    probs: np.ndarray

    @classmethod
    def from_gc(cls, gc: float) -> IIDBackground:
        at, cg = (1.0 - gc) / 2.0, gc / 2.0
        return cls(np.array([at, cg, cg, at]))

    @property
    def base_freqs(self) -> np.ndarray:
        return self.probs

    def sample(self, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """Return ``(n, length)`` uint8 ACGT tokens."""
        return rng.choice(4, size=(n, length), p=self.probs).astype(np.uint8)


@dataclass(frozen=True)
class MarkovBackground:
    """k-th order Markov chain over ACGT.

    Attributes
    ----------
    order : int
    initial : numpy.ndarray
        ``(4**order,)`` distribution of the first k-mer.
    transitions : numpy.ndarray
        ``(4**order, 4)`` next-base probabilities per context.
    base_freqs : numpy.ndarray
        ``(4,)`` mononucleotide frequencies of the training sequences.
    """

    order: int
    initial: np.ndarray
    transitions: np.ndarray
    base_freqs: np.ndarray

    @classmethod
    def fit(cls, records: Sequence[FastaRecord], order: int, pseudocount: float = 1.0) -> MarkovBackground:
        """Fit on the ACGT runs of ``records`` (``N`` breaks a run)."""
        n_ctx = 4**order
        trans = np.full((n_ctx, 4), pseudocount)
        init = np.full(n_ctx, pseudocount)
        mono = np.full(4, pseudocount)
        from gsattn.seq import encode

        for rec in records:
            for run in rec.sequence.split("N"):
                if len(run) <= order:
                    continue
                tok = encode(run).astype(np.int64)
                mono += np.bincount(tok, minlength=4)
                ctx = _context_index(tok, order)
                np.add.at(trans, (ctx[:-1], tok[order:]), 1.0)
                init[ctx[0]] += 1.0
        return cls(
            order,
            init / init.sum(),
            trans / trans.sum(axis=1, keepdims=True),
            mono / mono.sum(),
        )

    def sample(self, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """Return ``(n, length)`` uint8 ACGT tokens."""
        k, n_ctx = self.order, 4**self.order
        out = np.empty((n, length), dtype=np.uint8)
        ctx = rng.choice(n_ctx, size=n, p=self.initial)
        for j in range(min(k, length)):
            out[:, j] = (ctx // 4 ** (k - 1 - j)) % 4
        cumulative = np.cumsum(self.transitions, axis=1)
        for i in range(k, length):
            draws = rng.random(n)
            nxt = np.minimum((draws[:, None] > cumulative[ctx]).sum(axis=1), 3)
            out[:, i] = nxt
            ctx = (ctx * 4 + nxt) % n_ctx if k else ctx
        return out


def _context_index(tok: np.ndarray, order: int) -> np.ndarray:
    """Index of the k-mer starting at each position: ``(len - k + 1,)``."""
    idx = np.zeros(tok.shape[0] - order + 1, dtype=np.int64)
    for j in range(order):
        idx = idx * 4 + tok[j : tok.shape[0] - order + 1 + j]
    return idx


# --------------------------------------------------------------------------- placement
@dataclass(frozen=True)
class Placement:
    """Where sites go: ``mode`` in {uniform, centred, window}."""

    mode: str = "uniform"
    sd: float = 20.0
    window_start: int = 0
    window_end: int | None = None


def placement_room(length: int, placement: Placement) -> tuple[int, int]:
    """``[start, end)`` of the positions sites may occupy in an ``length``-bp sequence."""
    if placement.mode == "window":
        return placement.window_start, length if placement.window_end is None else placement.window_end
    return 0, length


def _too_narrow(what: str, width: int, length: int, placement: Placement) -> ConfigError:
    start, end = placement_room(length, placement)
    if placement.mode == "window":
        room = f"the position window [{start}, {end}) ({end - start} bp)"
        fix = f"widen position.window_start/window_end to at least {width} bp"
    else:
        room, fix = f"the {length}-bp sequences", f"raise length to at least {width}"
    return ConfigError(f"{what} does not fit in {room}; {fix}")


def check_fits(
    predictive: Sequence[Motif], decoys: Sequence[Motif], length: int, placement: Placement, rule: ClassRule
) -> None:
    """Raise :class:`ConfigError` when a motif, or the shortest chain of a spaced ``all``
    rule, is wider than the room sites may occupy (the draw would fail)."""
    start, end = placement_room(length, placement)
    room = end - start
    widest = max([*predictive, *decoys], key=lambda m: m.width, default=None)
    if widest is not None and widest.width > room:
        raise _too_narrow(f"motif {widest.label} ({widest.width} bp)", widest.width, length, placement)
    if rule.mode == "all" and rule.max_gap is not None and predictive:
        span = sum(m.width for m in predictive) + (len(predictive) - 1) * rule.min_gap
        if span > room:
            what = f"a chain of every predictive motif with min_gap {rule.min_gap} ({span} bp)"
            raise _too_narrow(what, span, length, placement)


def _draw_start(width: int, length: int, placement: Placement, rng: np.random.Generator) -> int:
    if placement.mode == "uniform":
        return int(rng.integers(0, length - width + 1))
    if placement.mode == "centred":
        start = round(length / 2 + rng.normal(0.0, placement.sd) - width / 2)
        return int(np.clip(start, 0, length - width))
    end = length if placement.window_end is None else placement.window_end
    return int(rng.integers(placement.window_start, end - width + 1))


def place_block(
    occupied: np.ndarray,
    width: int,
    placement: Placement,
    rng: np.random.Generator,
    max_tries: int = 1000,
) -> int:
    """Draw a start for a ``width``-long block that overlaps no occupied position.

    ``occupied`` is ``(L,)`` bool and is updated in place.
    """
    length = occupied.shape[0]
    lo, hi = placement_room(length, placement)
    if width > hi - lo:
        raise _too_narrow(f"a {width}-bp block of sites (lower max_gap?)", width, length, placement)
    for _ in range(max_tries):
        start = _draw_start(width, length, placement, rng)
        if not occupied[start : start + width].any():
            occupied[start : start + width] = True
            return start
    raise RuntimeError(
        f"could not place a {width}-bp site without overlap in {max_tries} tries; "
        "lower sites_per_sequence, widen the position window or lengthen the sequences"
    )


# --------------------------------------------------------------------------- class rule
@dataclass(frozen=True)
class ClassRule:
    """``any``: a positive holds at least one predictive site; ``all``: one of each
    predictive motif, with ``min_gap <= gap <= max_gap`` between consecutive sites
    of such a set when ``max_gap`` is given."""

    mode: str = "any"
    min_gap: int = 0
    max_gap: int | None = None


def satisfies_class_rule(sites: Sequence[Site], predictive: Sequence[str], rule: ClassRule) -> bool:
    """Whether a sequence's ``sites`` make it positive under ``rule``."""
    by_motif = {m: [s for s in sites if s.motif == m] for m in predictive}
    if rule.mode == "any":
        return any(by_motif.values())
    if not all(by_motif.values()):
        return False
    if rule.max_gap is None:
        return True
    for combo in itertools.product(*by_motif.values()):
        ordered = sorted(combo, key=lambda s: s.start)
        gaps = [b.start - a.end for a, b in itertools.pairwise(ordered)]
        if all(rule.min_gap <= g <= rule.max_gap for g in gaps):
            return True
    return False


# --------------------------------------------------------------------------- planting
@dataclass
class SyntheticDataset:
    """Generated sequences with labels and planted sites.

    ``tokens`` is ``(N, L)`` uint8; ``labels``/``clean_labels`` ``(N,)`` int
    (after/before label noise); ``strength`` ``(N,)`` float; ``split`` ``(N,)`` str.
    """

    ids: list[str]
    tokens: np.ndarray
    labels: np.ndarray
    clean_labels: np.ndarray
    strength: np.ndarray
    split: np.ndarray
    sites: list[Site]


@dataclass(frozen=True)
class PlantingPlan:
    """Everything :func:`simulate` needs besides the motifs and background."""

    n_sequences: int
    length: int
    positive_fraction: float = 0.5
    sites_min: int = 1
    sites_max: int = 2
    decoy_rate: float = 0.5
    both_strands: bool = True
    placement: Placement = Placement()
    rule: ClassRule = ClassRule()
    strength_noise_sd: float = 1.0
    label_noise: float = 0.0
    split_fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)


def _choose_motifs(
    positive: bool, predictive: Sequence[Motif], plan: PlantingPlan, rng: np.random.Generator
) -> list[Motif]:
    n_sites = int(rng.integers(plan.sites_min, plan.sites_max + 1))
    if plan.rule.mode == "any":
        if not positive:
            return []
        return [predictive[i] for i in rng.integers(0, len(predictive), size=n_sites)]
    if positive:
        extra = max(0, n_sites - len(predictive))
        return list(predictive) + [predictive[i] for i in rng.integers(0, len(predictive), extra)]
    subset_size = int(rng.integers(0, len(predictive)))
    return [predictive[i] for i in sorted(rng.choice(len(predictive), subset_size, replace=False))]


def _write_site(tokens: np.ndarray, start: int, motif: Motif, strand: str, rng, bg: np.ndarray) -> float:
    instance = sample_instance(motif.probs, rng)
    placed = reverse_complement_tokens(instance) if strand == "-" else instance
    tokens[start : start + motif.width] = placed
    return score_instance(instance, motif.probs, bg)


def _plant_one(
    tokens: np.ndarray,
    seq_id: str,
    chosen: list[Motif],
    chain: bool,
    decoy: Motif | None,
    plan: PlantingPlan,
    rng: np.random.Generator,
    bg: np.ndarray,
) -> list[Site]:
    occupied = np.zeros(tokens.shape[0], dtype=bool)
    starts: list[int] = []
    if chain:
        order = [chosen[i] for i in rng.permutation(len(chosen))]
        gaps = rng.integers(plan.rule.min_gap, plan.rule.max_gap + 1, size=len(order) - 1)
        span = sum(m.width for m in order) + int(gaps.sum())
        cursor = place_block(occupied, span, plan.placement, rng)
        for motif, gap in zip(order, [*gaps.tolist(), 0], strict=True):
            starts.append(cursor)
            cursor += motif.width + gap
        chosen = order
    else:
        starts = [place_block(occupied, m.width, plan.placement, rng) for m in chosen]
    planted = list(zip(chosen, starts, strict=True))
    if decoy is not None:
        planted.append((decoy, place_block(occupied, decoy.width, plan.placement, rng)))
    sites = []
    for motif, start in planted:
        strand = "-" if plan.both_strands and rng.random() < 0.5 else "+"
        score = _write_site(tokens, start, motif, strand, rng, bg)
        sites.append(Site(seq_id, start, start + motif.width, motif.label, score, strand))
    return sorted(sites, key=lambda s: s.start)


def stratified_split(labels: np.ndarray, fractions: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """Assign ``train``/``validation``/``test`` within each class.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` array of split names.
    """
    split = np.empty(labels.shape[0], dtype="<U10")
    bounds = np.cumsum(fractions)
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        cut = np.round(bounds * idx.shape[0]).astype(int)
        for name, lo, hi in zip(SPLITS, [0, *cut[:-1]], cut, strict=True):
            split[idx[lo:hi]] = name
    return split


def simulate(
    plan: PlantingPlan,
    predictive: Sequence[Motif],
    decoys: Sequence[Motif],
    background,
    seed: int,
) -> SyntheticDataset:
    """Generate a labelled synthetic data set with planted motif sites.

    Parameters
    ----------
    plan : PlantingPlan
    predictive, decoys : sequence of Motif
    background : IIDBackground or MarkovBackground
    seed : int
        Seeds ``numpy.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    SyntheticDataset
    """
    check_fits(predictive, decoys, plan.length, plan.placement, plan.rule)
    rng = np.random.default_rng(seed)
    n, length = plan.n_sequences, plan.length
    width = len(str(n))
    ids = [f"seq{i:0{width}d}" for i in range(1, n + 1)]
    n_pos = round(n * plan.positive_fraction)
    clean = rng.permutation(np.r_[np.ones(n_pos, int), np.zeros(n - n_pos, int)])
    tokens = background.sample(n, length, rng)
    bg = background.base_freqs
    labels_pred = {m.label for m in predictive}
    sites: list[Site] = []
    strength = np.zeros(n)
    for i in range(n):
        chosen = _choose_motifs(bool(clean[i]), predictive, plan, rng)
        chain = bool(clean[i]) and plan.rule.mode == "all" and plan.rule.max_gap is not None
        decoy = None
        if decoys and rng.random() < plan.decoy_rate:
            decoy = decoys[int(rng.integers(0, len(decoys)))]
        seq_sites = _plant_one(tokens[i], ids[i], chosen, chain, decoy, plan, rng, bg)
        strength[i] = sum(s.score for s in seq_sites if s.motif in labels_pred)
        sites.extend(seq_sites)
    strength += rng.normal(0.0, plan.strength_noise_sd, size=n)
    flips = rng.random(n) < plan.label_noise
    labels = np.where(flips, 1 - clean, clean)
    split = stratified_split(labels, plan.split_fractions, rng)
    log.info("simulated %d sequences, %d sites, %d label flips", n, len(sites), int(flips.sum()))
    return SyntheticDataset(ids, tokens, labels, clean, strength, split, sites)
