"""Phase 4 preparation of the published sets (gsattn.real, rule prepare_real).

Hand-made inputs where the answer is known: de-duplication (exact, reverse
complements, labels in conflict), test sequences found in train, 6-mer
reconstruction and its malformed rows, N and ambiguity codes, wrong lengths,
stratified and seeded splits. Then the real files of the offline mirror
(``$GSA_REAL_DATA``, else ``../shared/data/real/``; skipped without it) against
the facts their PROVENANCE.md states, and the workflow: one prepared set through
Snakemake from the mirror, and a dry run of the default config that plans the
whole study on the real sets.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO
from gsattn.config import ConfigError, stratified_counts
from gsattn.datasets import import_fasta_dataset
from gsattn.download import MIRROR_ENV
from gsattn.io import InputError, read_fasta, read_labels, read_table
from gsattn.real import (
    RawRecord,
    deduplicate,
    filter_length,
    filter_n,
    find_copies,
    kmers_to_sequence,
    prepare,
    read_kmer_tsv,
    read_source_fasta,
    reverse_complement_members,
    subsample_per_class,
)
from gsattn.real_recipes import RECIPES, Recipe, SourceFile, check_real_sets, recipe_paths
from gsattn.seq import reverse_complement
from gsattn.sources import load_sources

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
FOLDERS = {"ienhancer2l": "ienhancer2l", "epd_promoters": "epd_human_promoters", "epd_core": "epd_prom_core"}


def _rec(seq_id: str, sequence: str, label: int, split: str | None = None) -> RawRecord:
    return RawRecord(seq_id, sequence, label, split, "f.fa", 1, f"f.fa:1:{seq_id}")


def _spec(**changes) -> dict:
    """A ``real_data.sets`` entry with the schema's defaults, ``changes`` applied."""
    config = {"datasets": {"d": {}}, "real_data": {"sets": {"s": {"recipe": "epd_core", **changes}}}}
    validate(config, str(SCHEMA))
    return config["real_data"]["sets"]["s"]


def _summary(prepared, quantity: str, split: str = "all", label="all"):
    return next(
        r["value"]
        for r in prepared.summary
        if r["quantity"] == quantity and r["split"] == split and r["label"] == label
    )


def _kmers(sequence: str, k: int = 6) -> str:
    return " ".join(sequence[i : i + k] for i in range(len(sequence) - k + 1))


# --------------------------------------------------------------------------- duplicates
def test_deduplicate_keeps_the_first_copy_and_drops_sequences_of_both_classes():
    records = [
        _rec("a1", "AAAACCCC", 1),
        _rec("b", "GGGGTTTA", 0),
        _rec("a2", "AAAACCCC", 1),
        _rec("c1", "ACACACAC", 1),
        _rec("a3", "AAAACCCC", 1),
        _rec("c2", "ACACACAC", 0),
        _rec("d", "TTTTGGGG", 0),
    ]
    out = deduplicate(records)
    assert [r.id for r in out.kept] == ["a1", "b", "d"]
    assert [r.id for r in out.removed] == ["a2", "a3"] and [r.id for r in out.conflicting] == ["c1", "c2"]
    rows = {r["id"]: r for r in out.rows}
    assert (
        rows["a2"]["kind"] == "within"
        and rows["a2"]["match_id"] == "a1"
        and rows["a2"]["action"] == "removed"
    )
    assert rows["c2"]["kind"] == "conflicting_labels" and rows["c2"]["match_id"] == "c1"
    assert rows["c1"]["match_id"] == "" and rows["c1"]["action"] == "dropped"
    assert deduplicate(records[:2]).rows == []  # nothing repeated: nothing left out


def test_reverse_complements_are_distinct_unless_asked():
    seq = "AACCGTTTGA"
    records = [_rec("f", seq, 1), _rec("r", reverse_complement(seq), 1), _rec("p", "ACGT", 1)]
    assert [r.id for r in deduplicate(records).kept] == ["f", "r", "p"]
    assert [r.id for r in deduplicate(records, reverse_complements=True).kept] == ["f", "p"]
    # ACGT is its own reverse complement: a palindrome is not a pair
    assert [r.id for r in reverse_complement_members(records)] == ["f", "r"]


