import gzip

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
