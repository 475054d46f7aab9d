import numpy as np
import pytest

from gsattn.config import ConfigError
from gsattn.datasets import (
    crop_offset,
    crop_sites,
    encode_dataset,
    import_fasta_dataset,
    motif_index_mask,
    summarize,
)
from gsattn.io import InputError, Site
from gsattn.seq import PAD_TOKEN

SPLIT = (0.5, 0.25, 0.25)


def _import(data_dir, **kw):
    byo = data_dir / "byo"
    args = dict(fasta=byo / "sequences.fa", labels_path=byo / "labels.tsv", sites_path=byo / "sites.bed")
    args |= dict(length=64, crop="center", split_fractions=SPLIT, seed=1) | kw
    return import_fasta_dataset(**args)


def test_import_fixture_crops_shifts_sites_and_splits(data_dir):
    data = _import(data_dir)
    assert len(data.records) == 30
    assert all(len(seq) <= 64 for _, seq in data.records)
    assert data.records[2][1].isupper()  # s03 was lower case
    sequences = dict(data.records)
    for s in data.sites:  # the CRE consensus survives the crop at shifted coordinates
        assert sequences[s.seq_id][s.start : s.end] == "TTGACGTCAA"
    assert sorted(set(data.split)) == ["test", "train", "validation"]
    assert data.motif_rows[0]["motif"] == "CRE" and data.motif_rows[0]["role"] == "known"
    assert _import(data_dir).split == data.split  # seeded


def test_crop_helpers():
    assert crop_offset(100, 60, "center") == 20
    assert crop_offset(100, 60, "end") == 40
    assert crop_offset(50, 60, "center") == 0
    sites = [Site("a", 10, 20, "m", 1.0, "+"), Site("a", 25, 35, "m", 1.0, "+")]
    assert crop_sites(sites, {"a": 20}, 60) == [Site("a", 5, 15, "m", 1.0, "+")]


def test_labels_without_sequences_and_sequences_without_labels(data_dir, write):
    fasta = write("x.fa", ">a\nACGT\n>b\nACGT\n")
    with pytest.raises(InputError, match=r"labels.tsv, line 3: label for 'c', which is not in"):
        import_fasta_dataset(
            fasta, write("labels.tsv", "id\tlabel\na\t1\nc\t0\n"), None, 10, "center", SPLIT, 1
        )
    with pytest.raises(InputError, match=r"x.fa, line 3: sequence 'b' has no label"):
        import_fasta_dataset(fasta, write("labels.tsv", "id\tlabel\na\t1\n"), None, 10, "center", SPLIT, 1)


def test_bed_out_of_range_names_line(write):
    fasta = write("x.fa", ">a\nACGTACGT\n")
    labels = write("l.tsv", "id\tlabel\na\t1\n")
    bed = write("s.bed", "a\t0\t4\tm\t1\t+\na\t6\t9\tm\t1\t+\n")
    with pytest.raises(InputError, match=r"s.bed, line 2: site \[6, 9\) is out of range"):
        import_fasta_dataset(fasta, labels, bed, 10, "center", SPLIT, 1)


def test_motif_index_mask_first_site_wins():
    sites = [Site("a", 1, 4, "m1", 0, "+"), Site("a", 3, 6, "m2", 0, "+")]
    mask = motif_index_mask(sites, ["a", "b"], 8, ["m1", "m2"])
    assert mask[0].tolist() == [-1, 0, 0, 0, 1, 1, -1, -1]
    assert (mask[1] == -1).all()


# Six sequences: both classes in every split (a: train/1, b: test/0, then c-f).
SIX_FASTA = ">a\nACGT\n>b\nGGCCAA\n>c\nGCGCAT\n>d\nCCGGTA\n>e\nACGTAC\n>f\nTTTTAA\n"
SIX_LABELS = (
    "id\tlabel\tstrength\tsplit\na\t1\t2\ttrain\nb\t0\tNA\ttest\n"
    + "".join(
        f"{i}\t{c}\t1\t{s}\n"
        for i, c, s in [("c", 0, "train"), ("d", 0, "validation"), ("e", 1, "validation")]
    )
    + "f\t1\t1\ttest\n"
)