def test_find_copies_pairs_each_test_sequence_with_its_copy_in_train():
    train = [_rec("t1", "AAAAACCCCC", 1), _rec("t2", "GGGGGTTTTA", 0), _rec("t3", "AAAAACCCCC", 1)]
    test = [
        _rec("q1", "AAAAACCCCC", 1),
        _rec("q2", "CCCCCAAAAA", 0),
        _rec("q3", reverse_complement("GGGGGTTTTA"), 0),
    ]
    assert [(q.id, m.id) for q, m in find_copies(test, train)] == [("q1", "t1")]
    assert [(q.id, m.id) for q, m in find_copies(test, train, True)] == [("q1", "t1"), ("q3", "t2")]
    assert find_copies(test, []) == []


# --------------------------------------------------------------------------- 6-mers
def test_kmers_rebuild_the_sequence():
    assert kmers_to_sequence(["ACGTAC", "CGTACG", "GTACGT"], "x.tsv", 2) == "ACGTACGT"
    assert kmers_to_sequence(["ACGTAC"], "x.tsv", 2) == "ACGTAC"
    seq = "TTTTTAAAAGTAAACACTGTTTTCATTAGGACCAAGCTAATCCTTATTGAGAATTTCTAGCCGATAGCGA"
    assert kmers_to_sequence(_kmers(seq).split(), "x.tsv", 2) == seq


@pytest.mark.parametrize(
    ("kmers", "message"),
    [
        (["ACGTAC", "CGTACT", "GTACGT"], "k-mer 3 ('GTACGT') does not overlap k-mer 2 ('CGTACT') by 5 bases"),
        (["ACGTAC", "CGTAC"], "k-mer 2 ('CGTAC') has 5 letters, the first has 6"),
        ([], "no k-mers"),
    ],
)
def test_malformed_kmers_name_the_file_and_line(kmers, message):
    with pytest.raises(InputError, match="^dev.tsv, line 7: ") as err:
        kmers_to_sequence(kmers, "dev.tsv", 7)
    assert message in str(err.value)


def test_kmer_tsv_reads_dnabert_rows_and_stops_at_a_malformed_one(write):
    good = "sequence  label\r\n" + f"{_kmers('ACGTACGTAA')}\t1\r\n" + f"{_kmers('TTGACCATGG')}\t0\r\n"
    path = write("dev.tsv", good)
    records = read_kmer_tsv(path, SourceFile("dev.tsv", "core", None, None, "kmer_tsv"))
    assert [(r.id, r.sequence, r.label, r.line) for r in records] == [
        ("core_1", "ACGTACGTAA", 1, 2),
        ("core_2", "TTGACCATGG", 0, 3),
    ]
    bad = good + "ACGTAC CGTACG GTACGA TACGTT ACGTTG\t1\r\n"  # line 4: k-mer 4 breaks the chain
    with pytest.raises(InputError, match=r"bad\.tsv, line 4: k-mer 4 \('TACGTT'\) does not overlap k-mer 3"):
        read_kmer_tsv(write("bad.tsv", bad), SourceFile("bad.tsv", "core", None, None, "kmer_tsv"))
    for text, message in [
        ("sequence\tclass\n", "line 1: expected the header 'sequence label'"),
        ("sequence label\nACGTAC\t2\n", "line 2: label '2' is not 0 or 1"),
        ("sequence label\nACGTAC\n", "line 2: expected 2 tab-separated columns, found 1"),
        ("sequence label\nACGXAC\t1\n", "line 2: unexpected character 'X' at column 4"),
    ]:
        with pytest.raises(InputError, match=message):
            read_kmer_tsv(write("x.tsv", text), SourceFile("x.tsv", "core", None, None, "kmer_tsv"))


