"""Genome windows (config/genome.yaml): window arithmetic, names, N filter, GC bins, negatives,
md5-pinned downloads, and the whole chain run by Snakemake on a fixture genome over loopback.

The fixture genome is written here (two short chromosomes, one with an N run), gzip-compressed
like UCSC's ``chr*.fa.gz`` with an ``md5sum.txt`` beside them, and served with EPDnew-style SGA
and SCREEN-style BED rows by the HTTP server of tests/test_download.py on 127.0.0.1; every
expected window is cut by hand below (the minus-strand ones reverse-complemented).
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from test_download import FAST, server  # noqa: F401  (the loopback server fixture)

from conftest import REPO
from gsattn.download import PublishedFile, fetch, published_md5
from gsattn.genome import (
    Anchor,
    IntervalIndex,
    Window,
    anchor_window,
    download_plan,
    exclusion_windows,
    extract_windows,
    gc_bin,
    gc_of,
    gc_targets,
    in_range,
    normalise_chrom,
    read_anchors,
    sample_negatives,
    too_many_n,
    window_sequence,
)
from gsattn.io import InputError, read_fasta, read_labels, read_table
from gsattn.seq import reverse_complement

SCRIPTS = REPO / "workflow" / "scripts"


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


needs_pyfaidx = pytest.mark.skipif(not _has("pyfaidx"), reason="pyfaidx is not installed (requirements.txt)")
needs_tangermeme = pytest.mark.skipif(
    not _has("tangermeme"), reason="tangermeme is not installed (requirements.txt)"
)


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("name", "ucsc"),
    [
        ("chr1", "chr1"),
        ("1", "chr1"),
        ("NC_000001.11", "chr1"),
        ("NC_000021.9", "chr21"),
        ("22", "chr22"),
        ("X", "chrX"),
        ("chrY", "chrY"),
        ("NC_000023.11", "chrX"),
        ("MT", "chrM"),
        ("chrM", "chrM"),
        ("NC_012920.1", "chrM"),
        ("chrUn_KI270302v1", "chrUn_KI270302v1"),
        ("23", "23"),  # not a human chromosome number: left as it is (then "chromosome not used")
    ],
)
def test_chromosome_names_are_normalised(name, ucsc):
    assert normalise_chrom(name) == ucsc


def test_refseq_accession_of_another_assembly_is_refused():
    with pytest.raises(ValueError, match="NC_000001.10.*not the RefSeq accession of a GRCh38"):
        normalise_chrom("NC_000001.10")  # GRCh37's chromosome 1


# --------------------------------------------------------------------------- windows
CHROM = "ACGTTGCAAGCTTAGGCCATAGCTAGGATCCAT"  # 33 bp


@pytest.mark.parametrize(
    ("strand", "pos", "interval"),
    [("+", 10, (7, 13)), ("-", 10, (8, 14)), ("+", 0, (-3, 3)), ("-", 32, (30, 36))],
)
def test_window_arithmetic_on_both_strands(strand, pos, interval):
    window = anchor_window(Anchor("chr1", pos, strand, "a"), upstream=3, downstream=2)
    assert (window.start, window.end) == interval and window.end - window.start == 6


def test_window_sequences_read_five_to_three_prime_with_the_anchor_at_offset_upstream():
    genome = {"chr1": CHROM}
    plus = window_sequence(genome, anchor_window(Anchor("chr1", 10, "+", "a"), 3, 2))
    minus = window_sequence(genome, anchor_window(Anchor("chr1", 10, "-", "a"), 3, 2))
    assert plus == "AAGCTT" == CHROM[7:13] and plus[3] == CHROM[10]
    # minus: bases 8..13 reverse-complemented; the TSS (base 10) is the 4th base read on '-'
    assert minus == reverse_complement(CHROM[8:14]) == "TAAGCT"
    assert minus[3] == {"A": "T", "C": "G", "G": "C", "T": "A"}[CHROM[10]]


@pytest.mark.parametrize(
    ("strand", "pos", "inside"),
    [
        ("+", 30, True),  # [27, 33): ends exactly at the chromosome's end
        ("+", 31, False),  # [28, 34): one base past it
        ("-", 2, True),  # [0, 6): starts exactly at 0
        ("-", 1, False),  # [-1, 5)
        ("+", 3, True),  # [0, 6)
        ("+", 2, False),  # [-1, 5)
        ("-", 29, True),  # [27, 33)
        ("-", 30, False),  # [28, 34)
    ],
)
def test_windows_at_the_chromosome_ends(strand, pos, inside):
    window = anchor_window(Anchor("chr1", pos, strand, "a"), upstream=3, downstream=2)
    assert in_range(window, len(CHROM)) is inside


def test_lower_case_and_other_letters_are_read_as_upper_case_and_n():
    genome = {"chr1": "acgtRYacgt"}
    assert window_sequence(genome, Window("chr1", 2, 8, "+")) == "GTNNAC"
    assert window_sequence(genome, Window("chr1", 2, 8, "-")) == "GTNNAC"


# --------------------------------------------------------------------------- N filter, GC bins
@pytest.mark.parametrize(
    ("seq", "max_n", "dropped"),
    [
        ("ACGTNACGTA", 0.1, False),  # 1 of 10 = exactly the threshold: kept
        ("ACGTNNCGTA", 0.1, True),  # 2 of 10
        ("ACGTACGTAC", 0.0, False),
        ("ACGTNCGTAC", 0.0, True),
        ("N" * 3 + "A" * 297, 0.01, False),  # 3 of 300 = 1 %
        ("N" * 4 + "A" * 296, 0.01, True),
        ("acgtnacgta", 0.1, False),
    ],
)
def test_n_filter_at_the_edge_of_the_threshold(seq, max_n, dropped):
    assert too_many_n(seq, max_n) is dropped


@pytest.mark.parametrize(
    ("gc", "n_bins", "expected"),
    [(0.0, 20, 0), (0.049, 20, 0), (0.05, 20, 1), (0.5, 20, 10), (0.999, 20, 19), (1.0, 20, 19)]
    + [(0.57, 100, 57), (0.3, 10, 3), (0.5, 1, 0), (1.0, 1, 0)],
)
def test_gc_bins(gc, n_bins, expected):
    assert gc_bin(gc, n_bins) == expected


def test_gc_bin_refuses_a_fraction_outside_zero_one():
    with pytest.raises(ValueError):
        gc_bin(1.01, 10)


def test_gc_ignores_n_and_targets_count_per_bin():
    assert gc_of("GGCCNNNN") == 1.0 and gc_of("ACGT") == 0.5 and np.isnan(gc_of("NNNN"))
    assert gc_targets(["AAAA", "GGGG", "GGGC", "ACGT"], 2, 1.0) == [1, 3]
    assert gc_targets(["AAAA", "GGGG", "GGGC", "ACGT"], 4, 2.0) == [2, 0, 2, 4]


# --------------------------------------------------------------------------- overlaps, negatives
def test_interval_index_is_half_open():
    index = IntervalIndex([Window("chr1", 10, 20, "+"), Window("chr1", 100, 400, "+")])
    assert not index.overlaps("chr1", 20, 30) and not index.overlaps("chr1", 0, 10)
    assert index.overlaps("chr1", 19, 25) and index.overlaps("chr1", 5, 11)
    assert index.overlaps("chr1", 200, 210)  # inside a long interval far from its start
    assert not index.overlaps("chr2", 10, 20)


def _two_halves(length: int = 4000, seed: int = 0) -> str:
    """An AT-rich first half (GC about 0.2) and a GC-rich second half (about 0.8)."""
    rng = np.random.default_rng(seed)
    low = rng.choice(list("ACGT"), size=length // 2, p=[0.4, 0.1, 0.1, 0.4])
    high = rng.choice(list("ACGT"), size=length // 2, p=[0.1, 0.4, 0.4, 0.1])
    return "".join(low) + "".join(high)


def _negatives(seed: int, per_positive: float = 1.0, n_bins: int = 10):
    genome = {"chr1": _two_halves(), "chr2": _two_halves(seed=1)}
    lengths = {c: len(s) for c, s in genome.items()}
    positives = [Window("chr1", s, s + 50, "+") for s in range(2100, 3900, 200)]  # 9, GC-rich
    positives += [Window("chr2", 300, 350, "-")]  # 1, AT-rich
    seqs = [window_sequence(genome, w) for w in positives]
    targets = gc_targets(seqs, n_bins, per_positive)
    rng = np.random.default_rng(seed)
    neg = sample_negatives(genome, lengths, positives, targets, 50, 0.0, rng, max_draws=20000)
    return genome, positives, seqs, neg


def test_negatives_match_the_positives_gc_bins_and_overlap_nothing():
    genome, positives, seqs, neg = _negatives(seed=3)
    assert neg.drawn == neg.wanted and len(neg.windows) == len(positives) == 10
    bins = Counter(gc_bin(gc_of(s), 10) for s in seqs)
    assert Counter(gc_bin(gc_of(s), 10) for s in neg.sequences) == bins
    index = IntervalIndex(positives)
    for i, w in enumerate(neg.windows):
        assert not index.overlaps(w.chrom, w.start, w.end), w
        assert window_sequence(genome, w) == neg.sequences[i] and w.end - w.start == 50
    for a, b in itertools.combinations(neg.windows, 2):
        assert a.chrom != b.chrom or a.end <= b.start or b.end <= a.start, (a, b)
    assert neg.rejected["GC bin full"] > 0  # the AT-rich half was drawn and refused


def test_negatives_are_reproducible_from_the_seed():
    assert _negatives(seed=3)[3].windows == _negatives(seed=3)[3].windows
    assert _negatives(seed=3)[3].windows != _negatives(seed=4)[3].windows


def test_negatives_that_cannot_all_be_found_are_reported_short():
    genome = {"chr1": "GC" * 30}  # 60 bp, GC 1.0 everywhere; a positive takes the middle
    positives = [Window("chr1", 20, 40, "+")]
    rng = np.random.default_rng(0)
    neg = sample_negatives(genome, {"chr1": 60}, positives, [0, 5], 20, 0.0, rng, max_draws=500)
    # only [0, 20) and [40, 60) touch neither the positive nor each other
    assert neg.wanted == [0, 5] and neg.drawn == [0, 2]
    assert sorted((w.start, w.end) for w in neg.windows) == [(0, 20), (40, 60)]


def test_negatives_avoid_every_anchor_window_and_bed_interval_kept_or_not():
    anchors = [
        Anchor("chr1", 10, "+", "sga"),
        Anchor("chr1", 100, "+", "element", interval=(60, 141)),  # longer than its 11 bp window
        Anchor("chr1", 1, "-", "off the end"),  # window [-4, 7): still excluded
        Anchor("chr9", 10, "+", "unused chromosome"),
    ]
    windows = exclusion_windows(anchors, {"chr1": 200}, upstream=5, downstream=5)
    assert [(w.start, w.end) for w in windows] == [(5, 16), (95, 106), (60, 141), (-4, 7)]
    index = IntervalIndex(windows)
    assert index.overlaps("chr1", 130, 140) and not index.overlaps("chr1", 141, 151)
    assert index.overlaps("chr1", 0, 3) and not index.overlaps("chr1", 16, 60)


@needs_tangermeme
def test_dinucleotide_shuffles_keep_dinucleotide_counts_and_are_seeded():
    from gsattn.genome import dinucleotide_shuffles

    seqs = ["ACGTTGCAAGCTTAGGCCATAGCTAGGATCCAT", "GGATCCATTAGCAGTACNNGTACCATGATTAC"]
    first = dinucleotide_shuffles(seqs, 3, seed=7)
    assert first == dinucleotide_shuffles(seqs, 3, seed=7) != dinucleotide_shuffles(seqs, 3, seed=8)

    def pairs(s):
        return Counter(s[i : i + 2] for i in range(len(s) - 1))

    for seq, copies in zip(seqs, first, strict=True):
        assert len(copies) == 3 and any(c != seq for c in copies)
        for copy in copies:
            assert pairs(copy) == pairs(seq) and copy[0] == seq[0] and copy[-1] == seq[-1]


# --------------------------------------------------------------------------- anchors
def test_sga_and_bed_anchors(tmp_path):
    sga = tmp_path / "a.sga"
    sga.write_text("NC_000001.11\tTSS\t11\t+\t1\tG_1\nNC_000002.12\tTSS\t1\t-\t1\tG_2\n")
    assert read_anchors(sga, "sga", "tss") == [
        Anchor("chr1", 10, "+", "G_1", 1),
        Anchor("chr2", 0, "-", "G_2", 2),
    ]
    bed = tmp_path / "a.bed"
    bed.write_text("track name=x\n1\t10\t20\tT1\t0\t+\nchr1\t10\t20\tT2\t0\t-\n")
    assert [(a.chrom, a.pos, a.strand) for a in read_anchors(bed, "bed", "tss")] == [
        ("chr1", 10, "+"),
        ("chr1", 19, "-"),
    ]
    bed.write_text("chr1\t10\t20\tE1\tE2\tdELS\nchr1\t10\t21\tE3\tE4\tdELS\n")
    assert [(a.pos, a.strand, a.name) for a in read_anchors(bed, "bed", "element")] == [
        (15, "+", "E1"),
        (15, "+", "E3"),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("NC_000001.11\tTSS\t11\t*\t1\tG\n", "strand '*' is not '+' or '-'"),
        ("NC_000001.11\tTSS\tx\t+\t1\tG\n", "position 'x' is not an integer"),
        ("NC_000001.11\tTSS\t0\t+\t1\tG\n", "is not 1-based"),
        ("NC_000001.10\tTSS\t5\t+\t1\tG\n", "not the RefSeq accession of a GRCh38 chromosome"),
        ("NC_000001.11 TSS 5 + 1 G\n", "expected at least 4 tab-separated SGA fields"),
    ],
)
def test_bad_sga_lines_name_the_file_and_line(tmp_path, text, reason):
    path = tmp_path / "a.sga"
    path.write_text("NC_000001.11\tTSS\t5\t+\t1\tok\n" + text)
    with pytest.raises(InputError) as info:
        read_anchors(path, "sga", "tss")
    assert str(info.value).startswith(f"{path}, line 2: ") and reason in str(info.value)


def test_dropped_windows_are_counted_by_reason():
    genome = {"chr1": CHROM, "chr2": "ACGT" * 3 + "N" * 6 + "ACGT" * 3}
    lengths = {c: len(s) for c, s in genome.items()}
    anchors = [
        Anchor("chr1", 10, "+", "kept"),
        Anchor("chr1", 10, "+", "again"),  # same window
        Anchor("chr1", 10, "-", "other strand"),  # kept: another window
        Anchor("chr1", 31, "+", "off the end"),
        Anchor("chr9", 10, "+", "elsewhere"),
        Anchor("chr2", 14, "+", "in the N run"),
        Anchor("chr2", 3, "+", "before it"),
    ]
    out = extract_windows(anchors, genome, lengths, upstream=3, downstream=2, max_n_fraction=0.2)
    assert [w.name for w in out.windows] == ["kept", "other strand", "before it"]
    assert out.sequences == ["AAGCTT", "TAAGCT", "ACGTAC"]
    assert out.dropped == Counter(
        {"duplicate window": 1, "out of range": 1, "chromosome not used": 1, "too many N": 1}
    )


# --------------------------------------------------------------------------- md5-pinned downloads
GZ = gzip.compress(b">chr1\nACGTACGTAC\n", mtime=0)


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_published_md5_is_read_from_an_md5sum_listing(tmp_path):
    listing = tmp_path / "md5sum.txt"
    listing.write_text(f"{'a' * 32}  chr1.fa.gz\n\n{'B' * 32}  chr2.fa.gz\n")
    assert (
        published_md5(listing, "chr1.fa.gz") == "a" * 32 and published_md5(listing, "chr2.fa.gz") == "b" * 32
    )
    with pytest.raises(InputError, match="lists no md5 for 'chr3.fa.gz'"):
        published_md5(listing, "chr3.fa.gz")
    listing.write_text("<html>\n")
    with pytest.raises(InputError, match=r"line 1: expected '<32 hex digits md5>"):
        published_md5(listing, "chr1.fa.gz")


def test_md5_pinned_file_good_and_mismatched(server, tmp_path):  # noqa: F811
    url = server.serve("/chr1.fa.gz", (200, GZ))
    manifest = fetch(
        PublishedFile(url, None, None, "gzip", md5=_md5(GZ)), tmp_path / "ok" / "chr1.fa.gz", **FAST
    )
    record = json.loads(manifest.read_text())
    assert record["md5"] == _md5(GZ) and record["sha256"] == hashlib.sha256(GZ).hexdigest()
    with pytest.raises(InputError) as info:
        fetch(PublishedFile(url, None, None, "gzip", md5="0" * 32), tmp_path / "bad" / "chr1.fa.gz", **FAST)
    assert str(info.value) == f"{url}: md5 is {_md5(GZ)}, expected {'0' * 32} (checksum mismatch)"
    assert list((tmp_path / "bad").iterdir()) == []


def test_unpinned_file_is_format_checked_and_its_sha256_recorded(server, tmp_path, caplog):  # noqa: F811
    url = server.serve("/a.sga", (200, b"NC_000001.11\tTSS\t5\t+\t1\tG\n"))
    record = json.loads(fetch(PublishedFile(url, None, None, "text"), tmp_path / "a.sga", **FAST).read_text())
    assert record["sha256"] == hashlib.sha256(b"NC_000001.11\tTSS\t5\t+\t1\tG\n").hexdigest()
    assert "no checksum pinned" in caplog.text
    page = server.serve("/b.sga", (200, b"<!DOCTYPE html><html>quota</html>"))
    with pytest.raises(InputError, match="is an HTML page"):
        fetch(PublishedFile(page, None, None, "text"), tmp_path / "b.sga", **FAST)


def test_corrupted_chromosome_stops_the_rule_with_the_url_and_the_reason(server, tmp_path):  # noqa: F811
    import download_genome_file

    corrupt = gzip.compress(b">chr1\nACGTACGTAA\n", mtime=0)
    url = server.serve("/hg/chr1.fa.gz", (200, corrupt))
    listing = tmp_path / "md5sum.txt"
    listing.write_text(f"{_md5(GZ)}  chr1.fa.gz\n")
    out = tmp_path / "res" / "chromosomes" / "chr1.fa.gz"
    remote = {"url": url, "sha256": None, "size": None, "format": "gzip", "mirror_path": None, "md5": None}
    smk = SimpleNamespace(
        params=SimpleNamespace(remote=remote | {"uses_md5_list": True}, timeout=0.5, retries=0),
        input=SimpleNamespace(get=lambda key: str(listing) if key == "md5_list" else None),
        output=SimpleNamespace(file=str(out), manifest=str(out) + ".manifest.json"),
        log=[str(tmp_path / "log.txt")],
    )
    with pytest.raises(InputError) as info:
        download_genome_file.main(smk)
    assert str(info.value) == f"{url}: md5 is {_md5(corrupt)}, expected {_md5(GZ)} (checksum mismatch)"
    assert list(out.parent.iterdir()) == [] and server.hits == {"/hg/chr1.fa.gz": 1}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((200, gzip.compress(b">chr1\nTTTT\n", mtime=0)), "md5 is"),  # corrupt: another file
        ((200, GZ[:20], {"Content-Length": str(len(GZ))}), "truncated: got 20 of the"),
        ((200, b"<!DOCTYPE html><html>Rate limit</html>"), "is an HTML page, not gzip data"),
        ((404, b"Not Found"), "HTTP 404 Not Found: the file is not there (not retried)"),
        ((200, GZ, {}, 0.6), "timed out after 0.2 s"),
    ],
    ids=["corrupt", "truncated", "html", "404", "timeout"],
)
def test_chromosome_download_failures_name_the_url_and_leave_nothing(server, tmp_path, answer, reason):  # noqa: F811
    import download_genome_file

    url = server.serve("/hg/chr1.fa.gz", answer)
    listing = tmp_path / "md5sum.txt"
    listing.write_text(f"{_md5(GZ)}  chr1.fa.gz\n")
    remote = {"url": url, "sha256": None, "size": None, "format": "gzip", "mirror_path": None, "md5": None}
    dest = tmp_path / "res" / "chr1.fa.gz"
    with pytest.raises(InputError) as info:
        download_genome_file.run(remote | {"uses_md5_list": True}, str(dest), str(listing), 0.2, 1, 0.001)
    assert str(info.value).startswith(f"{url}: ") and reason in str(info.value)
    assert list(dest.parent.iterdir()) == []
    good = server.serve("/hg/good/chr1.fa.gz", (200, GZ))
    download_genome_file.run(remote | {"url": good}, str(dest), str(listing), 0.2, 1, 0.001)
    assert dest.read_bytes() == GZ


def test_download_plan_names_every_file():
    genome_data = {
        "genome": {
            "url": "https://h.org/hg38/chromosomes",
            "md5_list": "md5sum.txt",
            "md5_list_sha256": None,
            "md5": {"chr2": "c" * 32},
            "chromosomes": ["chr1", "chr2"],
        },
        "sets": {"tss": {"url": "https://e.org/x/Hs.sga", "sha256": "d" * 64, "md5": None}},
    }
    plan = download_plan(genome_data)
    assert list(plan) == [
        "chromosomes/md5sum.txt",
        "chromosomes/chr1.fa.gz",
        "chromosomes/chr2.fa.gz",
        "annotations/tss/Hs.sga",
    ]
    assert plan["chromosomes/chr1.fa.gz"]["url"] == "https://h.org/hg38/chromosomes/chr1.fa.gz"
    assert plan["chromosomes/chr1.fa.gz"]["uses_md5_list"] and plan["chromosomes/chr1.fa.gz"]["md5"] is None
    assert (
        not plan["chromosomes/chr2.fa.gz"]["uses_md5_list"]
        and plan["chromosomes/chr2.fa.gz"]["md5"] == "c" * 32
    )
    assert plan["annotations/tss/Hs.sga"] | {} == {
        "url": "https://e.org/x/Hs.sga",
        "sha256": "d" * 64,
        "size": None,
        "format": "text",
        "mirror_path": None,
        "md5": None,
        "uses_md5_list": False,
    }


# --------------------------------------------------------------------------- end to end
def _chromosomes() -> dict[str, str]:
    rng = np.random.default_rng(13)
    chrom = {c: "".join(rng.choice(list("ACGT"), size=n)) for c, n in (("chr1", 600), ("chr2", 400))}
    chrom["chr2"] = chrom["chr2"][:100] + "N" * 60 + chrom["chr2"][160:]
    return chrom


def _fasta_gz(header: str, seq: str, width: int = 50) -> bytes:
    lines = [
        seq[i : i + width].lower() if i % 100 == 0 else seq[i : i + width] for i in range(0, len(seq), width)
    ]
    return gzip.compress(f">{header}\n".encode() + "\n".join(lines).encode() + b"\n", mtime=0)


# window -9..+5 (15 bp) around each TSS; 15 bp centred on each element
SGA = (
    "NC_000001.11\tTSS\t51\t+\t1\tP_plus\n"  # 0-based 50: chr1[41:56]
    "NC_000001.11\tTSS\t201\t-\t1\tP_minus\n"  # 0-based 200, minus: revcomp(chr1[195:210])
    "NC_000001.11\tTSS\t51\t+\t1\tP_plus_again\n"  # duplicate window
    "NC_000001.11\tTSS\t3\t+\t1\tP_edge\n"  # [-7, 8): out of range
    "NC_000002.12\tTSS\t121\t+\t1\tP_in_N\n"  # [111, 126): all N
    "NC_000002.12\tTSS\t301\t-\t1\tP_chr2\n"  # 0-based 300, minus: revcomp(chr2[295:310])
    "NC_000003.12\tTSS\t100\t+\t1\tP_chr3\n"  # chr3 is not configured
)
BED = "chr1\t400\t420\tEH38D1\tEH38E1\tdELS\n2\t20\t40\tEH38D2\tEH38E2\tdELS\n"  # centres 410, 30


def _expected(chrom: dict[str, str]) -> dict[str, list[str]]:
    return {
        "tss": [
            chrom["chr1"][41:56],
            reverse_complement(chrom["chr1"][195:210]),
            reverse_complement(chrom["chr2"][295:310]),
        ],
        "enh": [chrom["chr1"][403:418], chrom["chr2"][23:38]],
    }


def _serve_fixture(server) -> dict:  # noqa: F811
    chrom = _chromosomes()
    files = {"chr1": _fasta_gz("chr1", chrom["chr1"]), "chr2": _fasta_gz("2", chrom["chr2"])}
    listing = (
        "".join(f"{_md5(data)}  ./{c}.fa.gz\n" for c, data in files.items()) + f"{'e' * 32}  chrY.fa.gz\n"
    )
    for c, data in files.items():
        server.serve(f"/hg38/chromosomes/{c}.fa.gz", (200, data))
    server.serve("/hg38/chromosomes/md5sum.txt", (200, listing.encode()))
    sga_url = server.serve("/epd/Hs_EPDnew_006_hg38.sga", (200, SGA.encode()))
    bed_url = server.serve("/screen/GRCh38-cCREs.dELS.bed.gz", (200, gzip.compress(BED.encode(), mtime=0)))
    return {"chrom": chrom, "sga": sga_url, "bed": bed_url, "genome": server.url("/hg38/chromosomes/")}


def _config(urls: dict, shuffles: int) -> dict:
    negatives = {"genomic_per_positive": 1, "gc_bins": 2, "max_draws_per_negative": 2000, "seed": 5}
    return {
        "datasets": {
            "tss": {
                "type": "fasta",
                "fasta": "results/genome/tss/sequences.fa",
                "labels": "results/genome/tss/labels.tsv",
                "length": 20,  # the schema's smallest; the 15 bp windows are padded
                "split": {"train": 0.34, "validation": 0.33, "test": 0.33},
            }
        },
        "genome_data": {
            "timeout": 5,
            "retries": 1,
            "genome": {"url": urls["genome"], "chromosomes": ["chr1", "chr2"]},
            "sets": {
                "tss": {
                    "kind": "tss",
                    "url": urls["sga"],
                    "format": "sga",
                    "upstream": 9,
                    "downstream": 5,
                    "max_n_fraction": 0.1,
                    "negatives": negatives | {"shuffles_per_positive": shuffles},
                },
                "enh": {
                    "kind": "element",
                    "url": urls["bed"],
                    "upstream": 7,
                    "downstream": 7,
                    "max_n_fraction": 0.1,
                    "negatives": negatives,
                },
            },
        },
    }


def _snakemake(workdir: Path, *targets: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--cores", "1"]
    command += ["--configfile", "config.yaml", "--directory", str(workdir), *targets]
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=600, env=dict(os.environ)
    )


@pytest.mark.slow
@needs_pyfaidx
def test_fixture_genome_end_to_end_over_loopback(server, tmp_path):  # noqa: F811
    urls = _serve_fixture(server)
    shuffles = 1 if _has("tangermeme") else 0
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(_config(urls, shuffles)))
    targets = [
        "results/genome/tss/labels.tsv",
        "results/genome/enh/labels.tsv",
        "results/data/tss/encoded.npz",
    ]
    result = _snakemake(tmp_path, *targets)
    assert result.returncode == 0, result.stderr[-4000:]
    chrom, expected = urls["chrom"], _expected(urls["chrom"])
    for name in ("tss", "enh"):
        folder = tmp_path / "results" / "genome" / name
        records = read_fasta(folder / "sequences.fa")
        labels = read_labels(folder / "labels.tsv")
        windows = read_table(folder / "windows.tsv")
        assert [r.id for r in records] == labels.ids == [w["id"] for w in windows]
        positives = [r.sequence for r, w in zip(records, windows, strict=True) if w["class"] == "positive"]
        assert positives == expected[name]
        genomic = [(r, w) for r, w in zip(records, windows, strict=True) if w["class"] == "genomic"]
        assert len(genomic) == len(positives)  # one GC-matched negative per positive, all bins filled
        taken = IntervalIndex(
            Window(w["chrom"], w["start"], w["end"], w["strand"]) for w in windows if w["label"] == 1
        )
        for record, w in genomic:
            assert record.sequence == chrom[w["chrom"]][w["start"] : w["end"]] and w["strand"] == "+"
            assert not taken.overlaps(w["chrom"], w["start"], w["end"])
        assert Counter(gc_bin(gc_of(s), 2) for s in positives) == Counter(
            gc_bin(gc_of(r.sequence), 2) for r, _ in genomic
        )
        assert [int(v) for v in labels.labels] == [1 if w["class"] == "positive" else 0 for w in windows]
    counts = {
        (r["class"], r["reason"]): r["n"] for r in read_table(tmp_path / "results/genome/tss/counts.tsv")
    }
    assert {k: v for k, v in counts.items() if k[0] == "positive"} == {
        ("positive", "kept"): 3,
        ("positive", "chromosome not used"): 1,
        ("positive", "duplicate window"): 1,
        ("positive", "out of range"): 1,
        ("positive", "too many N"): 1,
    }
    assert counts[("genomic", "kept")] == 3 and counts[("genomic", "GC bin not filled")] == 0
    summary = {r["class"]: r for r in read_table(tmp_path / "results/genome/tss/summary.tsv")}
    assert summary["positive"]["n"] == 3 and summary["positive"]["dropped:too many N"] == 1
    assert summary["positive"]["gc_mean"] == pytest.approx(
        np.mean([gc_of(s) for s in expected["tss"]]), abs=1e-6
    )
    if shuffles:
        assert summary["shuffled"]["n"] == 3
    # the chromosomes were checked against the published md5s and renamed from "2" to chr2
    manifest = json.loads((tmp_path / "resources/genome/chromosomes/chr2.fa.gz.manifest.json").read_text())
    assert manifest["md5"] == _md5(_fasta_gz("2", chrom["chr2"])) and manifest["source"] == "download"
    assert (tmp_path / "results/genome/chromosomes/chr2.fa").read_text().startswith(">chr2\n")
    # the bring-your-own path read the windows: every phase can run on them
    with np.load(tmp_path / "results/data/tss/encoded.npz", allow_pickle=False) as encoded:
        assert list(encoded["ids"]) == read_labels(tmp_path / "results/genome/tss/labels.tsv").ids
        assert set(encoded["split"]) == {"train", "validation", "test"}
    assert (
        server.hits["/hg38/chromosomes/chr1.fa.gz"] == 1 and server.hits["/epd/Hs_EPDnew_006_hg38.sga"] == 1
    )


@pytest.mark.slow
@needs_pyfaidx
def test_corrupted_chromosome_stops_the_snakemake_run(server, tmp_path):  # noqa: F811
    urls = _serve_fixture(server)
    bad = _fasta_gz("chr1", "ACGT" * 20)  # not the file md5sum.txt lists
    server.serve("/hg38/chromosomes/chr1.fa.gz", (200, bad))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(_config(urls, 0)))
    result = _snakemake(tmp_path, "results/genome/tss/labels.tsv")
    assert result.returncode != 0
    url = server.url("/hg38/chromosomes/chr1.fa.gz")
    expected = _md5(_fasta_gz("chr1", urls["chrom"]["chr1"]))
    message = f"{url}: md5 is {_md5(bad)}, expected {expected} (checksum mismatch)"
    assert message in result.stdout + result.stderr
    assert message in (tmp_path / "results/logs/download_genome_file/chromosomes/chr1.fa.gz.log").read_text()
    assert not (tmp_path / "resources/genome/chromosomes/chr1.fa.gz").exists()
    assert not (tmp_path / "results/genome/tss").exists()


@pytest.mark.slow
def test_genome_config_dry_runs(tmp_path):
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n"]
    command += ["--configfile", str(REPO / "config/genome.yaml"), "--directory", str(tmp_path)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = {
        parts[0]: int(parts[1])
        for parts in (line.split() for line in result.stdout.splitlines())
        if len(parts) == 2 and parts[1].isdigit()
    }
    config = yaml.safe_load((REPO / "config/genome.yaml").read_text())
    n_chroms, n_sets = len(config["genome_data"]["genome"]["chromosomes"]), len(config["genome_data"]["sets"])
    assert (n_chroms, n_sets) == (2, 2)
    assert jobs["download_genome_file"] == n_chroms + 1 + n_sets  # chromosomes, md5sum.txt, anchor files
    assert jobs["decompress_chromosome"] == n_chroms and jobs["extract_fasta"] == n_sets
    assert jobs["import_fasta"] == len(config["datasets"]) == n_sets and jobs["train_attention"] > 0
    for name, spec in config["datasets"].items():
        assert spec["type"] == "fasta" and spec["fasta"] == f"results/genome/{name}/sequences.fa"
        assert name in config["genome_data"]["sets"]
    assert "resources/genome/chromosomes/md5sum.txt" in result.stdout


def test_genome_paths():
    from gsattn import layout as L

    assert L.genome_resource("chromosomes/chr21.fa.gz") == "resources/genome/chromosomes/chr21.fa.gz"
    assert L.genome_chromosome(".fa.fai", "chr21") == "results/genome/chromosomes/chr21.fa.fai"
    assert L.genome_set("labels.tsv") == "results/genome/{genome_set}/labels.tsv"
    assert L.genome_set("labels.tsv", "epd_tss") == "results/genome/epd_tss/labels.tsv"
