"""Strict readers and deterministic writers for the workflow's data files.

Every reader checks its input first and raises :class:`InputError`, whose
message names the file and the line, before anything is written. Writers go
through :func:`atomic_outputs`, so a failed job leaves no partial file.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import math
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IUPAC_AMBIGUITY = set("RYSWKMBDHVU")
SPLITS = ("train", "validation", "test")
_VALID_SEQ = re.compile(r"[ACGTN]*")


class InputError(ValueError):
    """A user input file is malformed; the message names the file and line."""

    def __init__(self, path: str | os.PathLike, line: int | None, message: str):
        where = f"{path}, line {line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


@dataclass(frozen=True)
class FastaRecord:
    """One FASTA record: ``id`` (first word of the header), sequence, header line."""

    id: str
    sequence: str
    line: int


@dataclass(frozen=True)
class Site:
    """A motif site, BED6 semantics: 0-based half-open ``[start, end)``."""

    seq_id: str
    start: int
    end: int
    motif: str
    score: float
    strand: str
    line: int = 0


GZIP_MAGIC = b"\x1f\x8b"
_NOT_TEXT = {  # magic bytes of binary formats users hand in by mistake
    re.compile(rb"PK\x03\x04"): "a ZIP archive (an Excel .xlsx workbook?); save or extract it as plain text",
    re.compile(rb"BZh[1-9]1AY&SY"): "bzip2-compressed; decompress it (bunzip2) or recompress it with gzip",
    re.compile(rb"\xfd7zXZ\x00"): "xz-compressed; decompress it (unxz) or recompress it with gzip",
}


def _sniff(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(10)


def _open_text(path: str | os.PathLike) -> io.TextIOBase:
    """Open a text file, gzip-compressed or not (told by its magic bytes, not its name).

    UTF-8 is read with a byte-order mark (as Excel writes it) removed; bytes that are
    not UTF-8 become U+FFFD, which the readers then report as an unexpected character.
    A gzip file is decompressed whole first, so that a truncated or corrupt one (its
    CRC is checked at the end) is reported as such before any of it is parsed.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "file does not exist")
    if path.is_dir():
        raise InputError(path, None, "is a folder, not a file")
    magic = _sniff(path)
    if magic.startswith(GZIP_MAGIC):
        return io.StringIO(_gunzip(path).decode("utf-8-sig", errors="replace"), newline=None)
    for pattern, what in _NOT_TEXT.items():
        if pattern.match(magic):
            raise InputError(path, None, f"is not a text file: it is {what}")
    if path.suffix == ".gz" and magic:
        raise InputError(
            path,
            None,
            "is named .gz but is not gzip-compressed (it does not start with the gzip bytes 1f 8b); "
            "rename it without .gz if it is plain text, or compress it with gzip",
        )
    return open(path, encoding="utf-8-sig", errors="replace")


def _gunzip(path: Path) -> bytes:
    """The decompressed bytes of a gzip file; :class:`InputError` if it is truncated or corrupt."""
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except EOFError:
        raise InputError(
            path,
            None,
            "the gzip data ends early (the file is truncated, e.g. by an interrupted download or copy); "
            "copy or compress the file again",
        ) from None
    except (OSError, zlib.error) as err:
        raise InputError(
            path, None, f"the gzip data is corrupt ({err}); copy or compress the file again"
        ) from None


def _bad_letter_message(seq: str) -> str:
    pos = next(i for i, c in enumerate(seq) if c not in "ACGTN")
    char = seq[pos]
    if char in IUPAC_AMBIGUITY:
        kind = f"IUPAC ambiguity code {char!r}"
    else:
        kind = f"unexpected character {char!r}"
    return f"{kind} at column {pos + 1}; only A, C, G, T and N are accepted"


def read_fasta(path: str | os.PathLike) -> list[FastaRecord]:
    """Read a FASTA file strictly (plain or ``.gz``); letters are upper-cased.

    Raises
    ------
    InputError
        On an empty file, sequence data before the first header, an empty ID, a
        duplicate ID, a record without sequence, or a letter other than ACGTN.
    """
    records: list[FastaRecord] = []
    seen: dict[str, int] = {}
    current: tuple[str, int] | None = None
    chunks: list[str] = []

    def flush() -> None:
        if current is None:
            return
        if not chunks:
            raise InputError(path, current[1], f"record {current[0]!r} has no sequence")
        records.append(FastaRecord(current[0], "".join(chunks), current[1]))

    with _open_text(path) as lines:
        for lineno, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n").strip()
            if line.startswith(">"):
                flush()
                words = line[1:].split()
                if not words:
                    raise InputError(path, lineno, "header has no sequence ID")
                if words[0] in seen:
                    raise InputError(
                        path, lineno, f"duplicate ID {words[0]!r} (first on line {seen[words[0]]})"
                    )
                seen[words[0]] = lineno
                current, chunks = (words[0], lineno), []
            elif line:
                if current is None:
                    raise InputError(path, lineno, "sequence data before the first '>' header")
                line = line.upper()
                if not _VALID_SEQ.fullmatch(line):
                    raise InputError(path, lineno, _bad_letter_message(line))
                chunks.append(line)
    flush()
    if not records:
        raise InputError(path, None, "file is empty: no FASTA records found")
    return records