# --------------------------------------------------------------------------- letters, N, length
def test_source_fasta_turns_ambiguity_codes_into_n_and_stops_at_other_letters(write):
    path = write("s.fa", ">a x\nacgt\nRYAC\n>a again\nACGTACGT\n")  # a repeated header is fine here
    a, b = read_source_fasta(path, SourceFile("s.fa", "tag", 1))
    assert (a.id, a.sequence, a.ambiguous, a.line, a.origin) == ("tag_1", "ACGTNNAC", True, 1, "s.fa:1:a")
    assert (b.id, b.sequence, b.ambiguous, b.line) == ("tag_2", "ACGTACGT", False, 4)
    with pytest.raises(InputError, match=r"s2\.fa, line 3: unexpected character 'X' at column 2"):
        read_source_fasta(write("s2.fa", ">a\nACGT\nAXGT\n"), SourceFile("s2.fa", "t", 1))
    with pytest.raises(InputError, match="line 1: sequence data before the first"):
        read_source_fasta(write("s3.fa", "ACGT\n"), SourceFile("s3.fa", "t", 1))
    with pytest.raises(InputError, match="line 1: record 'a' has no sequence"):
        read_source_fasta(write("s4.fa", ">a\n>b\nACGT\n"), SourceFile("s4.fa", "t", 1))


def test_the_n_threshold_keeps_a_sequence_at_it_and_drops_one_above():
    records = [_rec("clean", "ACGTACGTAC", 1), _rec("one_n", "ACGTNCGTAC", 1), _rec("two_n", "ACNTNCGTAC", 0)]
    for max_fraction, kept in [(0.0, ["clean"]), (0.1, ["clean", "one_n"]), (0.0999, ["clean"]), (0.2, None)]:
        got, dropped = filter_n(records, max_fraction)
        expected = kept if kept is not None else ["clean", "one_n", "two_n"]
        assert [r.id for r in got] == expected
        assert len(got) + len(dropped) == 3


def test_sequences_of_another_length_are_dropped():
    kept, dropped = filter_length([_rec("a", "ACGT", 1), _rec("b", "ACG", 1), _rec("c", "ACGTA", 0)], 4)
    assert [r.id for r in kept] == ["a"] and [r.id for r in dropped] == ["b", "c"]


# --------------------------------------------------------------------------- whole recipes on small files
def _tiny_published(tmp_path: Path) -> tuple[Recipe, dict[str, str]]:
    """A 12 bp set with a published split: 3 test positives of which one is in train, 3 test negatives."""
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 12)) for _ in range(40)]
    files = {
        "pos_train.fa": seqs[0:10] + ["ACGTACGTAC"],  # a sequence of the wrong length
        "neg_train.fa": seqs[10:20] + ["ACGTNACGTACG"],  # a sequence with an N
        "pos_test.fa": [seqs[2], seqs[20], seqs[21]],  # seqs[2] is a train positive
        "neg_test.fa": seqs[22:25] + [seqs[22]],  # one repeated within the test
    }
    paths = {}
    for name, records in files.items():
        (tmp_path / name).write_text("".join(f">h{i}\n{s}\n" for i, s in enumerate(records)))
        paths[name] = str(tmp_path / name)
    # file pos_train.fa: IDs pos_train_<n>, class 1, published split train; and so on
    files = [
        SourceFile(n, n.removesuffix(".fa"), int(n[:3] == "pos"), n[4:].removesuffix(".fa")) for n in files
    ]
    return Recipe("tiny", 12, True, tuple(files)), paths


