import bz2
import gzip
import lzma

import numpy as np
import pytest

from gsattn.io import (
    InputError,
    Site,
    atomic_outputs,
    check_sites_in_range,
    read_bed,
    read_fasta,
    read_labels,
    save_npz,
    write_columns,
    write_table,
)


def test_read_fasta_multiline_lowercase_and_gzip(tmp_path, write):
    text = ">a desc\nacgt\nNNAC\n\n>b\nGGGG\n"
    plain = write("x.fa", text)
    gz = tmp_path / "x.fa.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write(text)
    for path in (plain, gz):
        records = read_fasta(path)
        assert [(r.id, r.sequence, r.line) for r in records] == [("a", "ACGTNNAC", 1), ("b", "GGGG", 5)]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "empty"),
        ("ACGT\n>a\nACGT\n", 1, "before the first '>'"),
        (">a\nACGT\n>a\nAC\n", 3, "duplicate ID 'a' \\(first on line 1\\)"),
        (">a\nACGT\n>b\nACRT\n", 4, "IUPAC ambiguity code 'R' at column 3"),
        (">a\nAC-T\n", 2, "unexpected character '-' at column 3"),
        (">a\n>b\nACGT\n", 1, "record 'a' has no sequence"),
        (">\nACGT\n", 1, "no sequence ID"),
    ],
)
def test_read_fasta_errors_name_file_and_line(write, text, line, message):
    path = write("bad.fa", text)
    with pytest.raises(InputError, match=message) as err:
        read_fasta(path)
    assert str(path) in str(err.value)
    assert err.value.line == line
    if line:
        assert f"line {line}:" in str(err.value)


def test_read_labels_ok(write):
    table = read_labels(write("l.tsv", "id\tlabel\tstrength\tsplit\na\t1\t2.5\ttrain\nb\t0\tNA\ttest\n"))
    assert table.ids == ["a", "b"]
    assert table.labels == [1, 0]
    assert table.strength[0] == 2.5 and np.isnan(table.strength[1])
    assert table.split == ["train", "test"]
    assert table.lines == [2, 3]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "empty"),
        ("id\tclass\na\t1\n", 1, "lacks the column 'label'"),
        ("id\tlabel\n", None, "no data rows"),
        ("id\tlabel\na\t2\n", 2, "label '2' is not 0 or 1"),
        ("id\tlabel\tstrength\na\t1\thigh\n", 2, "strength 'high' is not a number"),
        ("id\tlabel\tsplit\na\t1\tdev\n", 2, "split 'dev'"),
        ("id\tlabel\na\t1\na\t0\n", 3, "duplicate ID 'a'"),
        ("id\tlabel\tstrength\na\t1\n", 2, "expected 3 columns"),
    ],
)
def test_read_labels_errors(write, text, line, message):
    path = write("bad.tsv", text)
    with pytest.raises(InputError, match=message) as err:
        read_labels(path)
    assert str(path) in str(err.value) and err.value.line == line


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a\t0\t5\tm\t1\n", 1, "expected 6"),
        ("track x\na\tx\t5\tm\t1\t+\n", 2, "not integers"),
        ("a\t5\t5\tm\t1\t+\n", 1, "bad interval"),
        ("a\t-1\t5\tm\t1\t+\n", 1, "bad interval"),
        ("a\t0\t5\tm\t1\t*\n", 1, "strand"),
        ("a\t0\t5\tm\tx\t+\n", 1, "score"),
    ],
)
def test_read_bed_errors(write, text, line, message):
    path = write("bad.bed", text)
    with pytest.raises(InputError, match=message) as err:
        read_bed(path)
    assert err.value.line == line


def test_sites_out_of_range_or_unknown(write):
    path = write("s.bed", "a\t0\t5\tm\t1\t+\na\t8\t11\tm\t.\t-\n")
    sites = read_bed(path)
    assert sites[1] == Site("a", 8, 11, "m", sites[1].score, "-", 2) and np.isnan(sites[1].score)
    with pytest.raises(InputError, match="line 2: site \\[8, 11\\) is out of range"):
        check_sites_in_range(sites, {"a": 10}, path)
    with pytest.raises(InputError, match="line 1: sequence 'a' is not in the FASTA"):
        check_sites_in_range(sites, {"b": 10}, path)


def test_atomic_outputs_leave_nothing_on_failure(tmp_path):
    final = tmp_path / "out" / "x.txt"
    with pytest.raises(RuntimeError):
        with atomic_outputs(final) as (tmp,):
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert not final.exists()
    assert list(final.parent.iterdir()) == []
    with atomic_outputs(final) as (tmp,):
        tmp.write_text("done")
    assert final.read_text() == "done"


