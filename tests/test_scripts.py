"""The rule scripts' run() functions and their main() entry points."""

import importlib
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO
from gsattn.config import SPLITS, ConfigError
from gsattn.io import InputError, read_bed, read_fasta, read_labels, read_table

sys.path.insert(0, str(REPO / "workflow" / "scripts"))
plant_motifs = importlib.import_module("plant_motifs")
import_fasta = importlib.import_module("import_fasta")
encode_dataset = importlib.import_module("encode_dataset")

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
SPLIT = (0.5, 0.25, 0.25)


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


SCRIPTS = REPO / "workflow" / "scripts"


def test_every_rule_script_imports_the_checkout_package_first():
    import ast

    for path in sorted(SCRIPTS.glob("*.py")):
        if path.name == "local_gsattn.py":
            continue
        body = ast.parse(path.read_text()).body
        first = next(node for node in body if isinstance(node, ast.Import | ast.ImportFrom))
        assert isinstance(first, ast.Import) and first.names[0].name == "local_gsattn", path.name


def _decoy_package(root):
    """A ``gsattn`` that fails on import, as an installed copy shadowing the checkout would be used."""
    (root / "gsattn").mkdir(parents=True)
    (root / "gsattn" / "__init__.py").write_text("raise ImportError('the decoy gsattn was imported')\n")
    return root


def test_the_checkout_package_wins_over_one_earlier_on_the_path(tmp_path):
    """As Snakemake runs a script: the scripts' folder appended after an installed gsattn."""
    decoy = _decoy_package(tmp_path / "site")
    code = (
        f"import sys; sys.path.insert(0, {str(decoy)!r}); sys.path.append({str(SCRIPTS)!r}); "
        "import local_gsattn, gsattn.io; print(gsattn.io.__file__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(SCRIPTS / "gsattn" / "io.py")
    code = code.replace("import local_gsattn,", "import")  # without it the decoy is imported
    assert (
        "the decoy gsattn was imported"
        in subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path).stderr
    )


def _run_main_in_a_process(tmp_path, module: str, smk: str) -> subprocess.CompletedProcess:
    """Call ``module.main(smk)`` in a fresh interpreter whose stderr is the 'console'."""
    driver = tmp_path / "driver.py"
    driver.write_text(
        f"import sys\nsys.path.append({str(SCRIPTS)!r})\nfrom types import SimpleNamespace as NS\n"
        f"import {module}\n{module}.main({smk})\n"
    )
    return subprocess.run([sys.executable, str(driver)], capture_output=True, text=True, cwd=tmp_path)


def test_an_input_error_is_one_line_on_the_console_and_a_traceback_in_the_log(tmp_path, write):
    write("bad.fa", ">a\nACGT\n>b\nACGTW\n")
    write("labels.tsv", "id\tlabel\na\t1\nb\t0\n")
    spec = {
        "length": 20,
        "crop": "center",
        "seed": 1,
        "decoy_motifs": [],
        "split": dict(zip(SPLITS, SPLIT, strict=True)),
    }
    outputs = ", ".join(f"{k}='out/{k}'" for k in ("fasta", "labels", "sites", "motifs"))
    smk = (
        f"NS(input=NS(fasta='bad.fa', labels='labels.tsv', get=lambda key: None), output=NS({outputs}), "
        f"params=NS(spec={spec!r}), log=['rule.log'])"
    )
    result = _run_main_in_a_process(tmp_path, "import_fasta", smk)
    assert result.returncode != 0
    console = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(console) == 1, result.stderr
    assert console[0].endswith(
        "ERROR import_fasta: bad.fa, line 4: IUPAC ambiguity code 'W' at column 5; only A, C, G, T and N "
        "are accepted (traceback in rule.log)"
    )
    log = (tmp_path / "rule.log").read_text()
    assert "Traceback (most recent call last)" in log and log.rstrip().endswith("are accepted")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_window_narrower_than_the_jaspar_motif_stops_planting_clearly(tmp_path):
    spec = _spec(position={"mode": "window", "window_start": 0, "window_end": 5})
    with pytest.raises(
        ConfigError, match=r"motif MA\S+ \(\d+ bp\) does not fit in the position window \[0, 5\)"
    ):
        _plant(tmp_path, spec)
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())


def _snakemake_in(workdir, config: dict, target: str, env: dict) -> subprocess.CompletedProcess:
    (workdir / "c.yaml").write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--cores", "1"]
    cmd += ["--configfile", str(workdir / "c.yaml"), "--directory", str(workdir), target]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.slow
def test_snakemake_runs_the_checkout_package_and_shows_an_input_error_in_one_line(tmp_path, data_dir):
    """A real run with a decoy gsattn ahead on PYTHONPATH (an installed copy would be the same)."""
    import os
    import shutil

    decoy = _decoy_package(tmp_path / "site")
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(decoy), os.environ.get("PYTHONPATH")]))
    }
    work = tmp_path / "work"
    shutil.copytree(data_dir / "byo", work / "byo")
    spec = {"type": "fasta", "fasta": "byo/sequences.fa", "labels": "byo/labels.tsv", "length": 64}
    result = _snakemake_in(work, {"datasets": {"mine": spec}}, "results/data/mine/encoded.npz", env)
    assert result.returncode == 0, result.stderr
    assert "decoy" not in result.stderr and (work / "results/data/mine/encoded.npz").exists()
    (work / "byo" / "bad.fa").write_text(">a\nACGT\n>b\nACGTW\n")
    spec["fasta"] = "byo/bad.fa"
    result = _snakemake_in(work, {"datasets": {"bad": spec}}, "results/data/bad/encoded.npz", env)
    assert result.returncode != 0
    shown = [line for line in result.stderr.splitlines() if "IUPAC" in line]
    assert len(shown) == 1 and "byo/bad.fa, line 4: IUPAC ambiguity code 'W' at column 5" in shown[0]
    assert "Traceback" not in result.stderr  # the traceback is in the rule's log instead
    assert "Traceback" in (work / "results/logs/import_fasta/bad.log").read_text()
    assert not (work / "results/data/bad").exists() or not any((work / "results/data/bad").iterdir())


def test_planted_labels_too_few_for_a_split_after_label_noise_are_refused(tmp_path):
    """12 sequences pass the config check (6 per class: 4/1/1); label noise can still empty a split."""
    with pytest.raises(
        ConfigError, match=r"after label_noise\): .*validation split gets no sequence of class 1"
    ):
        _plant(tmp_path, _spec(n_sequences=12, label_noise=0.5, seed=5), "noisy")
    assert not (tmp_path / "noisy").exists() or not any((tmp_path / "noisy").iterdir())
    out = _plant(tmp_path, _spec(n_sequences=12, label_noise=0.5, seed=6), "ok")
    assert len(read_labels(out["labels"]).ids) == 12