@pytest.mark.parametrize("test_mode", ["published", "deduplicated"])
def test_a_published_split_keeps_its_test_set_and_reports_or_drops_test_copies(
    tmp_path, monkeypatch, test_mode
):
    recipe, paths = _tiny_published(tmp_path)
    monkeypatch.setitem(RECIPES, "tiny", recipe)
    got = prepare("tiny", _spec(test=test_mode, validation_fraction=0.2), paths)
    split = dict(zip([r.id for r in got.records], got.split, strict=True))
    assert _summary(got, "records_read", "published_train") == 22
    assert _summary(got, "wrong_length_dropped", "published_train", 1) == 1
    assert _summary(got, "too_many_n_dropped", "published_train", 0) == 1
    assert _summary(got, "duplicates_removed", "published_test", 0) == 1
    assert _summary(got, "test_duplicates_of_train", "published_test", 1) == 1
    assert [r["id"] for r in got.duplicates if r["kind"] == "test_in_train"] == ["pos_test_1"]
    removed = test_mode == "deduplicated"
    assert _summary(got, "test_duplicates_removed") == int(removed)
    assert ("pos_test_1" in split) != removed
    assert sorted(i for i, s in split.items() if s == "test") == sorted(
        ["pos_test_2", "pos_test_3", "neg_test_1", "neg_test_2", "neg_test_3"]
        + ([] if removed else ["pos_test_1"])
    )
    # validation is drawn from the published train set only, 2 of the 10 of each class
    validation = [i for i, s in split.items() if s == "validation"]
    assert len(validation) == 4 and all("_train_" in i for i in validation)
    assert Counter(i.split("_")[0] for i in validation) == {"pos": 2, "neg": 2}


def test_published_and_deduplicated_variants_share_train_and_validation(tmp_path, monkeypatch):
    recipe, paths = _tiny_published(tmp_path)
    monkeypatch.setitem(RECIPES, "tiny", recipe)
    a, b = (prepare("tiny", _spec(test=t), paths) for t in ("published", "deduplicated"))
    head = lambda p: [(r.id, r.sequence, s) for r, s in zip(p.records, p.split, strict=True) if s != "test"]  # noqa: E731
    assert head(a) == head(b)  # same records, same order, same split
    assert len(a.records) == len(b.records) + 1


def _tiny_drawn(tmp_path: Path, n_pos: int = 30, n_neg: int = 20) -> tuple[Recipe, dict[str, str]]:
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGT"), 10)) for _ in range(n_pos + n_neg)]
    rows = [f"{_kmers(s)}\t{int(i < n_pos)}\r\n" for i, s in enumerate(seqs)]
    rows.append(f"{_kmers(seqs[0])}\t1\r\n")  # a copy, same class
    (tmp_path / "dev.tsv").write_text("sequence  label\r\n" + "".join(rows))
    recipe = Recipe("tiny_core", 10, False, (SourceFile("dev.tsv", "core", None, None, "kmer_tsv"),))
    return recipe, {"dev.tsv": str(tmp_path / "dev.tsv")}


def test_a_drawn_split_is_stratified_and_seeded(tmp_path, monkeypatch):
    recipe, paths = _tiny_drawn(tmp_path)
    monkeypatch.setitem(RECIPES, "tiny_core", recipe)
    fractions = {"train": 0.6, "validation": 0.2, "test": 0.2}
    one, again, two = (prepare("tiny_core", _spec(split=fractions, seed=s), paths) for s in (1, 1, 2))
    assert one.split == again.split  # same seed, same split
    assert one.split != two.split  # another seed, another draw
    assert _summary(one, "duplicates_removed", "all", 1) == 1 and len(one.records) == 50
    for p in (one, two):
        counts = Counter(zip(p.split, [r.label for r in p.records], strict=True))
        for label, n in ((1, 30), (0, 20)):
            expected = stratified_counts(n, (0.6, 0.2, 0.2))
            assert [counts[(s, label)] for s in ("train", "validation", "test")] == expected
        assert _summary(p, "test_duplicates_of_train") == 0  # de-duplicated before the split


def test_summary_gives_counts_and_gc_per_split_and_class(tmp_path, monkeypatch):
    recipe = Recipe("gc", 4, False, (SourceFile("p.fa", "p", 1), SourceFile("n.fa", "n", 0)))
    (tmp_path / "p.fa").write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(["GGCC", "GCCA"] * 5)))
    (tmp_path / "n.fa").write_text("".join(f">n{i}\n{s}\n" for i, s in enumerate(["AATT", "AATG"] * 5)))
    monkeypatch.setitem(RECIPES, "gc", recipe)
    got = prepare("gc", _spec(), {"p.fa": str(tmp_path / "p.fa"), "n.fa": str(tmp_path / "n.fa")})
    assert _summary(got, "duplicates_removed") == 16  # two distinct sequences per class remain
    assert _summary(got, "n_sequences", "all", 1) == 2 and _summary(got, "n_sequences", "all", 0) == 2
    assert _summary(got, "gc_mean", "all", 1) == pytest.approx(0.875)
    assert _summary(got, "gc_sd", "all", 1) == pytest.approx(np.std([1.0, 0.75], ddof=1))
    assert _summary(got, "gc_mean", "all", 0) == pytest.approx(0.125)


