"""Labelled windows from a reference genome: promoters around TSSs, enhancers around elements.

The chain of ``config/genome.yaml`` (``workflow/rules/genome.smk``): TSSs (EPDnew
SGA or BED) or elements (ENCODE SCREEN cCRE BED) are read as *anchors*, one
0-based position and a strand each; a window of ``upstream`` bases before and
``downstream`` after the anchor, on the anchor's strand, is cut from the genome
(a minus-strand window is mirrored around the anchor and reverse-complemented,
so every sequence reads 5'→3' on its own strand); windows off the chromosome,
with too many ``N`` or repeated are dropped and counted. Negatives are genomic
windows of the same length drawn to match the positives' GC content bin by bin,
never overlapping a positive or each other, and optionally dinucleotide
shuffles of the positives (tangermeme's).

Coordinates are 0-based, half-open ``[start, end)`` on the forward strand,
whatever the anchor's strand. Chromosome names are normalised to UCSC's
(``chr1``, ``chrX``, ``chrM``) from ``1``, ``chr1`` or a RefSeq accession of a
GRCh38 chromosome (:data:`REFSEQ_GRCH38`).
"""

from __future__ import annotations

import bisect
import gzip
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from gsattn.io import InputError
from gsattn.seq import reverse_complement

log = logging.getLogger(__name__)

# RefSeq accessions of the GRCh38 primary-assembly chromosomes and the mitochondrion
# (NCBI assembly GCF_000001405, as written in EPDnew's SGA files) → UCSC names.
REFSEQ_GRCH38 = {
    "NC_000001.11": "chr1",
    "NC_000002.12": "chr2",
    "NC_000003.12": "chr3",
    "NC_000004.12": "chr4",
    "NC_000005.10": "chr5",
    "NC_000006.12": "chr6",
    "NC_000007.14": "chr7",
    "NC_000008.11": "chr8",
    "NC_000009.12": "chr9",
    "NC_000010.11": "chr10",
    "NC_000011.10": "chr11",
    "NC_000012.12": "chr12",
    "NC_000013.11": "chr13",
    "NC_000014.9": "chr14",
    "NC_000015.10": "chr15",
    "NC_000016.10": "chr16",
    "NC_000017.11": "chr17",
    "NC_000018.10": "chr18",
    "NC_000019.10": "chr19",
    "NC_000020.11": "chr20",
    "NC_000021.9": "chr21",
    "NC_000022.11": "chr22",
    "NC_000023.11": "chrX",
    "NC_000024.10": "chrY",
    "NC_012920.1": "chrM",
}
_ENSEMBL = re.compile(r"(?:chr)?([1-9]|1[0-9]|2[0-2]|X|Y|M|MT)", re.IGNORECASE)
_NOT_ACGT = re.compile("[^ACGT]")
KINDS = ("tss", "element")
FORMATS = ("sga", "bed")
DROP_REASONS = ("chromosome not used", "out of range", "too many N", "duplicate window")


@dataclass(frozen=True)
class Anchor:
    """One TSS or element centre: 0-based ``pos`` on ``chrom`` (normalised), ``strand``, ``name``;
    ``interval`` is the BED row's ``[start, end)`` (``None`` for an SGA position)."""

    chrom: str
    pos: int
    strand: str
    name: str
    line: int = 0
    interval: tuple[int, int] | None = None


@dataclass(frozen=True)
class Window:
    """A forward-strand interval ``[start, end)`` read on ``strand`` (``-``: reverse complement)."""

    chrom: str
    start: int
    end: int
    strand: str
    name: str = ""


# --------------------------------------------------------------------------- names
def normalise_chrom(name: str) -> str:
    """UCSC name of a chromosome written ``chr1``, ``1``, ``X``, ``MT`` or ``NC_000001.11``.

    RefSeq accessions are looked up in :data:`REFSEQ_GRCH38` (an ``NC_`` accession
    not there, such as another assembly's version, raises ``ValueError``); other
    names (``chrUn_…``, scaffolds) are returned unchanged.
    """
    name = name.strip()
    if name in REFSEQ_GRCH38:
        return REFSEQ_GRCH38[name]
    if name.startswith("NC_"):
        raise ValueError(f"{name!r} is not the RefSeq accession of a GRCh38 chromosome")
    match = _ENSEMBL.fullmatch(name)
    if match:
        core = match.group(1).upper()
        return "chrM" if core in ("M", "MT") else f"chr{core}"
    return name


