"""Phase 4: the published benchmark sets turned into the bring-your-own layout.

:func:`prepare` reads the pinned files of one recipe (:mod:`gsattn.real_recipes`)
and returns the sequences, their labels and splits, a long summary table and the
list of duplicates, in this order of steps:

1. **Letters.** Upper-cased; IUPAC ambiguity codes (``RYSWKMBDHV``) become ``N``
   (``gsattn.seq`` encodes ``N`` as its own token, an all-zero one-hot column) and
   are counted; any other letter stops with the file and line.
2. **Length.** A sequence whose length is not the set's (200, 300 or 70 bp) is
   dropped and counted: cropping or padding would change what the published set is.
3. **N.** A sequence whose share of ``N`` exceeds ``max_n_fraction`` is dropped and
   counted; the rest keep their ``N`` tokens. The default 0 drops every sequence
   with an ``N``: in EPD promoters only the BDGP intron negatives have any, so a
   kept ``N`` would tell the class.
4. **Duplicates within a set** (exact sequence; with ``reverse_complements:
   duplicate`` a sequence and its reverse complement count as one): the first
   occurrence, in file order, is kept and the others removed; a sequence found in
   both classes is dropped altogether. For a set with a published split this is
   done within each published split.
5. **Train/test duplicates.** Test sequences with a copy in the training data are
   listed; ``test: published`` keeps them (the published protocol), ``test:
   deduplicated`` drops them from the test split. In drawn splits de-duplication
   comes first, so none can occur (they are still counted, as a check).
6. **Size.** ``max_per_class`` (sets without a published split only; ``null`` keeps
   all) keeps at most that many sequences of each class, drawn without replacement
   from ``numpy.random.default_rng([seed, 1])`` and left in file order: a budget
   choice of the default run, made before any model is trained.
7. **Split.** Published test as ``test``; ``validation`` drawn from the published
   training set, stratified by class, from ``seed``. Without a published split the
   whole set is split ``train``/``validation``/``test`` by class from ``seed``.

Reverse complements are distinct sequences by default: promoter labels depend on
the strand, and no sequence of the three sets has its reverse complement in the
same set (``reverse_complement_pairs`` in the summary counts them either way).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from gsattn.io import InputError, _open_text, atomic_outputs, write_columns, write_fasta
from gsattn.real_recipes import RECIPES, Recipe, SourceFile
from gsattn.seq import reverse_complement
from gsattn.simulate import stratified_split

log = logging.getLogger(__name__)

AMBIGUITY = "RYSWKMBDHV"
_TO_N = str.maketrans(AMBIGUITY, "N" * len(AMBIGUITY))
_ACGTN = re.compile(r"[ACGTN]*")
_FINAL_SPLITS = ("train", "validation", "test")
SUMMARY_COLUMNS = ("quantity", "split", "label", "value")
DUPLICATE_COLUMNS = (
    "kind",
    "id",
    "origin",
    "label",
    "match_id",
    "match_origin",
    "match_label",
    "action",
)


@dataclass(frozen=True)
class RawRecord:
    """One sequence of a source file.

    Attributes
    ----------
    id
        ``<tag>_<record number in its file>`` (unique within a set; the source
        files' own headers repeat, e.g. BDGP gene names).
    sequence
        Upper-case ``ACGTN``.
    label
        Class (0/1).
    split
        Published split (``train``/``test``) or ``None``.
    path, line
        The file read and the line of the record (header or TSV row).
    origin
        ``<registry file name>:<line>:<first word of the header>`` (written to labels.tsv).
    ambiguous
        Whether IUPAC ambiguity codes were turned into ``N``.
    """

    id: str
    sequence: str
    label: int
    split: str | None
    path: str
    line: int
    origin: str
    ambiguous: bool = False


# --------------------------------------------------------------------------- readers
def _clean_letters(path, lineno: int, text: str) -> tuple[str, bool]:
    """Upper-case ``text``, ambiguity codes to ``N``; :class:`InputError` on any other letter."""
    upper = text.upper()
    cleaned = upper.translate(_TO_N)
    if not _ACGTN.fullmatch(cleaned):
        pos = next(i for i, c in enumerate(cleaned) if c not in "ACGTN")
        raise InputError(
            path,
            lineno,
            f"unexpected character {text[pos]!r} at column {pos + 1}; a sequence holds A, C, G, T, N "
            "or IUPAC ambiguity codes (which become N); replace the file with the pinned one",
        )
    return cleaned, cleaned != upper


def read_source_fasta(path: str | os.PathLike, file: SourceFile) -> list[RawRecord]:
    """Read a published FASTA leniently: headers may repeat, ambiguity codes become ``N``.

    Raises
    ------
    InputError
        On an empty file, sequence before the first header, a record without
        sequence, or a letter that is neither ``ACGTN`` nor an ambiguity code.
    """
    records: list[RawRecord] = []
    header: tuple[int, str] | None = None
    chunks: list[str] = []
    ambiguous = False

    def flush() -> None:
        if header is None:
            return
        if not chunks:
            raise InputError(path, header[0], f"record {header[1]!r} has no sequence")
        number = len(records) + 1
        origin = f"{file.name}:{header[0]}:{header[1]}"
        rec = RawRecord(
            f"{file.tag}_{number}", "".join(chunks), file.label, file.split, str(path), header[0], origin
        )
        records.append(replace(rec, ambiguous=ambiguous))

    with _open_text(path) as lines:
        for lineno, raw in enumerate(lines, start=1):
            line = raw.strip()
            if line.startswith(">"):
                flush()
                words = line[1:].split()
                header, chunks, ambiguous = (lineno, words[0] if words else ""), [], False
            elif line:
                if header is None:
                    raise InputError(path, lineno, "sequence data before the first '>' header")
                letters, changed = _clean_letters(path, lineno, line)
                chunks.append(letters)
                ambiguous |= changed
    flush()
    if not records:
        raise InputError(path, None, "file is empty: no FASTA records found")
    return records


def kmers_to_sequence(kmers: Sequence[str], path, lineno: int) -> str:
    """Rebuild a sequence from its overlapping k-mers (each shifted by one base).

    ``["ACGTAC", "CGTACG"]`` gives ``"ACGTACG"``: the first k-mer, then the last
    base of each following one.

    Raises
    ------
    InputError
        Naming ``path`` and ``lineno``: no k-mer, k-mers of unequal length, or a
        k-mer that does not overlap the one before it by k - 1 bases.
    """
    if not kmers or not kmers[0]:
        raise InputError(path, lineno, "no k-mers in the sequence column")
    k = len(kmers[0])
    for i, kmer in enumerate(kmers):
        if len(kmer) != k:
            raise InputError(
                path, lineno, f"k-mer {i + 1} ({kmer!r}) has {len(kmer)} letters, the first has {k}"
            )
        if i and kmer[:-1] != kmers[i - 1][1:]:
            raise InputError(
                path,
                lineno,
                f"k-mer {i + 1} ({kmer!r}) does not overlap k-mer {i} ({kmers[i - 1]!r}) by {k - 1} "
                "bases; the row is not a sequence written as overlapping k-mers",
            )
    return kmers[0] + "".join(kmer[-1] for kmer in kmers[1:])


def read_kmer_tsv(path: str | os.PathLike, file: SourceFile) -> list[RawRecord]:
    """Read a DNABERT fine-tuning TSV: header ``sequence label``, rows ``<k-mers><TAB><label>``.

    The k-mers are space-separated; Windows line ends are accepted.

    Raises
    ------
    InputError
        Naming the file and line: another header, a row without two columns, a
        label other than 0/1, k-mers that do not chain (:func:`kmers_to_sequence`)
        or a letter that is neither ``ACGTN`` nor an ambiguity code.
    """
    records: list[RawRecord] = []
    with _open_text(path) as lines:
        rows = [(i, raw.rstrip("\r\n")) for i, raw in enumerate(lines, start=1)]
    rows = [(i, r) for i, r in rows if r.strip()]
    if not rows or rows[0][1].split() != ["sequence", "label"]:  # DNABERT's header: two spaces, not a tab
        raise InputError(path, 1, "expected the header 'sequence label'")
    for lineno, row in rows[1:]:
        fields = row.split("\t")
        if len(fields) != 2:
            raise InputError(path, lineno, f"expected 2 tab-separated columns, found {len(fields)}")
        if fields[1].strip() not in ("0", "1"):
            raise InputError(path, lineno, f"label {fields[1]!r} is not 0 or 1")
        sequence = kmers_to_sequence(fields[0].split(), path, lineno)
        sequence, ambiguous = _clean_letters(path, lineno, sequence)
        number = len(records) + 1
        records.append(
            RawRecord(
                f"{file.tag}_{number}",
                sequence,
                int(fields[1]),
                file.split,
                str(path),
                lineno,
                f"{file.name}:{lineno}:row{number}",
                ambiguous,
            )
        )
    if not records:
        raise InputError(path, None, "no data rows after the header")
    return records


def load_records(recipe: Recipe, paths: dict[str, str]) -> list[RawRecord]:
    """Every record of ``recipe``'s files (``paths``: registry file name → path), file by file."""
    missing = [f.name for f in recipe.files if f.name not in paths]
    if missing:
        raise ValueError(f"no path given for {missing} of source {recipe.source!r}")
    records = []
    for file in recipe.files:
        reader = read_kmer_tsv if file.kind == "kmer_tsv" else read_source_fasta
        got = reader(paths[file.name], file)
        log.info("%s: %d records", paths[file.name], len(got))
        records += got
    return records


# --------------------------------------------------------------------------- filters
def filter_length(records: Sequence[RawRecord], length: int) -> tuple[list[RawRecord], list[RawRecord]]:
    """``(kept, dropped)``: records of exactly ``length`` bp, and the others."""
    kept = [r for r in records if len(r.sequence) == length]
    dropped = [r for r in records if len(r.sequence) != length]
    for r in dropped[:5]:
        log.warning("%s, line %d: %d bp, not %d: dropped", r.path, r.line, len(r.sequence), length)
    return kept, dropped


def n_fraction(sequence: str) -> float:
    """Share of ``N`` in ``sequence`` (0 for an empty one)."""
    return sequence.count("N") / len(sequence) if sequence else 0.0


def filter_n(records: Sequence[RawRecord], max_fraction: float) -> tuple[list[RawRecord], list[RawRecord]]:
    """``(kept, dropped)``: records whose share of ``N`` is at most ``max_fraction``, and the others."""
    kept = [r for r in records if n_fraction(r.sequence) <= max_fraction]
    dropped = [r for r in records if n_fraction(r.sequence) > max_fraction]
    return kept, dropped


# --------------------------------------------------------------------------- duplicates
def sequence_key(sequence: str, reverse_complements: bool) -> str:
    """The key duplicates share: the sequence, or the lesser of it and its reverse complement."""
    return min(sequence, reverse_complement(sequence)) if reverse_complements else sequence


def _row(kind: str, rec: RawRecord, match: RawRecord | None, action: str) -> dict:
    return {
        "kind": kind,
        "id": rec.id,
        "origin": rec.origin,
        "label": rec.label,
        "match_id": match.id if match else "",
        "match_origin": match.origin if match else "",
        "match_label": match.label if match else "",
        "action": action,
    }


@dataclass
class Dedup:
    """What :func:`deduplicate` keeps and leaves out.

    Attributes
    ----------
    kept
        The first record of every group whose records share one label, in order.
    removed
        Later copies of a kept record.
    conflicting
        Every record of a group found in both classes (all dropped).
    rows
        One row (columns ``DUPLICATE_COLUMNS``) per record left out: kind ``within``
        (action ``removed``, matched to the kept record) or ``conflicting_labels``
        (action ``dropped``, matched to the group's first record).
    """

    kept: list[RawRecord]
    removed: list[RawRecord]
    conflicting: list[RawRecord]
    rows: list[dict]


def deduplicate(records: Sequence[RawRecord], reverse_complements: bool = False) -> Dedup:
    """Keep the first of each group of equal sequences; drop groups found in both classes.

    ``records`` are in file order; with ``reverse_complements`` a sequence and its
    reverse complement are the same sequence.
    """
    groups: dict[str, list[RawRecord]] = {}
    for rec in records:
        groups.setdefault(sequence_key(rec.sequence, reverse_complements), []).append(rec)
    out = Dedup([], [], [], [])
    for group in groups.values():
        first = group[0]
        if len({r.label for r in group}) > 1:  # found in both classes: drop every copy
            out.conflicting += group
            rows = [
                _row("conflicting_labels", r, first if i else None, "dropped") for i, r in enumerate(group)
            ]
            out.rows += rows
            continue
        out.kept.append(first)
        out.removed += group[1:]
        out.rows += [_row("within", r, first, "removed") for r in group[1:]]
    return out


def find_copies(
    queries: Sequence[RawRecord], reference: Sequence[RawRecord], reverse_complements: bool = False
) -> list[tuple[RawRecord, RawRecord]]:
    """``(query, its first copy in reference)`` for every query with a copy in ``reference``."""
    index: dict[str, RawRecord] = {}
    for rec in reference:
        index.setdefault(sequence_key(rec.sequence, reverse_complements), rec)
    pairs = []
    for rec in queries:
        match = index.get(sequence_key(rec.sequence, reverse_complements))
        if match is not None:
            pairs.append((rec, match))
    return pairs


def reverse_complement_members(records: Sequence[RawRecord]) -> list[RawRecord]:
    """Records whose reverse complement is another record's sequence (palindromes excepted)."""
    present = {r.sequence for r in records}
    return [r for r in records if (rc := reverse_complement(r.sequence)) != r.sequence and rc in present]


# --------------------------------------------------------------------------- preparation
@dataclass
class Prepared:
    """A prepared set: ``records`` with their final ``split``, the summary and duplicate rows."""

    records: list[RawRecord]
    split: list[str]
    summary: list[dict]
    duplicates: list[dict]


def _count_rows(quantity: str, records: Sequence[RawRecord], groups: Sequence[str]) -> list[dict]:
    """Rows ``quantity`` × group × label (0, 1, all): how many ``records`` fall in each.

    A group is a published split (``published_train``/``published_test``) or ``all``.
    """
    rows = []
    for group in groups:
        in_group = [r for r in records if group == "all" or f"published_{r.split}" == group]
        for label in (0, 1, "all"):
            n = sum(1 for r in in_group if label == "all" or r.label == label)
            rows.append({"quantity": quantity, "split": group, "label": label, "value": n})
    return rows


def gc_content(sequence: str) -> float:
    """GC share of the A/C/G/T letters of ``sequence`` (NaN if none)."""
    acgt = len(sequence) - sequence.count("N")
    return (sequence.count("G") + sequence.count("C")) / acgt if acgt else math.nan


def split_rows(records: Sequence[RawRecord], split: Sequence[str]) -> list[dict]:
    """``n_sequences``, ``gc_mean``, ``gc_sd`` (ddof 1) and ``with_n`` per final split × class."""
    rows = []
    gc = np.array([gc_content(r.sequence) for r in records])
    labels = np.array([r.label for r in records])
    with_n = np.array(["N" in r.sequence for r in records], dtype=bool)
    split = np.asarray(split)
    for name in (*_FINAL_SPLITS, "all"):
        for label in (0, 1, "all"):
            sel = np.ones(len(records), bool) if name == "all" else split == name
            if label != "all":
                sel &= labels == label
            n = int(sel.sum())
            values = {
                "n_sequences": n,
                "gc_mean": float(np.nanmean(gc[sel])) if n else math.nan,
                "gc_sd": float(np.nanstd(gc[sel], ddof=1)) if n > 1 else math.nan,
                "with_n": int(with_n[sel].sum()),
            }
            rows += [{"quantity": q, "split": name, "label": label, "value": v} for q, v in values.items()]
    return rows


def subsample_per_class(
    records: Sequence[RawRecord], max_per_class: int | None, seed: int
) -> tuple[list[RawRecord], list[RawRecord]]:
    """At most ``max_per_class`` records of each class (step 6), kept in file order.

    Parameters
    ----------
    records
        The de-duplicated records.
    max_per_class
        Largest count kept per label; ``None`` keeps every record.
    seed
        The set's seed; the draw uses ``numpy.random.default_rng([seed, 1])``, a stream
        of its own, so the split drawn afterwards from ``seed`` is unaffected by it.

    Returns
    -------
    kept, left_out
        Both in file order.
    """
    if max_per_class is None:
        return list(records), []
    rng = np.random.default_rng([seed, 1])
    labels = np.array([r.label for r in records])
    keep = np.zeros(len(records), bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n = min(max_per_class, len(members))
        keep[rng.choice(members, size=n, replace=False)] = True
    return [r for r, k in zip(records, keep, strict=True) if k], [
        r for r, k in zip(records, keep, strict=True) if not k
    ]


def draw_splits(recipe: Recipe, spec: dict, records: Sequence[RawRecord]) -> list[str]:
    """Final split of each record (see the module docstring, step 7)."""
    rng = np.random.default_rng(spec["seed"])
    if not recipe.published_test:
        s = spec["split"]
        labels = np.array([r.label for r in records])
        return stratified_split(labels, (s["train"], s["validation"], s["test"]), rng).tolist()
    split = ["test" if r.split == "test" else "" for r in records]
    train = [i for i, r in enumerate(records) if r.split == "train"]
    v = spec["validation_fraction"]
    drawn = stratified_split(np.array([records[i].label for i in train]), (1.0 - v, v, 0.0), rng)
    for i, name in zip(train, drawn, strict=True):
        split[i] = str(name)
    return split


def _dedup_by_split(recipe: Recipe, records: list[RawRecord], rc: bool) -> Dedup:
    """De-duplicate the whole set, or within each published split (train, then test)."""
    if not recipe.published_test:
        return deduplicate(records, rc)
    parts = [deduplicate([r for r in records if r.split == name], rc) for name in ("train", "test")]
    fields = ("kept", "removed", "conflicting", "rows")
    return Dedup(*(sum((getattr(p, f) for p in parts), []) for f in fields))


def _test_copies(
    records: Sequence[RawRecord], split: Sequence[str], rc: bool
) -> tuple[list[tuple[RawRecord, RawRecord]], list[tuple[RawRecord, RawRecord]]]:
    """Test records with a copy in train or validation, and those with only a reverse-complement copy."""
    test = [r for r, s in zip(records, split, strict=True) if s == "test"]
    rest = [r for r, s in zip(records, split, strict=True) if s != "test"]
    exact = find_copies(test, rest, rc)
    found = {q.id for q, _ in exact}
    rc_only = [(q, m) for q, m in find_copies(test, rest, True) if q.id not in found]
    return exact, rc_only


def _drop_test_copies(
    records: list[RawRecord], split: list[str], copies: Sequence[tuple[RawRecord, RawRecord]]
) -> tuple[list[RawRecord], list[str]]:
    drop = {q.id for q, _ in copies}
    keep = [i for i, r in enumerate(records) if r.id not in drop]
    return [records[i] for i in keep], [split[i] for i in keep]


def prepare(recipe_name: str, spec: dict, paths: dict[str, str]) -> Prepared:
    """Prepare one published set (steps 1–7 of the module docstring).

    Parameters
    ----------
    recipe_name
        A key of :data:`gsattn.real_recipes.RECIPES`.
    spec
        The ``real_data.sets.<name>`` entry, defaults filled in: ``test``,
        ``validation_fraction``, ``split``, ``seed``, ``max_n_fraction``,
        ``reverse_complements``, ``max_per_class`` (optional).
    paths
        Registry file name → path of every file of the recipe.
    """
    recipe = RECIPES[recipe_name]
    rc = spec["reverse_complements"] == "duplicate"
    groups = ("published_train", "published_test", "all") if recipe.published_test else ("all",)
    records = load_records(recipe, paths)
    summary = _count_rows("records_read", records, groups)
    summary += _count_rows("ambiguity_codes_to_n", [r for r in records if r.ambiguous], groups)
    records, dropped = filter_length(records, recipe.length)
    summary += _count_rows("wrong_length_dropped", dropped, groups)
    records, dropped = filter_n(records, spec["max_n_fraction"])
    summary += _count_rows("too_many_n_dropped", dropped, groups)
    dedup = _dedup_by_split(recipe, records, rc)
    summary += _count_rows("duplicates_removed", dedup.removed, groups)
    summary += _count_rows("conflicting_labels_dropped", dedup.conflicting, groups)
    records = dedup.kept
    if spec.get("max_per_class") is not None and recipe.published_test:
        raise ValueError("max_per_class applies to sets without a published test split")
    records, left_out = subsample_per_class(records, spec.get("max_per_class"), spec["seed"])
    summary += _count_rows("subsampled_out", left_out, groups)
    split = draw_splits(recipe, spec, records)
    exact, rc_only = _test_copies(records, split, rc)
    summary += _count_rows("test_duplicates_of_train", [q for q, _ in exact], groups)
    summary += _count_rows("test_reverse_complements_of_train", [q for q, _ in rc_only], groups)
    removing = spec["test"] == "deduplicated"
    cross = [_row("test_in_train", q, m, "removed" if removing else "kept") for q, m in exact]
    cross += [_row("test_reverse_complement_in_train", q, m, "kept") for q, m in rc_only]
    if removing:
        records, split = _drop_test_copies(records, split, exact)
    summary += _count_rows("test_duplicates_removed", [q for q, _ in exact] if removing else [], groups)
    summary += _count_rows("reverse_complement_pairs", reverse_complement_members(records), groups)
    summary += split_rows(records, split)
    for q, m in exact[:3]:
        log.warning("test sequence %s (%s) is also in train as %s (%s)", q.id, q.origin, m.id, m.origin)
    log.info("%d test sequences with a copy in train (%s)", len(exact), "removed" if removing else "kept")
    return Prepared(records, split, summary, dedup.rows + cross)


def write_prepared(prepared: Prepared, fasta: str, labels: str, summary: str, duplicates: str) -> None:
    """Write the four files of a prepared set at once (all or none).

    ``fasta``: the sequences, IDs ``<tag>_<n>``; ``labels``: ``id``, ``label``,
    ``split``, ``origin`` (the file, line and header word it comes from; the
    bring-your-own reader ignores extra columns); ``summary``: columns
    ``SUMMARY_COLUMNS``; ``duplicates``: columns ``DUPLICATE_COLUMNS``.
    """
    recs = prepared.records
    with atomic_outputs(fasta, labels, summary, duplicates) as (fa, lab, summ, dup):
        with open(fa, "w") as handle:
            write_fasta(handle, [(r.id, r.sequence) for r in recs])
        with open(lab, "w") as handle:
            columns = {"id": [r.id for r in recs], "label": [r.label for r in recs]}
            columns |= {"split": prepared.split, "origin": [r.origin for r in recs]}
            write_columns(handle, columns)
        with open(summ, "w") as handle:
            write_columns(handle, {c: [row[c] for row in prepared.summary] for c in SUMMARY_COLUMNS})
        with open(dup, "w") as handle:
            write_columns(handle, {c: [row[c] for row in prepared.duplicates] for c in DUPLICATE_COLUMNS})