def test_rule_script_writes_what_the_bring_your_own_path_reads(tmp_path, monkeypatch):
    import prepare_real

    recipe, paths = _tiny_drawn(tmp_path)
    monkeypatch.setitem(RECIPES, "tiny_core", recipe)
    out = {k: str(tmp_path / "out" / f"{k}.tsv") for k in ("labels", "summary", "duplicates")}
    out["fasta"] = str(tmp_path / "out" / "sequences.fa")
    smk = SimpleNamespace(
        params=SimpleNamespace(spec=_spec() | {"recipe": "tiny_core"}, files=["dev.tsv"]),
        input=SimpleNamespace(sources=[paths["dev.tsv"]]),
        output=SimpleNamespace(**out),
        wildcards=SimpleNamespace(real="tiny_core"),
        log=[str(tmp_path / "log.txt")],
    )
    prepare_real.main(smk)
    labels = read_labels(out["labels"])
    assert len(read_fasta(out["fasta"])) == len(labels.ids) == 50 and set(labels.split) == {
        "train",
        "validation",
        "test",
    }
    assert read_table(out["duplicates"])[0]["kind"] == "within"
    data = import_fasta_dataset(out["fasta"], out["labels"], None, 10, "center", (0.7, 0.15, 0.15), 99)
    assert data.split == labels.split  # the prepared split is kept, the data set's own seed unused
    assert "set tiny_core: tiny_core, seed 1" in (tmp_path / "log.txt").read_text()


# --------------------------------------------------------------------------- config
def test_the_schema_default_holds_the_four_sets():
    config = {"datasets": {"d": {}}}
    validate(config, str(SCHEMA))
    sets = config["real_data"]["sets"]
    assert {n: s["recipe"] for n, s in sets.items()} == {
        "ienhancer2l": "ienhancer2l",
        "ienhancer2l_dedup": "ienhancer2l",
        "epd_promoters": "epd_promoters",
        "epd_core": "epd_core",
    }
    assert sets["ienhancer2l_dedup"]["test"] == "deduplicated" and sets["epd_core"]["max_n_fraction"] == 0.0
    check_real_sets(sets)


def test_config_checks_name_the_set_and_the_key():
    with pytest.raises(ConfigError, match=r"real_data\.sets\.s\.split: fractions sum to 1\.1"):
        check_real_sets({"s": _spec(split={"train": 0.8, "validation": 0.15, "test": 0.15})})
    with pytest.raises(ConfigError, match=r"real_data\.sets\.s\.test: .* has no published test set"):
        check_real_sets({"s": _spec(test="deduplicated")})


def test_max_per_class_is_refused_where_the_test_split_is_published():
    with pytest.raises(ConfigError, match=r"real_data\.sets\.s\.max_per_class: recipe 'ienhancer2l'"):
        check_real_sets({"s": _spec(recipe="ienhancer2l", max_per_class=100)})
    check_real_sets({"s": _spec(max_per_class=100)})


def test_subsampling_keeps_at_most_n_per_class_in_file_order_and_is_seeded():
    records = [_rec(f"p{i}", "A", 1) for i in range(10)] + [_rec(f"n{i}", "C", 0) for i in range(4)]
    kept, left_out = subsample_per_class(records, 5, seed=1)
    assert sum(r.label == 1 for r in kept) == 5 and sum(r.label == 0 for r in kept) == 4  # 4 < 5: all kept
    assert [r.id for r in kept] == [r.id for r in records if r in kept]  # file order
    assert sorted(r.id for r in kept + left_out) == sorted(r.id for r in records)
    assert subsample_per_class(records, 5, seed=1) == (kept, left_out)  # the same draw again
    assert subsample_per_class(records, 5, seed=2)[0] != kept  # another seed, another draw
    assert subsample_per_class(records, None, seed=1) == (records, [])
    assert subsample_per_class(records, 10, seed=1) == (records, [])  # exactly at the class size


