"""One data set layout for every source, and the encoded arrays every phase reads.

Each data set, synthetic or bring-your-own, becomes five files in
``results/data/<dataset>/``: ``sequences.fa``, ``labels.tsv`` (``id``, ``label``,
``strength``, ``split``), ``sites.bed`` (BED6, 0-based half-open, possibly
empty), ``motifs.tsv`` (one row per motif name used in the BED) and, from
those, ``encoded.npz`` and ``summary.tsv``.

``encoded.npz`` arrays (load with ``numpy.load(path, allow_pickle=False)``):

=============== =========== ========================================================
name            shape/dtype meaning
=============== =========== ========================================================
tokens          (N, L) u1   A=0 C=1 G=2 T=3 N=4 PAD=5 (right padding)
lengths         (N,) i4     unpadded length of each sequence
motif_index     (N, L) i2   index into ``motif_labels`` of the site covering a
                            position, -1 for background and padding
ids             (N,) str    sequence IDs, FASTA order
labels          (N,) i1     binary class
strength        (N,) f4     continuous target (NaN where unknown)
split           (N,) str    train / validation / test
motif_labels    (M,) str    BED names of the motifs
motif_roles     (M,) str    predictive / decoy / known
has_sites       () bool     whether ground-truth sites were given
=============== =========== ========================================================
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gsattn.config import SPLITS, ConfigError, split_problem
from gsattn.io import (
    FastaRecord,
    InputError,
    LabelTable,
    Site,
    check_sites_in_range,
    read_bed,
    read_fasta,
    read_labels,
)
from gsattn.seq import encode, gc_fraction, pad_tokens

log = logging.getLogger(__name__)

MOTIF_COLUMNS = ("motif", "matrix_id", "name", "role", "width", "release", "consensus")


# --------------------------------------------------------------------------- bring your own
@dataclass
class ImportedDataset:
    """A validated user data set, cropped to at most ``length``."""

    records: list[tuple[str, str]]
    labels: LabelTable
    split: list[str]
    sites: list[Site]
    motif_rows: list[dict]


def cross_check_ids(records: Sequence[FastaRecord], labels: LabelTable, fasta, labels_path) -> None:
    """Every sequence needs a label and every label a sequence."""
    fasta_ids = {r.id for r in records}
    for seq_id, line in zip(labels.ids, labels.lines, strict=True):
        if seq_id not in fasta_ids:
            raise InputError(labels_path, line, f"label for {seq_id!r}, which is not in {fasta}")
    labelled = set(labels.ids)
    for rec in records:
        if rec.id not in labelled:
            raise InputError(fasta, rec.line, f"sequence {rec.id!r} has no label in {labels_path}")


def class_split_counts(labels: Sequence[int], split: Sequence[str]) -> dict[str, tuple[int, int]]:
    """``split name -> (sequences of class 0, of class 1)`` for train, validation and test."""
    pairs = list(zip(split, labels, strict=True))
    return {s: (pairs.count((s, 0)), pairs.count((s, 1))) for s in SPLITS}


def check_classes_and_splits(labels: Sequence[int], split: Sequence[str], path) -> None:
    """Raise :class:`InputError` (naming ``path``) for labels all of one class or a
    split without both classes (training and the test metrics would be undefined)."""
    problem = split_problem(class_split_counts([int(v) for v in labels], [str(v) for v in split]))
    if problem:
        raise InputError(path, None, problem)


def check_decoy_motifs(decoy_motifs: Sequence[str], sites: Sequence[Site], sites_path) -> None:
    """Every name in ``decoy_motifs`` must be a motif of the sites BED."""
    if decoy_motifs and not sites_path:
        raise ConfigError("decoy_motifs names motifs of a sites BED, but the data set has no 'sites'")
    names = list(dict.fromkeys(s.motif for s in sites))
    missing = [d for d in decoy_motifs if d not in names]
    if missing:
        raise InputError(
            sites_path,
            None,
            f"decoy_motifs {missing} not found in this BED (its motifs: {names}); "
            "fix the names in the config's decoy_motifs",
        )


def crop_offset(seq_len: int, length: int, crop: str) -> int:
    """Start of the kept window when a sequence longer than ``length`` is cropped."""
    if seq_len <= length:
        return 0
    return {"start": 0, "center": (seq_len - length) // 2, "end": seq_len - length}[crop]


def crop_sites(sites: Sequence[Site], offsets: dict[str, int], length: int) -> list[Site]:
    """Shift sites into cropped coordinates; drop (and count) those cut by the crop."""
    kept = []
    for s in sites:
        start, end = s.start - offsets[s.seq_id], s.end - offsets[s.seq_id]
        if start >= 0 and end <= length:
            kept.append(Site(s.seq_id, start, end, s.motif, s.score, s.strand, s.line))
    if len(kept) < len(sites):
        log.warning("%d of %d sites fall outside the cropped window", len(sites) - len(kept), len(sites))
    return kept


def import_fasta_dataset(
    fasta: str,
    labels_path: str,
    sites_path: str | None,
    length: int,
    crop: str,
    split_fractions: Sequence[float],
    seed: int,
    decoy_motifs: Sequence[str] = (),
) -> ImportedDataset:
    """Validate a user FASTA + labels (+ sites) and crop sequences to ``length``.

    Sequences longer than ``length`` are cropped (``crop``: ``start``,
    ``center`` or ``end`` window); shorter ones are padded later, at encoding.
    Without a ``split`` column the split is drawn, stratified by label, from
    ``seed``.
    """
    from gsattn.simulate import stratified_split

    records = read_fasta(fasta)
    labels = read_labels(labels_path)
    cross_check_ids(records, labels, fasta, labels_path)
    sites = read_bed(sites_path) if sites_path else []
    check_sites_in_range(sites, {r.id: len(r.sequence) for r in records}, sites_path)
    check_decoy_motifs(decoy_motifs, sites, sites_path)
    offsets = {r.id: crop_offset(len(r.sequence), length, crop) for r in records}
    cropped = [(r.id, r.sequence[offsets[r.id] : offsets[r.id] + length]) for r in records]
    n_cropped = sum(1 for r in records if len(r.sequence) > length)
    log.info("%d sequences, %d cropped to %d bp (%s)", len(records), n_cropped, length, crop)
    sites = crop_sites(sites, offsets, length)
    order = {seq_id: i for i, seq_id in enumerate(labels.ids)}
    labels = _reorder(labels, [order[r.id] for r in records])
    if labels.split is not None:
        split = labels.split
    else:
        rng = np.random.default_rng(seed)
        split = stratified_split(np.array(labels.labels), split_fractions, rng).tolist()
    check_classes_and_splits(labels.labels, split, labels_path)
    return ImportedDataset(cropped, labels, split, sites, known_motif_rows(sites, decoy_motifs))


def _reorder(table: LabelTable, idx: list[int]) -> LabelTable:
    pick = lambda values: None if values is None else [values[i] for i in idx]  # noqa: E731
    return LabelTable(
        pick(table.ids), pick(table.labels), pick(table.strength), pick(table.split), pick(table.lines)
    )


def known_motif_rows(sites: Sequence[Site], decoy_motifs: Sequence[str]) -> list[dict]:
    """Motif table rows for user-given sites, in order of first appearance."""
    names = list(dict.fromkeys(s.motif for s in sites))
    return [
        {
            "motif": name,
            "matrix_id": "",
            "name": name,
            "role": "decoy" if name in decoy_motifs else "known",
            "width": max(s.end - s.start for s in sites if s.motif == name),
            "release": "",
            "consensus": "",
        }
        for name in names
    ]


# --------------------------------------------------------------------------- motif table
def write_motif_table(handle, rows: Sequence[dict]) -> None:
    handle.write("\t".join(MOTIF_COLUMNS) + "\n")
    for row in rows:
        handle.write("\t".join(str(row[c]) for c in MOTIF_COLUMNS) + "\n")


def read_motif_table(path: str) -> list[dict]:
    with open(path) as handle:
        header = handle.readline().rstrip("\n").split("\t")
        return [dict(zip(header, line.rstrip("\n").split("\t"), strict=True)) for line in handle]


# --------------------------------------------------------------------------- encoding
def encode_dataset(
    fasta: str, labels_path: str, sites_path: str, motifs_path: str, length: int
) -> dict[str, np.ndarray]:
    """Build the ``encoded.npz`` arrays (see module docstring) from the five files."""
    records = read_fasta(fasta)
    labels = read_labels(labels_path)
    cross_check_ids(records, labels, fasta, labels_path)
    if labels.split is None:
        raise InputError(labels_path, 1, "no 'split' column")
    check_classes_and_splits(labels.labels, labels.split, labels_path)
    too_long = [r for r in records if len(r.sequence) > length]
    if too_long:
        raise InputError(fasta, too_long[0].line, f"sequence longer than length={length}")
    motif_rows = read_motif_table(motifs_path)
    sites = read_bed(sites_path)
    check_sites_in_range(sites, {r.id: len(r.sequence) for r in records}, sites_path)
    row_of = {seq_id: i for i, seq_id in enumerate(labels.ids)}
    idx = [row_of[r.id] for r in records]
    motif_labels = [m["motif"] for m in motif_rows]
    return {
        "tokens": np.stack([pad_tokens(encode(r.sequence), length) for r in records]),
        "lengths": np.array([len(r.sequence) for r in records], dtype=np.int32),
        "motif_index": motif_index_mask(sites, [r.id for r in records], length, motif_labels),
        "ids": np.array([r.id for r in records]),
        "labels": np.array([labels.labels[i] for i in idx], dtype=np.int8),
        "strength": np.array([labels.strength[i] for i in idx], dtype=np.float32),
        "split": np.array([labels.split[i] for i in idx]),
        "motif_labels": np.array(motif_labels, dtype=str),
        "motif_roles": np.array([m["role"] for m in motif_rows], dtype=str),
        "has_sites": np.array(bool(motif_rows)),
    }


def motif_index_mask(
    sites: Sequence[Site], ids: Sequence[str], length: int, motif_labels: Sequence[str]
) -> np.ndarray:
    """``(N, L)`` int16 index of the motif covering each position (-1: none).

    Where user sites overlap, the first site in the BED keeps the position.
    """
    row = {seq_id: i for i, seq_id in enumerate(ids)}
    col = {m: j for j, m in enumerate(motif_labels)}
    mask = np.full((len(ids), length), -1, dtype=np.int16)
    for s in sites:
        if s.motif not in col:
            raise ValueError(f"site motif {s.motif!r} is missing from the motif table")
        window = mask[row[s.seq_id], s.start : s.end]
        window[window < 0] = col[s.motif]
    return mask


def summarize(arrays: dict[str, np.ndarray]) -> list[dict]:
    """Class balance, GC, length, strength and sites per motif, by split and class."""
    rows = []
    tokens, labels, split = arrays["tokens"], arrays["labels"], arrays["split"]
    lengths, mask = arrays["lengths"], arrays["motif_index"]
    for split_name in ("all", "train", "validation", "test"):
        in_split = np.ones(labels.shape[0], bool) if split_name == "all" else split == split_name
        for cls in ("all", 0, 1):
            sel = in_split & ((labels == cls) if cls != "all" else True)
            n = int(sel.sum())
            row = {"split": split_name, "label": cls, "n_sequences": n}
            row["fraction_of_split"] = n / max(int(in_split.sum()), 1)
            gcs = [gc_fraction(t[:m]) for t, m in zip(tokens[sel], lengths[sel], strict=True)]
            row["gc_mean"] = float(np.nanmean(gcs)) if n else math.nan
            row["length_mean"] = float(lengths[sel].mean()) if n else math.nan
            strength = arrays["strength"][sel]
            row["strength_mean"] = (
                float(np.nanmean(strength)) if n and np.isfinite(strength).any() else math.nan
            )
            for j, motif in enumerate(arrays["motif_labels"]):
                row[f"seqs_with:{motif}"] = int((mask[sel] == j).any(axis=1).sum())
            rows.append(row)
    return rows


def load_encoded(path: str) -> dict[str, np.ndarray]:
    """Load ``encoded.npz`` (see module docstring) into a dict of arrays."""
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}