# --------------------------------------------------------------------------- anchors
def _strand(path, lineno: int, value: str) -> str:
    if value not in ("+", "-"):
        raise InputError(path, lineno, f"strand {value!r} is not '+' or '-'")
    return value


def _int(path, lineno: int, value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InputError(path, lineno, f"{what} {value!r} is not an integer") from None


def _chrom(path, lineno: int, value: str) -> str:
    try:
        return normalise_chrom(value)
    except ValueError as err:
        raise InputError(path, lineno, f"{err}; see gsattn.genome.REFSEQ_GRCH38") from None


def _data_lines(path) -> Iterable[tuple[int, list[str]]]:
    """``(line number, tab-separated fields)`` of every line that is not blank, a comment or a header."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            yield lineno, line.rstrip("\n").split("\t")


def read_sga(path) -> list[Anchor]:
    """TSSs of an SGA file (EPDnew): chromosome, feature, 1-based position, strand, count, name."""
    anchors = []
    for lineno, fields in _data_lines(path):
        if len(fields) < 4:
            raise InputError(path, lineno, f"expected at least 4 tab-separated SGA fields, got {len(fields)}")
        pos = _int(path, lineno, fields[2], "position") - 1
        if pos < 0:
            raise InputError(path, lineno, f"position {fields[2]} is not 1-based (must be >= 1)")
        name = fields[5] if len(fields) > 5 else f"{fields[0]}:{fields[2]}"
        strand = _strand(path, lineno, fields[3])
        anchors.append(Anchor(_chrom(path, lineno, fields[0]), pos, strand, name, lineno))
    return anchors


def read_bed_anchors(path, kind: str) -> list[Anchor]:
    """Anchors of a BED file: the TSS (``kind="tss"``: first base on the strand, ``start``
    on ``+``, ``end - 1`` on ``-``) or the element centre (``"element"``: ``(start + end) // 2``,
    on ``+``: cCREs have no strand)."""
    if kind not in KINDS:
        raise ValueError(f"unknown anchor kind {kind!r}; expected one of {KINDS}")
    anchors = []
    for lineno, fields in _data_lines(path):
        if len(fields) < 3:
            raise InputError(path, lineno, f"expected at least 3 tab-separated BED fields, got {len(fields)}")
        start, end = _int(path, lineno, fields[1], "start"), _int(path, lineno, fields[2], "end")
        if not 0 <= start < end:
            raise InputError(path, lineno, f"need 0 <= start < end, got [{start}, {end})")
        name = fields[3] if len(fields) > 3 else f"{fields[0]}:{start}-{end}"
        chrom = _chrom(path, lineno, fields[0])
        if kind == "element":
            anchors.append(Anchor(chrom, (start + end) // 2, "+", name, lineno, (start, end)))
            continue
        strand = _strand(path, lineno, fields[5]) if len(fields) > 5 else "+"
        pos = start if strand == "+" else end - 1
        anchors.append(Anchor(chrom, pos, strand, name, lineno, (start, end)))
    return anchors


def read_anchors(path, file_format: str, kind: str) -> list[Anchor]:
    """Anchors of ``path`` in ``file_format`` (``sga``: TSSs only, or ``bed``)."""
    if file_format == "sga":
        if kind != "tss":
            raise ValueError("an SGA file holds TSSs: use kind 'tss' with format 'sga'")
        return read_sga(path)
    if file_format == "bed":
        return read_bed_anchors(path, kind)
    raise ValueError(f"unknown anchor format {file_format!r}; expected one of {FORMATS}")


# --------------------------------------------------------------------------- windows
def anchor_window(anchor: Anchor, upstream: int, downstream: int) -> Window:
    """The window ``-upstream..+downstream`` around ``anchor`` (both ends included), strand-aware.

    On ``+`` it is ``[pos - upstream, pos + downstream + 1)``; on ``-`` upstream
    lies to the right, so it is mirrored: ``[pos - downstream, pos + upstream + 1)``.
    Either way it holds ``upstream + downstream + 1`` bases and the anchor sits at
    offset ``upstream`` of the sequence read on the anchor's strand.
    """
    if anchor.strand == "+":
        start, end = anchor.pos - upstream, anchor.pos + downstream + 1
    else:
        start, end = anchor.pos - downstream, anchor.pos + upstream + 1
    return Window(anchor.chrom, start, end, anchor.strand, anchor.name)


def in_range(window: Window, chrom_length: int) -> bool:
    """``True`` if ``window`` lies wholly inside a chromosome of ``chrom_length`` bases."""
    return 0 <= window.start and window.end <= chrom_length


def n_fraction(sequence: str) -> float:
    """Fraction of ``N`` (any case) in ``sequence``."""
    return sequence.upper().count("N") / len(sequence) if sequence else 0.0


def too_many_n(sequence: str, max_n_fraction: float) -> bool:
    """``True`` if more than ``max_n_fraction`` of ``sequence`` is ``N`` (exactly the threshold is kept)."""
    return sequence.upper().count("N") > max_n_fraction * len(sequence) + 1e-9


def gc_of(sequence: str) -> float:
    """GC fraction of the non-``N`` bases of ``sequence`` (NaN if all are ``N``)."""
    seq = sequence.upper()
    acgt = sum(seq.count(b) for b in "ACGT")
    return (seq.count("G") + seq.count("C")) / acgt if acgt else math.nan


def gc_bin(gc: float, n_bins: int) -> int:
    """The bin of GC fraction ``gc`` among ``n_bins`` equal bins of ``[0, 1]`` (1.0 in the last)."""
    if not 0.0 <= gc <= 1.0:
        raise ValueError(f"GC fraction {gc} is not in [0, 1]")
    return min(math.floor(gc * n_bins + 1e-9), n_bins - 1)  # 1e-9: 0.57 * 100 is 56.99999999999999


def window_sequence(genome: Mapping, window: Window) -> str:
    """The upper-case sequence of ``window`` read on its strand, letters other than ACGT as ``N``.

    ``genome[chrom][start:end]`` is any mapping of sliceable sequences (the
    records of a :class:`pyfaidx.Fasta`, or plain strings).
    """
    seq = _NOT_ACGT.sub("N", str(genome[window.chrom][window.start : window.end]).upper())
    return reverse_complement(seq) if window.strand == "-" else seq


@dataclass
class Extraction:
    """Kept windows and their sequences, and the number dropped per reason."""

    windows: list[Window]
    sequences: list[str]
    dropped: Counter


def extract_windows(
    anchors: Sequence[Anchor],
    genome: Mapping,
    lengths: Mapping[str, int],
    upstream: int,
    downstream: int,
    max_n_fraction: float,
) -> Extraction:
    """Cut the window of every anchor on a chromosome of ``lengths``; drop and count the rest.

    Reasons (:data:`DROP_REASONS`): the chromosome is not among ``lengths``; the
    window runs off the chromosome; more than ``max_n_fraction`` of it is ``N``;
    the same interval and strand was already kept (alternative TSSs, repeated rows).
    """
    kept, sequences, dropped, seen = [], [], Counter(), set()
    for anchor in tqdm(anchors, desc="windows", unit="anchor", disable=None):
        window = anchor_window(anchor, upstream, downstream)
        key = (window.chrom, window.start, window.end, window.strand)
        if window.chrom not in lengths:
            dropped["chromosome not used"] += 1
        elif not in_range(window, lengths[window.chrom]):
            dropped["out of range"] += 1
        elif key in seen:
            dropped["duplicate window"] += 1
        else:
            seq = window_sequence(genome, window)
            if too_many_n(seq, max_n_fraction):
                dropped["too many N"] += 1
                continue
            seen.add(key)
            kept.append(window)
            sequences.append(seq)
    log.info("%d windows kept of %d anchors; dropped %s", len(kept), len(anchors), dict(dropped))
    return Extraction(kept, sequences, dropped)


# --------------------------------------------------------------------------- negatives
class IntervalIndex:
    """Intervals per chromosome, for the question: does ``[start, end)`` overlap any of them?"""

    def __init__(self, windows: Iterable[Window] = ()) -> None:
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        self._longest = 0
        for w in windows:
            self.add(w)

    def add(self, window: Window) -> None:
        starts = self._starts.setdefault(window.chrom, [])
        ends = self._ends.setdefault(window.chrom, [])
        i = bisect.bisect_left(starts, window.start)
        starts.insert(i, window.start)
        ends.insert(i, window.end)
        self._longest = max(self._longest, window.end - window.start)

    def overlaps(self, chrom: str, start: int, end: int) -> bool:
        """``True`` if ``[start, end)`` on ``chrom`` shares a base with an interval."""
        starts, ends = self._starts.get(chrom, []), self._ends.get(chrom, [])
        lo = bisect.bisect_right(starts, start - self._longest)
        hi = bisect.bisect_left(starts, end)
        return any(ends[i] > start for i in range(lo, hi))


@dataclass
class Negatives:
    """GC-matched genomic negatives: windows, sequences, and what the draw met."""

    windows: list[Window]
    sequences: list[str]
    wanted: list[int]
    drawn: list[int]
    rejected: Counter


def exclusion_windows(
    anchors: Sequence[Anchor], lengths: Mapping[str, int], upstream: int, downstream: int
) -> list[Window]:
    """What a negative may not overlap: every anchor's window on a chromosome of ``lengths``,
    kept or dropped (an N-rich or repeated promoter is still a promoter), and its BED interval."""
    out = []
    for anchor in anchors:
        if anchor.chrom not in lengths:
            continue
        out.append(anchor_window(anchor, upstream, downstream))
        if anchor.interval is not None:
            out.append(Window(anchor.chrom, *anchor.interval, anchor.strand, anchor.name))
    return out


def gc_targets(sequences: Sequence[str], n_bins: int, per_positive: float) -> list[int]:
    """Negatives wanted per GC bin: ``round(per_positive * positives in the bin)``."""
    counts = Counter(gc_bin(gc_of(s), n_bins) for s in sequences)
    return [round(per_positive * counts.get(b, 0)) for b in range(n_bins)]


def sample_negatives(
    genome: Mapping,
    lengths: Mapping[str, int],
    exclude: Sequence[Window],
    targets: Sequence[int],
    length: int,
    max_n_fraction: float,
    rng: np.random.Generator,
    max_draws: int,
) -> Negatives:
    """Draw forward-strand windows of ``length`` until every GC bin holds its ``targets``.

    Each draw picks a chromosome with probability proportional to the number of
    windows it holds, then a start uniformly; it is rejected if it overlaps a
    window of ``exclude`` (the positives: :func:`exclusion_windows`) or an earlier
    negative, holds too many ``N`` or falls in a full GC bin. At most ``max_draws``
    draws; bins left short are reported in ``drawn``.

    Parameters
    ----------
    targets
        ``(n_bins,)`` negatives wanted per GC bin (:func:`gc_targets`).
    rng
        The generator of every draw (seeded by the caller).
    """
    chroms = [c for c in lengths if lengths[c] >= length]
    if not chroms:
        raise ValueError(f"no chromosome is at least {length} bp long")
    room = np.array([lengths[c] - length + 1 for c in chroms], dtype=float)
    taken = IntervalIndex(exclude)
    n_bins, drawn = len(targets), [0] * len(targets)
    windows, sequences, rejected = [], [], Counter()
    for _ in range(max_draws):
        if drawn == list(targets):
            break
        chrom = chroms[rng.choice(len(chroms), p=room / room.sum())]
        start = int(rng.integers(0, lengths[chrom] - length + 1))
        if taken.overlaps(chrom, start, start + length):
            rejected["overlaps a positive or a negative"] += 1
            continue
        window = Window(chrom, start, start + length, "+", f"{chrom}:{start}-{start + length}")
        seq = window_sequence(genome, window)
        if too_many_n(seq, max_n_fraction) or math.isnan(gc_of(seq)):
            rejected["too many N"] += 1
            continue
        b = gc_bin(gc_of(seq), n_bins)
        if drawn[b] >= targets[b]:
            rejected["GC bin full"] += 1
            continue
        drawn[b] += 1
        taken.add(window)
        windows.append(window)
        sequences.append(seq)
    short = sum(targets) - sum(drawn)
    if short:
        log.warning("%d of %d GC-matched negatives not found in %d draws", short, sum(targets), max_draws)
    return Negatives(windows, sequences, list(targets), drawn, rejected)


def dinucleotide_shuffles(sequences: Sequence[str], n: int, seed: int) -> list[list[str]]:
    """``n`` dinucleotide shuffles of each sequence (``tangermeme.ersatz.dinucleotide_shuffle``).

    Sequence ``i`` is shuffled with seed ``seed + i``; ``N`` is shuffled as a letter
    of its own. Returns ``(len(sequences), n)`` strings.
    """
    import torch
    from tangermeme.ersatz import dinucleotide_shuffle
    from tangermeme.utils import characters, one_hot_encode

    out = []
    for i, seq in enumerate(sequences):
        x = one_hot_encode(seq, alphabet=["A", "C", "G", "T"]).unsqueeze(0)
        shuffled = dinucleotide_shuffle(x.to(torch.int8), n=n, random_state=seed + i, allow_N=True)
        out.append([characters(s, alphabet=["A", "C", "G", "T"], allow_N=True) for s in shuffled[0]])
    return out


# --------------------------------------------------------------------------- tables
def summary_rows(classes: Mapping[str, Sequence[str]], dropped: Mapping[str, Counter]) -> list[dict]:
    """One row per class: sequences kept, mean / min / max GC, and dropped per reason."""
    reasons = sorted({r for c in dropped.values() for r in c})
    rows = []
    for name, seqs in classes.items():
        gcs = [g for g in (gc_of(s) for s in seqs) if not math.isnan(g)]
        row = {"class": name, "n": len(seqs)}
        row["gc_mean"] = float(np.mean(gcs)) if gcs else math.nan
        row["gc_min"] = min(gcs) if gcs else math.nan
        row["gc_max"] = max(gcs) if gcs else math.nan
        for reason in reasons:
            row[f"dropped:{reason}"] = dropped.get(name, Counter()).get(reason, 0)
        rows.append(row)
    return rows


def count_rows(dropped: Mapping[str, Counter], kept: Mapping[str, int]) -> list[dict]:
    """``class, reason, n`` rows: the windows kept and every reason a window was dropped."""
    rows = []
    for name, n in kept.items():
        rows.append({"class": name, "reason": "kept", "n": n})
        rows += [{"class": name, "reason": r, "n": c} for r, c in sorted(dropped.get(name, {}).items())]
    return rows


# --------------------------------------------------------------------------- the download plan
CHROMOSOMES = "chromosomes"
ANNOTATIONS = "annotations"


def _url_name(url: str) -> str:
    """The file name at the end of ``url`` (query dropped)."""
    return url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def chromosome_file(chrom: str) -> str:
    """Path of chromosome ``chrom``'s download under ``resources/genome/``."""
    return f"{CHROMOSOMES}/{chrom}.fa.gz"


def annotation_file(genome_set: str, url: str) -> str:
    """Path of set ``genome_set``'s anchor file (named as at ``url``) under ``resources/genome/``."""
    return f"{ANNOTATIONS}/{genome_set}/{_url_name(url)}"


def md5_list_file(genome: Mapping) -> str | None:
    """Path of the published md5 list under ``resources/genome/`` (``None`` when not configured)."""
    return f"{CHROMOSOMES}/{_url_name(genome['md5_list'])}" if genome["md5_list"] else None


def _remote(url: str, file_format: str, sha256=None, md5=None) -> dict:
    """Plain-value params of one download (the keys of :class:`gsattn.download.PublishedFile`)."""
    return {
        "url": url,
        "sha256": sha256,
        "size": None,
        "format": file_format,
        "mirror_path": None,
        "md5": md5,
    }


def download_plan(genome_data: Mapping) -> dict[str, dict]:
    """Every file of the ``genome_data`` config under ``resources/genome/`` → its download params.

    Chromosome ``c`` comes from ``<genome.url><c>.fa.gz`` and is checked against
    the md5 that ``genome.md5`` gives, else the published md5 list (read when the
    rule runs; ``uses_md5_list`` says so); the list itself against
    ``genome.md5_list_sha256`` when given. An anchor file is checked against the
    set's ``sha256`` / ``md5`` when given (format only otherwise).
    """
    genome, plan = genome_data["genome"], {}
    base = genome["url"] if genome["url"].endswith("/") else genome["url"] + "/"
    listing = md5_list_file(genome)
    if listing:
        plan[listing] = _remote(base + genome["md5_list"], "text", genome["md5_list_sha256"])
        plan[listing]["uses_md5_list"] = False
    for chrom in genome["chromosomes"]:
        md5 = genome["md5"].get(chrom)
        plan[chromosome_file(chrom)] = _remote(f"{base}{chrom}.fa.gz", "gzip", md5=md5)
        plan[chromosome_file(chrom)]["uses_md5_list"] = md5 is None and listing is not None
    for name, spec in genome_data["sets"].items():
        entry = _remote(spec["url"], "gzip" if spec["url"].endswith(".gz") else "text")
        entry |= {"sha256": spec["sha256"], "md5": spec["md5"], "uses_md5_list": False}
        plan[annotation_file(name, spec["url"])] = entry
    return plan