def test_every_recipe_file_is_pinned_in_the_registry():
    sources = load_sources(REPO / "resources" / "real_sources.yaml")
    for name, recipe in RECIPES.items():
        assert recipe.source in sources, name
        assert {f.name for f in recipe.files} <= set(sources[recipe.source]), name
        assert recipe_paths(name)[0] == f"resources/real/{recipe.source}/{recipe.files[0].name}"


def test_default_config_reads_the_real_sets_from_their_prepared_files():
    default = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for name in ("ienhancer2l", "ienhancer2l_dedup", "epd_promoters", "epd_core"):
        spec = default["datasets"][name]
        assert (
            spec["fasta"] == f"results/real/{name}/sequences.fa"
            and spec["labels"] == f"results/real/{name}/labels.tsv"
        )
        assert spec["length"] == RECIPES[default["real_data"]["sets"][name]["recipe"]].length
    assert default["datasets"]["ienhancer2l_dedup"]["models_from"] == "ienhancer2l"


# --------------------------------------------------------------------------- the real files
def _mirror() -> Path:
    root = Path(os.environ.get(MIRROR_ENV) or REPO.parent / "shared" / "data" / "real")
    if not (root / "ienhancer2l" / "original_enhancer_train.txt").exists():
        pytest.skip(
            f"no real-data mirror at {root} (set ${MIRROR_ENV} to a folder laid out like shared/data/real/)"
        )
    return root


def _paths(root: Path, recipe: str) -> dict[str, str]:
    return {f.name: str(root / FOLDERS[recipe] / f.name) for f in RECIPES[recipe].files}


def test_ienhancer2l_from_the_mirror():
    paths = _paths(_mirror(), "ienhancer2l")
    published = prepare("ienhancer2l", _spec(recipe="ienhancer2l"), paths)
    for split, n in (("published_train", 1484), ("published_test", 200)):
        assert (
            _summary(published, "records_read", split, 1)
            == _summary(published, "records_read", split, 0)
            == n
        )
    # all 100 strong test enhancers are in train, no non-enhancer
    assert _summary(published, "test_duplicates_of_train", "published_test", 1) == 100
    assert _summary(published, "test_duplicates_of_train", "published_test", 0) == 0
    assert (
        _summary(published, "n_sequences", "test", 1) == _summary(published, "n_sequences", "test", 0) == 200
    )
    strong_fa = Path(paths["original_enhancer_ind.txt"]).parent / "layer2_test_strong_enhancers.fa"
    strong = {r.sequence for r in read_source_fasta(strong_fa, SourceFile("s", "s", 1))}
    in_train = {r["id"] for r in published.duplicates if r["kind"] == "test_in_train"}
    assert {r.sequence for r in published.records if r.id in in_train} == strong
    dedup = prepare("ienhancer2l", _spec(recipe="ienhancer2l", test="deduplicated"), paths)
    assert (
        _summary(dedup, "n_sequences", "test", 1) == 100 and _summary(dedup, "n_sequences", "test", 0) == 200
    )
    assert _summary(dedup, "gc_mean", "all", 1) > _summary(dedup, "gc_mean", "all", 0) + 0.1  # the GC bias


def test_epd_promoters_from_the_mirror():
    paths = _paths(_mirror(), "epd_promoters")
    file = lambda name: read_source_fasta(paths[name], SourceFile(name, "t", 1))  # noqa: E731
    tata, chr1 = ({r.sequence for r in file(n)} for n in ("human_TATA.fa", "human_promoters_chr1.fa"))
    assert len(tata & chr1) == 334
    got = prepare("epd_promoters", _spec(recipe="epd_promoters"), paths)
    assert (
        _summary(got, "records_read", "all", 1) == 3065 + 2923
        and _summary(got, "records_read", "all", 0) == 890 + 4345
    )
    # EPD alternative TSSs: 3043 and 2906 distinct sequences, 334 shared: 5615 promoters
    assert _summary(got, "n_sequences", "all", 1) == 3043 + 2906 - 334
    assert (
        _summary(got, "too_many_n_dropped", "all", 0) == 104
        and _summary(got, "too_many_n_dropped", "all", 1) == 0
    )
    assert _summary(got, "with_n") == 0 and _summary(got, "test_duplicates_of_train") == 0
    assert all(len(r.sequence) == 300 for r in got.records)