def test_save_npz_is_byte_identical_and_loads(tmp_path):
    arrays = {"b": np.arange(5, dtype=np.int16), "a": np.array(["x", "yz"])}
    save_npz(tmp_path / "1.npz", arrays)
    save_npz(tmp_path / "2.npz", arrays)
    assert (tmp_path / "1.npz").read_bytes() == (tmp_path / "2.npz").read_bytes()
    with np.load(tmp_path / "1.npz", allow_pickle=False) as loaded:
        assert loaded["a"].tolist() == ["x", "yz"]
        np.testing.assert_array_equal(loaded["b"], arrays["b"])


FASTA = ">a\nACGT\n>b\nGGCC\n"
LABELS = "id\tlabel\na\t1\nb\t0\n"
BED = "a\t0\t2\tm\t1\t+\nb\t1\t3\tm\t1\t-\n"
READERS = [(read_fasta, FASTA), (read_labels, LABELS), (read_bed, BED)]


def _gzip_bytes(text: str) -> bytes:
    return gzip.compress(text.encode(), mtime=0)


@pytest.mark.parametrize(("reader", "text"), READERS)
def test_gzip_is_told_by_its_magic_bytes_not_its_name(tmp_path, reader, text):
    named, unnamed = tmp_path / "x.gz", tmp_path / "x.txt"
    named.write_bytes(_gzip_bytes(text))
    unnamed.write_bytes(_gzip_bytes(text))
    plain = tmp_path / "plain.txt"
    plain.write_text(text)
    assert reader(unnamed) == reader(named) == reader(plain)


_RNG = np.random.default_rng(0)
_SEQS = ["".join(_RNG.choice(list("ACGT"), 40)) for _ in range(4000)]
BIG = [  # large enough that damaged data decompresses to plausible lines before the damage
    (read_fasta, "".join(f">s{i}\n{seq}\n" for i, seq in enumerate(_SEQS))),
    (read_labels, "id\tlabel\n" + "".join(f"s{i}\t{i % 2}\n" for i in range(len(_SEQS)))),
    (read_bed, "".join(f"s{i}\t{i % 30}\t{i % 30 + 5}\tm\t1\t+\n" for i in range(len(_SEQS)))),
]


def _truncated(text: str) -> bytes:
    data = _gzip_bytes(text)
    return data[: len(data) // 2]


def _corrupt(text: str) -> bytes:
    data = bytearray(_gzip_bytes(text))
    data[len(data) // 2 : len(data) // 2 + 8] = b"\xff" * 8
    return bytes(data)


@pytest.mark.parametrize(("reader", "text"), BIG)
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_truncated, r"in.txt.gz: the gzip data ends early \(the file is truncated"),
        (_corrupt, r"in.txt.gz: the gzip data is corrupt"),
        (lambda text: text.encode(), "is named .gz but is not gzip-compressed"),
        (lambda text: b"PK\x03\x04" + text.encode(), "is not a text file: it is a ZIP archive"),
        (lambda text: bz2.compress(text.encode()), "is not a text file: it is bzip2-compressed"),
        (lambda text: lzma.compress(text.encode()), "is not a text file: it is xz-compressed"),
    ],
)
def test_damaged_or_mislabelled_files_name_the_file_and_the_cause(tmp_path, reader, text, damage, message):
    path = tmp_path / "in.txt.gz"
    path.write_bytes(damage(text))
    with pytest.raises(InputError, match=message) as err:
        reader(path)
    assert str(err.value).startswith(str(path))


@pytest.mark.parametrize(("reader", "text"), READERS)
@pytest.mark.parametrize("compress", [False, True])
def test_a_utf8_byte_order_mark_and_windows_line_ends_are_read_as_plain_text(
    tmp_path, reader, text, compress
):
    plain, excel = tmp_path / "plain.txt", tmp_path / "excel.txt"
    plain.write_text(text)
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    excel.write_bytes(_gzip_bytes(data.decode()) if compress else data)
    assert reader(excel) == reader(plain)


def test_duplicated_bed_row_names_both_lines(write):
    path = write("dup.bed", "a\t0\t5\tm\t1\t+\na\t2\t7\tm\t1\t+\na\t0\t5\tm\t1\t+\n")
    with pytest.raises(
        InputError, match=r"line 3: duplicate site: 'm' at \[0, 5\) \+ on 'a' is already on line 1"
    ):
        read_bed(path)
    assert len(read_bed(write("ok.bed", "a\t0\t5\tm\t1\t+\na\t0\t5\tm\t1\t-\na\t0\t5\tn\t1\t+\n"))) == 3


def test_write_table_needs_a_row_and_write_columns_writes_an_empty_table():
    import io

    out = io.StringIO()
    write_table(out, [{"a": 1, "b": 0.5}, {"a": 2, "b": float("nan")}])
    assert out.getvalue() == "a\tb\n1\t0.5\n2\tNA\n"
    with pytest.raises(ValueError, match="at least one row; write an empty table with write_columns"):
        write_table(io.StringIO(), [])
    empty = io.StringIO()
    write_columns(empty, {"a": [], "b": []})
    assert empty.getvalue() == "a\tb\n"
