"""The rule scripts' run() functions and their main() entry points."""

import importlib
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO
from gsattn.io import InputError, read_bed, read_fasta, read_labels, read_table

sys.path.insert(0, str(REPO / "workflow" / "scripts"))
plant_motifs = importlib.import_module("plant_motifs")
import_fasta = importlib.import_module("import_fasta")
encode_dataset = importlib.import_module("encode_dataset")

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def _spec(**overrides) -> dict:
    config = {"datasets": {"d": {"type": "synthetic", "n_sequences": 60, "length": 80} | overrides}}
    validate(config, str(SCHEMA))
    return config["datasets"]["d"]


def _plant(tmp_path, spec, tag="a"):
    out = {k: tmp_path / tag / f"{k}" for k in ("fasta", "labels", "sites", "motifs")}
    plant_motifs.run(spec, *map(str, out.values()))
    return out


def test_same_seed_gives_byte_identical_files_other_seed_differs(tmp_path):
    first, again = _plant(tmp_path, _spec(seed=7), "a"), _plant(tmp_path, _spec(seed=7), "b")
    other = _plant(tmp_path, _spec(seed=8), "c")
    for key in first:
        assert first[key].read_bytes() == again[key].read_bytes(), key
    assert first["fasta"].read_bytes() != other["fasta"].read_bytes()
    enc = [tmp_path / f"{t}.npz" for t in "ab"]
    for out, npz in zip((first, again), enc, strict=True):
        encode_dataset.run(*map(str, out.values()), 80, str(npz), str(npz) + ".tsv")
    assert enc[0].read_bytes() == enc[1].read_bytes()


def test_planted_outputs_are_consistent(tmp_path):
    out = _plant(tmp_path, _spec(seed=1))
    records = read_fasta(out["fasta"])
    labels = read_labels(out["labels"])
    sites = read_bed(out["sites"])
    assert len(records) == 60 and all(len(r.sequence) == 80 for r in records)
    assert labels.ids == [r.id for r in records] and set(labels.split) == {"train", "validation", "test"}
    header = out["motifs"].read_text().splitlines()
    assert header[0].startswith("motif\tmatrix_id\tname\trole")
    assert "MA0148.5:FOXA1\tMA0148.5\tFOXA1\tdecoy" in out["motifs"].read_text()
    assert all("JASPAR2024" in line for line in header[1:])
    assert {s.motif for s in sites} <= {line.split("\t")[0] for line in header[1:]}


def test_markov_background_from_fasta(tmp_path, data_dir):
    spec = _spec(background={"model": "markov", "order": 2, "fasta": str(data_dir / "background.fa")})
    out = _plant(tmp_path, spec)
    gc = np.mean([c in "GC" for r in read_fasta(out["fasta"]) for c in r.sequence])
    assert 0.35 < gc < 0.45  # the fixture background is AT-rich (GC about 0.4)


def test_main_with_a_snakemake_stand_in(tmp_path, data_dir):
    byo = data_dir / "byo"
    spec = {"length": 64, "crop": "center", "seed": 1, "decoy_motifs": ["CRE"]}
    spec["split"] = {"train": 0.5, "validation": 0.25, "test": 0.25}
    out = {k: str(tmp_path / k) for k in ("fasta", "labels", "sites", "motifs")}
    smk = SimpleNamespace(
        input=SimpleNamespace(
            fasta=str(byo / "sequences.fa"),
            labels=str(byo / "labels.tsv"),
            get=lambda key: str(byo / "sites.bed"),
        ),
        output=SimpleNamespace(**out),
        params=SimpleNamespace(spec=spec),
        log=[str(tmp_path / "log.txt")],
    )
    import_fasta.main(smk)
    assert "CRE\t\tCRE\tdecoy" in (tmp_path / "motifs").read_text()
    assert "30 sequences" in (tmp_path / "log.txt").read_text()


def test_bad_input_leaves_no_output(tmp_path, write):
    fasta = write("in/x.fa", ">a\nACGT\n>b\nACYT\n")
    labels = write("in/l.tsv", "id\tlabel\na\t1\nb\t0\n")
    spec = {"length": 10, "crop": "center", "seed": 1, "decoy_motifs": []}
    spec["split"] = {"train": 0.5, "validation": 0.25, "test": 0.25}
    outdir = tmp_path / "out"
    out = [str(outdir / k) for k in ("fasta", "labels", "sites", "motifs")]
    with pytest.raises(InputError, match=r"x.fa, line 4: IUPAC ambiguity code 'Y'"):
        import_fasta.run(spec, str(fasta), str(labels), None, *out)
    assert not outdir.exists() or list(outdir.iterdir()) == []


def test_default_config_plants_fast_enough_to_be_a_default(repo, tmp_path):
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    validate(config, str(SCHEMA))
    spec = config["datasets"]["synthetic"]
    out = _plant(tmp_path, spec)
    assert len(read_fasta(out["fasta"])) == spec["n_sequences"]


def test_pwm_oracle_separates_strong_motifs_and_is_empty_without_matrices(tmp_path, data_dir):
    oracle = importlib.import_module("score_pwm_oracle")
    spec = _spec(n_sequences=300, length=60, seed=4, motifs=[{"id": "MA0139.2"}], decoys=[])
    out = _plant(tmp_path, spec)
    encode_dataset.run(*map(str, out.values()), 60, str(tmp_path / "e.npz"), str(tmp_path / "s.tsv"))
    oracle.run(str(tmp_path / "e.npz"), str(out["motifs"]), str(tmp_path / "o.tsv"))
    rows = {(r["classifier"], r["metric"]): r["value"] for r in read_table(tmp_path / "o.tsv")}
    assert rows[("or_rule", "accuracy")] > 0.95 and rows[("logistic", "auroc")] > 0.95
    byo = tmp_path / "byo"
    byo.mkdir()
    files = [str(byo / n) for n in ("fa", "labels", "sites", "motifs")]
    spec_byo = {"length": 64, "crop": "center", "seed": 1, "decoy_motifs": []}
    spec_byo["split"] = {"train": 0.5, "validation": 0.25, "test": 0.25}
    import_fasta.run(
        spec_byo, str(data_dir / "byo/sequences.fa"), str(data_dir / "byo/labels.tsv"), None, *files
    )
    encode_dataset.run(*files, 64, str(byo / "e.npz"), str(byo / "s.tsv"))
    oracle.run(str(byo / "e.npz"), files[3], str(byo / "o.tsv"))
    assert (byo / "o.tsv").read_text().splitlines() == ["classifier\tmetric\tvalue\tn_test\tmotifs"]