def test_epd_core_from_the_mirror_matches_the_derived_plain_file():
    root = _mirror()
    records = read_kmer_tsv(root / "epd_prom_core" / "dev.tsv", RECIPES["epd_core"].files[0])
    plain = (root / "epd_prom_core" / "prom_core_test_plain.csv").read_text().splitlines()
    assert plain[0] == "sequence,label" and len(records) == len(plain) - 1 == 5919
    assert [(r.sequence, str(r.label)) for r in records] == [tuple(line.split(",")) for line in plain[1:]]
    assert Counter(r.label for r in records) == {1: 2915, 0: 3004} and {len(r.sequence) for r in records} == {
        70
    }


# --------------------------------------------------------------------------- the workflow
def _snakemake(*args, cwd, env=None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_prepare_real_runs_from_the_mirror(tmp_path):
    env = os.environ | {MIRROR_ENV: str(_mirror())}
    config = ("--configfile", str(REPO / "config" / "config.yaml"), "--directory", str(tmp_path))
    _snakemake("--cores", "1", *config, "results/real/epd_core/summary.tsv", cwd=tmp_path, env=env)
    assert (tmp_path / "resources/real/epd_core/dev.tsv.manifest.json").exists()
    rows = read_table(tmp_path / "results/real/epd_core/summary.tsv")
    value = {(r["quantity"], r["split"], str(r["label"])): r["value"] for r in rows}
    assert (
        value[("records_read", "all", "all")] == 5919
        and value[("conflicting_labels_dropped", "all", "all")] == 2
    )
    assert value[("n_sequences", "all", "all")] == 5916
    assert len(read_labels(tmp_path / "results/real/epd_core/labels.tsv").ids) == 5916


@pytest.mark.slow
def test_default_config_plans_the_whole_study_on_the_real_sets(tmp_path):
    env = os.environ | {MIRROR_ENV: str(_mirror())}
    result = _snakemake(
        "-n",
        "--configfile",
        str(REPO / "config" / "config.yaml"),
        "--directory",
        str(tmp_path),
        cwd=tmp_path,
        env=env,
    )
    jobs = {
        parts[0]: int(parts[1])
        for parts in (line.split() for line in result.stdout.splitlines())
        if len(parts) == 2 and parts[1].isdigit()
    }
    n_data = 5  # synthetic + four real sets
    assert jobs["download_source"] == 4 + 12 + 1  # layer 1 files, EPD and BDGP files, dev.tsv
    assert jobs["prepare_real"] == 4 and jobs["import_fasta"] == 4 and jobs["plant_motifs"] == 1
    assert jobs["encode_dataset"] == jobs["fit_floors"] == n_data
    # synthetic and epd_core: 5 reference seeds + 2 ablations x 1 seed; ienhancer2l (and the
    # de-duplicated evaluation of its models) and epd_promoters: the reference, 2 seeds
    assert jobs["train_attention"] == 2 * 7 + 3 * 2
    assert jobs["train_sparse"] == 3 * (2 * 5 + 3 * 2) and jobs["train_pipeline"] == 2 * (2 * 5 + 3 * 2)
    assert jobs["compare_models"] == n_data and jobs["declare_verdicts"] == 1
    # the de-duplicated set trains nothing: its jobs copy ienhancer2l's models
    dedup = "results/phase1/ienhancer2l_dedup/attention/seed2/model.pt"
    assert dedup in result.stdout and "results/phase1/ienhancer2l_dedup/design/" not in result.stdout
    for name in ("ienhancer2l", "ienhancer2l_dedup", "epd_promoters", "epd_core"):
        assert f"results/phase3/{name}/comparison/" in result.stdout
