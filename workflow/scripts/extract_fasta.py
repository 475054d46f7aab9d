"""Rule extract_fasta: the labelled windows of one genome set, as a bring-your-own data set.

Positives: the strand-aware window ``-upstream..+downstream`` around each anchor
(a TSS of an EPDnew SGA/BED file or the centre of a SCREEN cCRE), read from the
pyfaidx-indexed chromosomes; windows on other chromosomes, off a chromosome's
end, with too many ``N`` or repeated are dropped and counted. Negatives: genomic
windows matched bin by bin to the positives' GC content, never overlapping the
window (kept or dropped) or BED interval of any anchor, nor each other, and
optionally dinucleotide shuffles of the positives.

Writes ``sequences.fa`` and ``labels.tsv`` (``id``, ``label``: what a ``type: fasta``
data set reads), ``windows.tsv`` (where each came from), ``counts.tsv`` (kept and
dropped per reason) and ``summary.tsv`` (per class: count, GC, dropped by reason).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from collections import Counter

import numpy as np

from gsattn.genome import (
    count_rows,
    dinucleotide_shuffles,
    exclusion_windows,
    extract_windows,
    gc_of,
    gc_targets,
    read_anchors,
    sample_negatives,
    summary_rows,
)
from gsattn.io import InputError, atomic_outputs, write_fasta, write_table
from gsattn.logs import rule_logging

WINDOW_COLUMNS = ("id", "label", "class", "chrom", "start", "end", "strand", "name", "gc")


def open_genome(fastas: list[str], chroms: list[str]) -> tuple[dict, dict[str, int]]:
    """The pyfaidx records of ``chroms`` (one indexed FASTA each) and their lengths."""
    import pyfaidx

    genome = {c: pyfaidx.Fasta(f, sequence_always_upper=True)[c] for f, c in zip(fastas, chroms, strict=True)}
    return genome, {c: len(rec) for c, rec in genome.items()}


def _rows(cls: str, label: int, windows, sequences) -> list[dict]:
    return [
        {"class": cls, "label": label, "chrom": w.chrom, "start": w.start, "end": w.end}
        | {"strand": w.strand, "name": w.name, "gc": gc_of(s), "sequence": s}
        for w, s in zip(windows, sequences, strict=True)
    ]


def build(anchors_path: str, spec: dict, genome: dict, lengths: dict[str, int]) -> tuple[list[dict], dict]:
    """Rows of every kept window (positives, genomic and shuffled negatives) and the drop counts."""
    anchors = read_anchors(anchors_path, spec["format"], spec["kind"])
    pos = extract_windows(
        anchors, genome, lengths, spec["upstream"], spec["downstream"], spec["max_n_fraction"]
    )
    if not pos.windows:
        raise InputError(
            anchors_path, None, f"no window kept on {sorted(lengths)} (dropped: {dict(pos.dropped)})"
        )
    neg_spec, length = spec["negatives"], spec["upstream"] + spec["downstream"] + 1
    rng = np.random.default_rng(neg_spec["seed"])
    targets = gc_targets(pos.sequences, neg_spec["gc_bins"], neg_spec["genomic_per_positive"])
    max_draws = neg_spec["max_draws_per_negative"] * max(sum(targets), 1)
    exclude = exclusion_windows(anchors, lengths, spec["upstream"], spec["downstream"])
    neg = sample_negatives(genome, lengths, exclude, targets, length, spec["max_n_fraction"], rng, max_draws)
    rows = _rows("positive", 1, pos.windows, pos.sequences) + _rows("genomic", 0, neg.windows, neg.sequences)
    dropped = {"positive": pos.dropped, "genomic": neg.rejected}
    dropped["genomic"]["GC bin not filled"] = sum(targets) - sum(neg.drawn)
    if neg_spec["shuffles_per_positive"]:
        shuffles = dinucleotide_shuffles(pos.sequences, neg_spec["shuffles_per_positive"], neg_spec["seed"])
        for window, copies in zip(pos.windows, shuffles, strict=True):
            rows += _rows("shuffled", 0, [window] * len(copies), copies)
        dropped["shuffled"] = Counter()
    for i, row in enumerate(rows):
        row["id"] = f"{row['class']}_{i + 1:06d}"
    return rows, dropped


def run(anchors_path: str, spec: dict, fastas: list[str], chroms: list[str], out: dict) -> None:
    """Write the outputs ``out`` names (``fasta``, ``labels``, ``windows``, ``counts``, ``summary``)."""
    genome, lengths = open_genome(fastas, chroms)
    rows, dropped = build(anchors_path, spec, genome, lengths)
    classes = {c: [r["sequence"] for r in rows if r["class"] == c] for c in dropped}
    names = ("fasta", "labels", "windows", "counts", "summary")
    with atomic_outputs(*(out[n] for n in names)) as (fa, lab, win, cnt, summ):
        with open(fa, "w") as handle:
            write_fasta(handle, [(r["id"], r["sequence"]) for r in rows])
        with open(lab, "w") as handle:
            write_table(handle, [{"id": r["id"], "label": r["label"]} for r in rows])
        with open(win, "w") as handle:
            write_table(handle, [{c: r[c] for c in WINDOW_COLUMNS} for r in rows])
        with open(cnt, "w") as handle:
            write_table(handle, count_rows(dropped, {c: len(s) for c, s in classes.items()}))
        with open(summ, "w") as handle:
            write_table(handle, summary_rows(classes, dropped))


def main(smk) -> None:
    with rule_logging(smk.log[0], "extract_fasta") as log:
        out = {n: getattr(smk.output, n) for n in ("fasta", "labels", "windows", "counts", "summary")}
        run(smk.input.anchors, smk.params.spec, list(smk.input.fastas), smk.params.chromosomes, out)
        log.info("%s: windows of %s written", smk.params.genome_set, smk.input.anchors)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