def write_fasta(handle: io.TextIOBase, records: Sequence[tuple[str, str]], width: int = 80) -> None:
    """Write ``(id, sequence)`` pairs as FASTA wrapped at ``width`` letters."""
    for seq_id, seq in records:
        handle.write(f">{seq_id}\n")
        for i in range(0, len(seq), width):
            handle.write(seq[i : i + width] + "\n")


@dataclass
class LabelTable:
    """Rows of a labels TSV (``id``, ``label`` and optional ``strength``/``split``)."""

    ids: list[str]
    labels: list[int]
    strength: list[float]
    split: list[str] | None
    lines: list[int]


def _read_tsv_rows(path: str | os.PathLike) -> tuple[list[str], list[tuple[int, list[str]]]]:
    with _open_text(path) as lines:
        rows = [(i, r) for i, r in enumerate(csv.reader(lines, delimiter="\t"), start=1)]
    rows = [(i, [c.strip() for c in r]) for i, r in rows if r and any(c.strip() for c in r)]
    if not rows:
        raise InputError(path, None, "file is empty")
    return rows[0][1], rows[1:]


def _parse_label(path, lineno: int, value: str) -> int:
    if value not in ("0", "1"):
        raise InputError(path, lineno, f"label {value!r} is not 0 or 1")
    return int(value)


def _parse_strength(path, lineno: int, value: str) -> float:
    if value in ("", "NA", "nan", "NaN"):
        return math.nan
    try:
        return float(value)
    except ValueError:
        raise InputError(path, lineno, f"strength {value!r} is not a number") from None


def read_labels(path: str | os.PathLike) -> LabelTable:
    """Read a labels TSV with a header naming ``id``, ``label`` and optionally
    ``strength`` and ``split`` (other columns are ignored).

    Raises
    ------
    InputError
        On a missing column, a short row, a label other than 0/1, a non-numeric
        strength, an unknown split, a duplicate ID, or no data rows.
    """
    header, rows = _read_tsv_rows(path)
    for needed in ("id", "label"):
        if needed not in header:
            raise InputError(path, 1, f"header lacks the column {needed!r} (found {header})")
    col = {name: i for i, name in enumerate(header)}
    if not rows:
        raise InputError(path, None, "no data rows after the header")
    table = LabelTable([], [], [], [] if "split" in col else None, [])
    seen: dict[str, int] = {}
    for lineno, row in rows:
        if len(row) < len(header):
            raise InputError(path, lineno, f"expected {len(header)} columns, found {len(row)}")
        seq_id = row[col["id"]]
        if seq_id in seen:
            raise InputError(path, lineno, f"duplicate ID {seq_id!r} (first on line {seen[seq_id]})")
        seen[seq_id] = lineno
        table.ids.append(seq_id)
        table.lines.append(lineno)
        table.labels.append(_parse_label(path, lineno, row[col["label"]]))
        strength = row[col["strength"]] if "strength" in col else ""
        table.strength.append(_parse_strength(path, lineno, strength))
        if table.split is not None:
            split = row[col["split"]]
            if split not in SPLITS:
                raise InputError(path, lineno, f"split {split!r} is not one of {SPLITS}")
            table.split.append(split)
    return table


def write_columns(handle: io.TextIOBase, columns: dict[str, Sequence]) -> None:
    """Write equal-length columns as a TSV; floats as ``%.6g`` and NaN as ``NA``."""
    names = list(columns)
    handle.write("\t".join(names) + "\n")
    for row in zip(*(columns[n] for n in names), strict=True):
        handle.write("\t".join(format_cell(v) for v in row) + "\n")


def write_table(handle: io.TextIOBase, rows: Sequence[dict]) -> None:
    """Write dict rows (same keys, in order) as a TSV.

    Raises
    ------
    ValueError
        Without rows (the first row's keys are the header): an empty table is
        written by :func:`write_columns` with its column names.
    """
    if not rows:
        raise ValueError("write_table needs at least one row; write an empty table with write_columns")
    write_columns(handle, {c: [row[c] for row in rows] for c in rows[0]})


def write_tables(tables: dict[str, Sequence[dict]]) -> None:
    """Write several ``path → rows`` tables at once, atomically (all or none)."""
    paths = list(tables)
    with atomic_outputs(*paths) as temps:
        for tmp, path in zip(temps, paths, strict=True):
            with open(tmp, "w") as handle:
                write_table(handle, tables[path])


