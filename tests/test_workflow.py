"""The workflow as a user runs it: lint, format, dry runs and a tiny end-to-end run."""

import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import DATA, REPO
from gsattn.io import read_bed, read_fasta, read_labels
from gsattn.seq import decode, reverse_complement

pytestmark = pytest.mark.slow


def snakemake(*args, cwd=REPO, check=True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def workdir(tmp_path):
    """A fresh working directory holding a copy of tests/data."""
    shutil.copytree(DATA, tmp_path / "tests" / "data")
    return tmp_path


def test_lint_is_clean():
    result = snakemake("--lint")
    assert "Lints for" not in result.stdout + result.stderr


def test_snakefmt_and_ruff_are_clean():
    for cmd in (
        ["snakefmt", "--check", "Snakefile", "workflow"],
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
    ):
        exe = shutil.which(cmd[0], path=str(REPO / ".venv" / "bin")) or shutil.which(cmd[0])
        result = subprocess.run([exe, *cmd[1:]], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("configfile", "n_data"), [("config/config.yaml", 1), ("config/paper.yaml", 2)])
def test_dry_run_shows_the_whole_chain(configfile, n_data, tmp_path):
    result = snakemake("-n", "--configfile", str(REPO / configfile), "--directory", str(tmp_path))
    jobs = dict(
        line.split()[:2] for line in result.stdout.splitlines() if line[:1].isalpha() and " " in line.strip()
    )
    assert jobs.get("plant_motifs") == str(n_data) and jobs.get("encode_dataset") == str(n_data)


def test_tiny_config_end_to_end(workdir):
    snakemake(
        "--cores", "2", "--configfile", str(REPO / "tests/config/tiny.yaml"), "--directory", str(workdir)
    )
    config = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    for name, spec in config["datasets"].items():
        folder = workdir / "results" / "data" / name
        with np.load(folder / "encoded.npz", allow_pickle=False) as enc:
            arrays = {k: enc[k] for k in enc.files}
        n = arrays["ids"].shape[0]
        assert arrays["tokens"].shape == (n, spec["length"]) and arrays["tokens"].max() <= 5
        assert set(arrays["split"]) == {"train", "validation", "test"}
        labels = read_labels(folder / "labels.tsv")
        assert labels.ids == arrays["ids"].tolist() and labels.labels == arrays["labels"].tolist()
        records = {r.id: r.sequence for r in read_fasta(folder / "sequences.fa")}
        row = {seq_id: i for i, seq_id in enumerate(arrays["ids"])}
        for site in read_bed(folder / "sites.bed"):  # every site is where the BED says, in both files
            assert (arrays["motif_index"][row[site.seq_id], site.start : site.end] >= 0).all()
            assert (
                decode(arrays["tokens"][row[site.seq_id], site.start : site.end])
                == records[site.seq_id][site.start : site.end]
            )
        summary = (folder / "summary.tsv").read_text().splitlines()
        assert summary[0].startswith("split\tlabel\tn_sequences") and f"all\tall\t{n}\t" in summary[1]
        assert (workdir / "results" / "logs" / "encode_dataset" / f"{name}.log").stat().st_size > 0
    byo_sites = read_bed(workdir / "results/data/tiny_byo/sites.bed")
    byo = {r.id: r.sequence for r in read_fasta(workdir / "results/data/tiny_byo/sequences.fa")}
    assert byo_sites and all(byo[s.seq_id][s.start : s.end] == "TTGACGTCAA" for s in byo_sites)
    assert reverse_complement("TTGACGTCAA") == "TTGACGTCAA"
    again = snakemake(
        "--cores", "2", "--configfile", str(REPO / "tests/config/tiny.yaml"), "--directory", str(workdir)
    )
    assert "Nothing to be done" in again.stdout + again.stderr


def test_invalid_config_stops_with_the_key_named(workdir):
    bad = workdir / "bad.yaml"
    bad.write_text("datasets:\n  d:\n    n_sequences: 5\n")
    result = snakemake("-n", "--configfile", str(bad), "--directory", str(workdir), check=False)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "n_sequences" in out and "minimum" in out
    bad.write_text("datasets:\n  d:\n    split: {train: 0.9, validation: 0.2, test: 0.1}\n")
    result = snakemake("-n", "--configfile", str(bad), "--directory", str(workdir), check=False)
    assert result.returncode != 0
    assert "datasets.d.split: fractions sum to 1.2" in result.stdout + result.stderr


def test_bad_user_fasta_stops_with_file_and_line_and_leaves_no_output(workdir):
    (workdir / "bad.fa").write_text(">a\nACGT\n>b\nACGTW\n")
    (workdir / "labels.tsv").write_text("id\tlabel\na\t1\nb\t0\n")
    config = {
        "datasets": {"mine": {"type": "fasta", "fasta": "bad.fa", "labels": "labels.tsv", "length": 20}}
    }
    (workdir / "c.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(
        "--cores", "1", "--configfile", str(workdir / "c.yaml"), "--directory", str(workdir), check=False
    )
    assert result.returncode != 0
    assert "bad.fa, line 4: IUPAC ambiguity code 'W' at column 5" in result.stdout + result.stderr
    produced = [p for p in (workdir / "results" / "data").rglob("*") if p.is_file()]
    assert produced == []