def test_encode_pads_and_summary_counts(write):
    fasta = write("x.fa", SIX_FASTA)
    labels = write("l.tsv", SIX_LABELS)
    bed = write("s.bed", "a\t1\t3\tm\t1\t+\n")
    motifs = write("m.tsv", "motif\tmatrix_id\tname\trole\twidth\trelease\tconsensus\nm\t\tm\tknown\t2\t\t\n")
    arrays = encode_dataset(fasta, labels, bed, motifs, 8)
    assert arrays["tokens"].shape == (6, 8) and arrays["tokens"].dtype == np.uint8
    assert arrays["tokens"][0].tolist() == [0, 1, 2, 3] + [PAD_TOKEN] * 4
    assert arrays["lengths"].tolist() == [4, 6, 6, 6, 6, 6]
    assert arrays["motif_index"][0].tolist() == [-1, 0, 0, -1, -1, -1, -1, -1]
    assert arrays["split"].tolist()[:2] == ["train", "test"] and bool(arrays["has_sites"])
    rows = {(r["split"], r["label"]): r for r in summarize(arrays)}
    assert rows[("all", "all")]["n_sequences"] == 6
    assert rows[("all", 1)]["seqs_with:m"] == 1 and rows[("all", 0)]["seqs_with:m"] == 0
    assert rows[("all", 0)]["gc_mean"] == pytest.approx(4 / 6)
    with pytest.raises(InputError, match="longer than length=5"):
        encode_dataset(fasta, labels, bed, motifs, 5)


def _fasta_and_labels(write, labels: list[int], split: list[str] | None = None):
    """A FASTA of ``len(labels)`` sequences and their labels TSV (optional split column)."""
    ids = [f"s{i}" for i in range(len(labels))]
    fasta = write("x.fa", "".join(f">{i}\nACGTACGT\n" for i in ids))
    header = "id\tlabel" + ("\tsplit" if split else "") + "\n"
    rows = [
        f"{i}\t{c}" + (f"\t{split[k]}" if split else "") + "\n"
        for k, (i, c) in enumerate(zip(ids, labels, strict=True))
    ]
    return fasta, write("labels.tsv", header + "".join(rows))


@pytest.mark.parametrize(
    ("per_class", "message"),
    [
        (
            1,
            r"the validation split gets no sequence of class 0 \(class 0/1 per split: train 1/1, valid.* 0/0",
        ),
        (3, r"the test split gets no sequence of class 0 \(class 0/1 per split: train 2/2, .* test 0/0"),
    ],
)
def test_too_few_sequences_to_split_is_refused_at_import_with_the_numbers(write, per_class, message):
    fasta, labels = _fasta_and_labels(write, [0, 1] * per_class)
    with pytest.raises(InputError, match=message) as err:
        import_fasta_dataset(fasta, labels, None, 10, "center", (0.7, 0.15, 0.15), 1)
    assert str(err.value).startswith(str(labels))
    fasta, labels = _fasta_and_labels(write, [0, 1] * 7)  # 7 per class: 5/1/1, the fewest that split
    assert len(import_fasta_dataset(fasta, labels, None, 10, "center", (0.7, 0.15, 0.15), 1).records) == 14


def test_labels_all_of_one_class_are_refused(write):
    fasta, labels = _fasta_and_labels(write, [1] * 20)
    with pytest.raises(InputError, match="all 20 labels are 1: a classifier needs both classes"):
        import_fasta_dataset(fasta, labels, None, 10, "center", SPLIT, 1)


def test_a_given_split_column_needs_both_classes_in_every_split(write):
    split = ["train", "train", "validation", "validation", "test", "test"]
    fasta, labels = _fasta_and_labels(write, [0, 1, 0, 1, 1, 1], split)
    with pytest.raises(InputError, match=r"the test split gets no sequence of class 0.*test 0/2"):
        import_fasta_dataset(fasta, labels, None, 10, "center", SPLIT, 1)
    motifs = write("m.tsv", "motif\tmatrix_id\tname\trole\twidth\trelease\tconsensus\n")
    with pytest.raises(InputError, match=r"the test split gets no sequence of class 0"):
        encode_dataset(fasta, labels, write("s.bed", ""), motifs, 10)


def test_decoy_motifs_must_be_in_the_bed(data_dir):
    with pytest.raises(InputError, match=r"sites.bed: decoy_motifs \['CREB'\] not found in this BED .*'CRE'"):
        _import(data_dir, decoy_motifs=["CREB"])
    assert _import(data_dir, decoy_motifs=["CRE"]).motif_rows[0]["role"] == "decoy"
    with pytest.raises(ConfigError, match="has no 'sites'"):
        _import(data_dir, sites_path=None, decoy_motifs=["CRE"])