def format_cell(value) -> str:
    """TSV cell text: floats as ``%.6g``, NaN as ``NA``, anything else ``str``."""
    if isinstance(value, float | np.floating):
        return "NA" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def read_bed(path: str | os.PathLike) -> list[Site]:
    """Read a BED6 file of motif sites (``track``/``browser``/``#`` lines skipped).

    Raises
    ------
    InputError
        On fewer than 6 columns, non-integer or negative coordinates, ``end <=
        start``, a non-numeric score, a strand other than ``+``, ``-`` or ``.``,
        or a site listed twice (same sequence, interval, motif and strand).
    """
    sites: list[Site] = []
    seen: dict[tuple, int] = {}
    with _open_text(path) as lines:
        for lineno, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            site = _parse_bed_line(path, lineno, line.split("\t"))
            key = (site.seq_id, site.start, site.end, site.motif, site.strand)
            if key in seen:
                raise InputError(
                    path,
                    lineno,
                    f"duplicate site: {site.motif!r} at [{site.start}, {site.end}) {site.strand} on "
                    f"{site.seq_id!r} is already on line {seen[key]}; delete one of the two lines",
                )
            seen[key] = lineno
            sites.append(site)
    return sites


def _parse_bed_line(path, lineno: int, fields: list[str]) -> Site:
    if len(fields) < 6:
        raise InputError(path, lineno, f"expected 6 tab-separated columns, found {len(fields)}")
    seq_id, start, end, motif, score, strand = (f.strip() for f in fields[:6])
    try:
        start_i, end_i = int(start), int(end)
    except ValueError:
        raise InputError(path, lineno, f"start/end {start!r}/{end!r} are not integers") from None
    if start_i < 0 or end_i <= start_i:
        raise InputError(path, lineno, f"bad interval [{start_i}, {end_i}): need 0 <= start < end")
    if strand not in ("+", "-", "."):
        raise InputError(path, lineno, f"strand {strand!r} is not '+', '-' or '.'")
    try:
        score_f = math.nan if score == "." else float(score)
    except ValueError:
        raise InputError(path, lineno, f"score {score!r} is not a number") from None
    return Site(seq_id, start_i, end_i, motif, score_f, strand, lineno)


def write_bed(handle: io.TextIOBase, sites: Sequence[Site]) -> None:
    """Write sites as BED6 (``id start end motif score strand``); score ``%.3f``."""
    for s in sites:
        score = "." if math.isnan(s.score) else f"{s.score:.3f}"
        handle.write(f"{s.seq_id}\t{s.start}\t{s.end}\t{s.motif}\t{score}\t{s.strand}\n")


def check_sites_in_range(sites: Sequence[Site], lengths: dict[str, int], path: str | os.PathLike) -> None:
    """Raise :class:`InputError` for a site on an unknown sequence or past its end."""
    for s in sites:
        if s.seq_id not in lengths:
            raise InputError(path, s.line, f"sequence {s.seq_id!r} is not in the FASTA")
        if s.end > lengths[s.seq_id]:
            raise InputError(
                path,
                s.line,
                f"site [{s.start}, {s.end}) is out of range for {s.seq_id!r} of length {lengths[s.seq_id]}",
            )


@contextlib.contextmanager
def atomic_outputs(*paths: str | os.PathLike) -> Iterator[list[Path]]:
    """Yield temporary paths next to ``paths``; rename them into place only if the
    block succeeds, delete them otherwise (so no partial output is left)."""
    finals = [Path(p) for p in paths]
    temps = [p.with_name(f".{p.name}.tmp{os.getpid()}") for p in finals]
    for p in finals:
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield temps
        for tmp, final in zip(temps, finals, strict=True):
            os.replace(tmp, final)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def save_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Save arrays as a compressed ``.npz`` that is byte-identical for equal input.

    ``numpy.savez_compressed`` stamps the current time into the archive; this
    writer fixes the timestamp and member order instead. Load with
    ``numpy.load(path, allow_pickle=False)``.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            array = np.asarray(arrays[name])
            if array.dtype == object:
                raise TypeError(f"array {name!r} has dtype object; use fixed-width strings")
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            zf.writestr(info, buffer.getvalue())


def read_table(path: str | os.PathLike) -> list[dict]:
    """Read a TSV written by :func:`write_table` (numbers parsed, ``NA`` → NaN)."""
    with _open_text(path) as lines:
        return [{k: _parse_cell(v) for k, v in row.items()} for row in csv.DictReader(lines, delimiter="\t")]


def _parse_cell(text: str):
    if text == "NA":
        return math.nan
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
