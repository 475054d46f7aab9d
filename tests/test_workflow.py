"""The workflow as a user runs it: lint, format, dry runs and a tiny end-to-end run."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import DATA, REPO
from gsattn.compare import compare_dataset
from gsattn.io import read_bed, read_fasta, read_labels, read_table
from gsattn.seq import decode, reverse_complement
from gsattn.verdicts import VERDICT_B, VERDICT_INCONCLUSIVE, declare_verdicts

pytestmark = pytest.mark.slow


def snakemake(*args, cwd=REPO, check=True) -> subprocess.CompletedProcess:
    """Run Snakemake; the timeout only stops a hang (the tiny run takes minutes on 2 cores)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=1800)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def planned_rules(plan: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run: job count per rule, without the total."""
    lines = plan.split("Job stats")[1].splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("---")) + 1
    counts = {}
    for line in lines[start:]:
        name, count = line.split()
        if name == "total":
            return counts
        counts[name] = int(count)
    raise AssertionError(f"no 'total' row in the dry run's Job stats:\n{plan}")


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


def _study(config: dict) -> dict[str, tuple[int, int]]:
    """Per data set: (model seeds, Phase 1 models trained), as the config writes them down."""
    default = yaml.safe_load((REPO / "config/config.yaml").read_text())  # the schema's defaults
    models = config.get("phase1", {}).get("models") or default["phase1"]["models"]
    study = {}
    for name, spec in config["datasets"].items():
        source = config["datasets"][spec.get("models_from") or name]
        seeds = len(source.get("seeds") or config["seeds"])
        study[name] = (seeds, len(source.get("phase1_models") or models))
    return study


@pytest.mark.parametrize(
    ("configfile", "n_models", "draws"),
    # default: synthetic and epd_core 5 reference seeds + 2 ablations x 1 seed; ienhancer2l,
    # its de-duplicated re-evaluation and epd_promoters the reference with 2 seeds
    [("config/config.yaml", 2 * 7 + 3 * 2, False), ("config/paper.yaml", 2 * 30, True)],
)
def test_dry_run_shows_the_whole_chain(configfile, n_models, draws, tmp_path):
    result = snakemake("-n", "--configfile", str(REPO / configfile), "--directory", str(tmp_path))
    jobs = {
        parts[0]: int(parts[1])
        for parts in (line.split() for line in result.stdout.splitlines())
        if len(parts) == 2 and parts[1].isdigit()
    }
    config = yaml.safe_load((REPO / configfile).read_text())
    study = _study(config)
    n_data, seeds = len(study), sum(s for s, _ in study.values())  # seeds: summed over data sets
    n_synthetic = sum(spec["type"] == "synthetic" for spec in config["datasets"].values())
    # data_seeds (paper config): one draw of every data set per seed, floors per draw
    data, n_draws = ("_draw", seeds) if draws else ("", n_data)
    assert jobs[f"plant_motifs{data}"] == (seeds if draws else n_synthetic)
    assert jobs[f"encode_dataset{data}"] == n_draws
    assert jobs[f"score_pwm_oracle{data}"] == n_draws and jobs[f"fit_floors{data}"] == n_draws
    assert ("plant_motifs_draw" in jobs) == draws and ("plant_motifs" in jobs) != draws
    assert jobs["train_attention"] == n_models and jobs["evaluate_recovery"] == n_models
    assert jobs["extract_attention"] == seeds
    assert jobs["profile_compute"] == sum(m for _, m in study.values())
    assert jobs["summarize_phase1"] == n_data
    assert jobs["train_sparse"] == 3 * seeds and jobs["evaluate_sparse"] == 3 * seeds
    assert jobs["profile_sparse"] == n_data * 3 and jobs["summarize_phase2"] == n_data
    assert jobs["benchmark_scaling"] == 1
    assert jobs["train_pipeline"] == 2 * seeds
    assert jobs["compare_models"] == n_data and jobs["declare_verdicts"] == 1
    assert jobs["interpret_model"] == 3 * seeds and jobs["summarize_interpretability"] == n_data
    # teacher: winner waits for the declared verdicts: no joint-pipeline student planned yet
    assert "results/phase2/" in result.stdout and "/joint_pipeline/rho" not in result.stdout
    # learning at length: every length x model planned, every seed trained and evaluated
    long = yaml.safe_load((REPO / configfile).read_text())["long_sequences"]
    n_long, n_long_seeds = len(long["lengths"]) * 3, len(long["seeds"])
    assert jobs["plant_motifs_long"] == len(long["lengths"]) and jobs["check_long_budget"] == n_long
    assert (
        jobs["train_long"] == jobs["evaluate_long"] == n_long * n_long_seeds and jobs["summarize_long"] == 1
    )
    longest = f"results/long/L{max(long['lengths'])}/attention/seed{long['seeds'][-1]}/metrics.tsv"
    assert longest in result.stdout and (configfile != "config/paper.yaml" or "/L16384/" in longest)


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory) -> tuple[Path, Path]:
    """One end-to-end run of the tiny config, and an untouched copy of it.

    Later tests run the first folder again with other configs (another teacher, the learning
    curve, the frontier), which changes the params Snakemake recorded; tests about what a
    finished run plans read the copy, taken with its mtimes and .snakemake metadata.
    """
    workdir = tmp_path_factory.mktemp("tiny")
    shutil.copytree(DATA, workdir / "tests" / "data")
    snakemake(
        "--cores", "2", "--configfile", str(REPO / "tests/config/tiny.yaml"), "--directory", str(workdir)
    )
    untouched = tmp_path_factory.mktemp("tiny_untouched") / "run"
    shutil.copytree(workdir, untouched, symlinks=True)
    return workdir, untouched


@pytest.fixture(scope="module")
def tiny_run(tiny_runs) -> Path:
    """The tiny run's folder, shared by the tests that read its outputs."""
    return tiny_runs[0]


@pytest.fixture(scope="module")
def tiny_run_untouched(tiny_runs) -> Path:
    """A copy of the tiny run that no other config has been run in."""
    return tiny_runs[1]


def test_tiny_config_end_to_end(tiny_run):
    workdir = tiny_run
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


def test_tiny_phase1_outputs(tiny_run):
    config = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    for name, spec in config["datasets"].items():
        phase1 = tiny_run / "results" / "phase1" / name
        with np.load(tiny_run / "results/data" / name / "encoded.npz", allow_pickle=False) as enc:
            ids, split = enc["ids"].tolist(), enc["split"].tolist()
        for seed in config["seeds"]:
            with np.load(phase1 / "attention" / f"seed{seed}" / "ground_truth.npz", allow_pickle=False) as gt:
                assert gt["ids"].tolist() == ids and gt["split"].tolist() == split
                assert gt["outputs"].shape == (len(ids), spec["length"], 16)
                assert gt["maps"].shape == (4, 4, spec["length"] + 1, spec["length"] + 1)  # CLS pooling
        for model in config["phase1"]["models"]:  # each model's tables carry its identifiers
            rows = read_table(phase1 / model / "seed1" / "test_metrics.tsv")
            assert {(r["dataset"], r["model"], r["seed"]) for r in rows} == {(name, model, 1)}
            assert {(r["dataset"], r["model"]) for r in read_table(phase1 / model / "compute.tsv")} == {
                (name, model)
            }
        summary = phase1 / "summary"
        metrics = read_table(summary / "metrics_summary.tsv")
        assert {r["model"] for r in metrics} == set(config["phase1"]["models"])
        assert all(r["n_seeds"] == len(config["seeds"]) for r in metrics)
        recovery = read_table(summary / "recovery_summary.tsv")
        if no_sites(config, name):  # recovery needs known sites: one row saying so
            assert [r["note"] for r in recovery] == ["no ground-truth sites in this data set"]
        else:
            assert {r["group"] for r in recovery} >= {"recovery"}
        compute = read_table(summary / "compute.tsv")
        assert {r["metric"] for r in compute} >= {
            "parameters",
            "flops_analytical",
            "flops_counted",
            "peak_memory",
        }
        for png in ("attention_maps.png", "meta_profile.png"):
            assert (summary / png).read_bytes()[:4] == b"\x89PNG"
        criteria = {r["criterion"]: r for r in read_table(summary / "criteria.tsv")}
        assert set(criteria) == {
            "accuracy",
            "accuracy_fraction_of_oracle",
            "attention_on_motifs",
            "compute_baseline",
        } or (spec["type"] == "fasta" and "accuracy_fraction_of_oracle" not in criteria)  # no JASPAR motifs
        per_seed = read_table(summary / "test_metrics.tsv")
        accuracy = np.mean(
            [r["value"] for r in per_seed if r["model"] == "attention" and r["metric"] == "accuracy"]
        )
        assert criteria["accuracy"]["measured"] == pytest.approx(accuracy, abs=1e-6)
        assert criteria["accuracy"]["ci_low"] <= accuracy <= criteria["accuracy"]["ci_high"]
        # 2 epochs on 10 test sequences: nowhere near a CI above 80 %
        assert criteria["accuracy"]["verdict"] in ("does not hold", "inconclusive")
    oracle = read_table(tiny_run / "results/data/tiny_any/pwm_oracle.tsv")
    assert {(r["classifier"], r["metric"]) for r in oracle} >= {
        ("or_rule", "accuracy"),
        ("logistic", "auroc"),
    }
    assert read_table(tiny_run / "results/data/tiny_byo/pwm_oracle.tsv") == []  # no JASPAR matrices
    decoys = read_table(tiny_run / "results/phase1/tiny_any/summary/recovery_summary.tsv")
    assert {r["group"] for r in decoys} == {"recovery", "decoy"}
    log = (tiny_run / "results/logs/train_attention/tiny_any/attention/seed1.log").read_text()
    assert "epochs:" in log and "test:" in log  # tqdm progress and the result go to the rule's log


def test_report_is_built_from_cached_outputs(tiny_run):
    report = tiny_run / "report.html"
    result = snakemake(
        "--report",
        str(report),
        "--configfile",
        str(REPO / "tests/config/tiny.yaml"),
        "--directory",
        str(tiny_run),
    )
    text = report.read_text(errors="replace")
    assert report.stat().st_size > 10_000 and "Phase 1" in text and "metrics_summary.tsv" in text
    assert "ERROR/" not in result.stdout + result.stderr  # every caption is valid reStructuredText
    assert "verdicts.tsv" in text and "interpretability.tsv" in text


def no_sites(config: dict, name: str) -> bool:
    """Whether data set ``name`` has no known sites (a fasta set without a sites BED)."""
    spec = config["datasets"][name]
    return spec["type"] == "fasta" and not spec.get("sites")


def test_tiny_phase2_outputs(tiny_run):
    config = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    rhos = {str(r) for r in config["phase2"]["rhos"]}
    for name in config["datasets"]:
        summary = tiny_run / "results" / "phase2" / name / "attention" / "summary"
        criteria = read_table(summary / "criteria.tsv")
        assert {str(r["rho"]) for r in criteria if r["criterion"] == "accuracy_fraction"} == rhos
        assert {r["criterion"] for r in criteria} >= {
            "accuracy_fraction",
            "compute_reduction",
            "selection_is_motifs",
        }
        judged = {"holds", "does not hold", "inconclusive"} | (
            {"not tested"} if no_sites(config, name) else set()
        )
        assert all(r["verdict"] in judged for r in criteria)
        metrics = read_table(summary / "metrics_summary.tsv")
        assert {r["metric"] for r in metrics} >= {"cosine", "accuracy_ratio"}
        student = tiny_run / "results" / "phase2" / name / "attention" / "rho0.1" / "seed1"
        for table in ("metrics.tsv", "selection.tsv"):  # the student's identifiers, as columns
            with open(student / table) as handle:
                assert handle.readline().startswith("dataset\tteacher\trho\tseed\t")
        ids = {(r["dataset"], r["teacher"], r["rho"], r["seed"]) for r in read_table(student / "metrics.tsv")}
        assert ids == {(name, "attention", 0.1, 1)}
    scaling = read_table(tiny_run / "results/phase2/scaling/scaling.tsv")
    assert {r["length"] for r in scaling} == {64, 128}
    assert {r["method"] for r in scaling} >= {"mha", "sdpa", "sparse"}
    assert (tiny_run / "results/phase2/scaling/scaling.png").read_bytes()[:4] == b"\x89PNG"


def test_tiny_phase3_outputs(tiny_run):
    config = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    for name in config["datasets"]:
        floors = read_table(tiny_run / "results" / "phase3" / name / "floors.tsv")
        assert {r["model"] for r in floors} == {"gc_content", "kmer2_logistic"}
        for kind in ("joint_pipeline", "cnn"):
            folder = tiny_run / "results" / "phase3" / name / kind / "seed1"
            rows = read_table(folder / "test_metrics.tsv")
            assert {r["metric"] for r in rows if r["split"] == "test"} == {"accuracy", "auroc", "auprc"}
            with np.load(folder / "predictions.npz", allow_pickle=False) as pred:
                assert pred["logits"].shape == pred["rows"].shape
        comparison = tiny_run / "results" / "phase3" / name / "comparison"
        tests = read_table(comparison / "tests.tsv")
        assert {(r["metric"], r["test"]) for r in tests} >= {
            ("accuracy", "paired_t"),
            ("accuracy", "wilcoxon"),
            ("accuracy", "tost"),
            ("accuracy", "bootstrap"),
            ("accuracy", "mcnemar"),
        }
        efficiency = read_table(comparison / "efficiency.tsv")
        assert {r["model"] for r in efficiency} == {"attention", "joint_pipeline", "cnn"}
        assert all(r["parameters"] > 0 and r["flops_per_sequence"] > 0 for r in efficiency)
        for png in ("paired_seeds.png", "forest.png"):
            assert (comparison / png).read_bytes()[:4] == b"\x89PNG"
        evidence = {r["model"] for r in read_table(comparison / "evidence.tsv")}
        assert evidence == {"attention", "joint_pipeline", "cnn", "gc_content", "kmer2_logistic"}
        interpretability = read_table(comparison / "interpretability.tsv")
        if name == "tiny_byo" or name == "tiny_any":  # sites known: every model and method scored
            assert {(r["model"], r["method"]) for r in interpretability} == {
                ("attention", "attention"),
                *(
                    (m, method)
                    for m in ("attention", "joint_pipeline", "cnn")
                    for method in ("saliency", "ism")
                ),
            }
    verdicts = read_table(tiny_run / "results/phase3/verdicts.tsv")
    assert [r["dataset"] for r in verdicts] == list(config["datasets"])
    # one seed: no across-seed test can be made, so every data set is declared inconclusive
    assert [r["verdict"] for r in verdicts] == [VERDICT_INCONCLUSIVE] * len(config["datasets"])
    assert all(
        r["phase2_joint_pipeline_teacher"] == ("yes" if r["verdict"] == VERDICT_B else "no") for r in verdicts
    )


def test_models_from_evaluates_the_source_models_on_its_own_test_split(tiny_run):
    """tiny_retest (models_from: tiny_split) trains nothing: every model is tiny_split's,
    byte for byte, evaluated on the same train and validation and a smaller test split."""
    results = tiny_run / "results"
    models = [
        "phase1/{}/attention/seed1",
        "phase1/{}/design/seed1",
        "phase2/{}/attention/rho0.1/seed1",
        "phase3/{}/joint_pipeline/seed1",
        "phase3/{}/cnn/seed1",
    ]
    for folder in models:
        source, reused = results / folder.format("tiny_split"), results / folder.format("tiny_retest")
        assert (reused / "model.pt").read_bytes() == (source / "model.pt").read_bytes(), folder
        assert (reused / "history.tsv").read_text() == (source / "history.tsv").read_text(), folder
        hparams = json.loads((reused / "hparams.json").read_text())
        assert hparams["reused_from"] == "tiny_split" and "reused_from" not in json.loads(
            (source / "hparams.json").read_text()
        )
    log = (results / "logs/train_attention/tiny_retest/attention/seed1.log").read_text()
    assert "its models are reused" in log and "epochs:" not in log  # no training loop ran
    for phase in ("phase1/{}/attention/seed1", "phase3/{}/cnn/seed1"):
        rows = {
            name: {
                (r["split"], r["metric"]): (r["value"], r["n"])
                for r in read_table(results / phase.format(name) / "test_metrics.tsv")
            }
            for name in ("tiny_split", "tiny_retest")
        }
        for split in ("train", "validation"):  # the same model on the same sequences
            assert rows["tiny_retest"][(split, "accuracy")] == rows["tiny_split"][(split, "accuracy")]
        assert (
            rows["tiny_split"][("test", "accuracy")][1] == 8
            and rows["tiny_retest"][("test", "accuracy")][1] == 6
        )
    with np.load(results / "phase1/tiny_retest/attention/seed1/ground_truth.npz", allow_pickle=False) as gt:
        assert len(gt["ids"]) == 28 and "s29" not in gt["ids"].tolist()


def test_declared_tests_and_verdicts_reproduce_from_the_per_seed_files(tiny_run):
    """Recompute every p-value, CI and verdict of results/phase3 from the per-seed TSVs and logits."""
    config = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    schema_defaults = {"margin": 0.01, "alpha": 0.05, "n_bootstrap": 2000}
    p3 = schema_defaults | config["phase3"]
    rows = []
    for name in config["datasets"]:
        with np.load(tiny_run / f"results/data/{name}/encoded.npz", allow_pickle=False) as enc:
            test = np.flatnonzero(enc["split"] == "test")
            y = enc["labels"][test].astype(int)
        per_seed, logits = [], {"y": y, "attention": {}, "joint_pipeline": {}}
        written = read_table(tiny_run / f"results/phase3/{name}/comparison/per_seed.tsv")
        assert {(r["model"], r["seed"]) for r in written} == {
            (m, s) for m in ("attention", "joint_pipeline", "cnn") for s in config["seeds"]
        }
        for seed in config["seeds"]:
            folders = {
                "attention": tiny_run / f"results/phase1/{name}/attention/seed{seed}",
                "joint_pipeline": tiny_run / f"results/phase3/{name}/joint_pipeline/seed{seed}",
            }
            for model, folder in folders.items():
                per_seed += [
                    {"model": model, "seed": seed, "metric": r["metric"], "value": r["value"]}
                    for r in read_table(folder / "test_metrics.tsv")
                    if r["split"] == "test"
                ]
            assert [r for r in written if r["model"] != "cnn" and r["seed"] == seed] == [
                r for r in per_seed if r["seed"] == seed
            ]
            with np.load(folders["attention"] / "ground_truth.npz", allow_pickle=False) as gt:
                logits["attention"][seed] = gt["logits"][test]
            with np.load(folders["joint_pipeline"] / "predictions.npz", allow_pickle=False) as pred:
                logits["joint_pipeline"][seed] = pred["logits"]
        found, _ = compare_dataset(per_seed, logits, p3["margin"], p3["n_bootstrap"], 0, p3["alpha"])
        rows += [{"dataset": name, **r} for r in found]
    adjusted, verdicts = declare_verdicts(rows, alpha=p3["alpha"])
    written = read_table(tiny_run / "results/phase3/tests_adjusted.tsv")
    assert len(written) == len(adjusted)
    numeric = (
        "statistic",
        "p_value",
        "p_adjusted",
        "p_adjusted_within_dataset",
        "estimate",
        "ci_low",
        "ci_high",
    )
    for got, expected in zip(written, adjusted, strict=True):
        assert (got["dataset"], got["metric"], got["test"]) == (
            expected["dataset"],
            expected["metric"],
            expected["test"],
        )
        for key in numeric:
            assert got[key] == pytest.approx(expected[key], rel=1e-5, abs=1e-9, nan_ok=True), key
    declared = {r["dataset"]: r["verdict"] for r in read_table(tiny_run / "results/phase3/verdicts.tsv")}
    assert declared == verdicts


def test_joint_pipeline_teacher_runs_phase2_again(tiny_run, tmp_path):
    """phase2.teacher: joint_pipeline distils the joint pipeline on every data set (incremental run)."""
    config = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    config["phase2"]["teacher"] = "joint_pipeline"
    configfile = tmp_path / "tiny_joint_pipeline.yaml"
    configfile.write_text(yaml.safe_dump(config))
    snakemake("--cores", "2", "--configfile", str(configfile), "--directory", str(tiny_run))
    assert all(
        r["phase2_joint_pipeline_teacher"] == "yes"
        for r in read_table(tiny_run / "results/phase3/verdicts.tsv")
    )
    for name in config["datasets"]:
        summary = tiny_run / "results" / "phase2" / name / "joint_pipeline" / "summary"
        criteria = read_table(summary / "criteria.tsv")
        assert {r["criterion"] for r in criteria} >= {
            "accuracy_fraction",
            "compute_reduction",
            "selection_is_motifs",
        }
        hparams = (tiny_run / f"results/phase2/{name}/joint_pipeline/rho0.1/seed1/hparams.json").read_text()
        assert '"teacher": "joint_pipeline"' in hparams
        with np.load(tiny_run / f"results/phase3/{name}/joint_pipeline/seed1/ground_truth.npz") as gt:
            assert gt["compressed"].shape[2] == 8 and gt["pooled"].shape[1] == 32


def test_learning_curve_target(tiny_run, tmp_path):
    """`snakemake learning_curve` trains the reference model at each size; not part of `all`."""
    config = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    config["learning_curve"] = {"sizes": [40, 48], "seeds": [1]}
    configfile = tmp_path / "tiny_curve.yaml"
    configfile.write_text(yaml.safe_dump(config))
    args = ("--configfile", str(configfile), "--directory", str(tiny_run))
    planned = snakemake("-n", *args).stdout
    assert "rule train_attention_curve" not in planned and "rule plant_motifs_curve" not in planned
    snakemake("learning_curve", "--cores", "2", *args)
    for name in ("tiny_any", "tiny_all"):  # the synthetic data sets
        rows = read_table(tiny_run / f"results/learning_curve/{name}/learning_curve.tsv")
        assert [r["n_sequences"] for r in rows] == [40, 48]
        with np.load(tiny_run / f"results/learning_curve/{name}/n48/data/encoded.npz") as enc:
            assert enc["ids"].shape == (48,)
        per_seed = read_table(tiny_run / f"results/learning_curve/{name}/per_seed.tsv")
        written = read_table(tiny_run / f"results/learning_curve/{name}/n40/seed1/test_metrics.tsv")
        accuracy = [r["value"] for r in written if (r["split"], r["metric"]) == ("test", "accuracy")]
        assert per_seed[0]["accuracy"] == pytest.approx(accuracy[0])
    assert not (tiny_run / "results/learning_curve/tiny_byo").exists()


def test_frontier_target(tiny_run):
    """`snakemake frontier` trains the grid's selectors (not part of `all`), reuses the default
    students for the selector without options, and writes the frontier with one design point per rho."""
    # mtime only: earlier tests ran this folder with yaml.safe_dump copies of the config, whose
    # sorted keys change the params' provenance hash without changing a value.
    args = ("--configfile", str(REPO / "tests/config/tiny.yaml"), "--directory", str(tiny_run))
    args += ("--rerun-triggers", "mtime")
    planned = snakemake("-n", *args).stdout
    assert "rule train_frontier" not in planned
    planned = snakemake("-n", "frontier", *args).stdout
    assert "rule train_sparse:" not in planned  # the design selector's students exist already
    snakemake("frontier", "--cores", "2", *args)
    config = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    grid, rhos = list(config["phase2"]["frontier"]["selectors"]), config["phase2"]["rhos"]
    for name in config["datasets"]:
        folder = tiny_run / f"results/phase2/{name}/attention/frontier"
        rows = read_table(folder / "frontier.tsv")
        assert [(r["selector"], r["rho"]) for r in rows] == [(s, rho) for s in grid for rho in rhos]
        assert all(0 < r["flops"] < r["teacher_flops"] for r in rows)
        for r in rows:
            assert r["compute_reduction"] == pytest.approx(1 - r["flops"] / r["teacher_flops"], rel=1e-6)
        assert sum(r["design_point"] == "yes" for r in rows) == len(rhos)
        only_itself = [r for r in rows if r["selector"] == "position_only"]  # kernel 1: sees its base
        assert all(r["sequence_seen"] == pytest.approx(r["selected_share"]) for r in only_itself)
        criteria = read_table(folder / "criteria.tsv")
        chosen = [r for r in criteria if r["criterion"] == "design_point"]
        assert [r["rho"] for r in chosen] == rhos
        assert {r["criterion"] for r in criteria} >= {
            "accuracy_fraction",
            "compute_reduction",
            "sequence_seen",
            "compute_reduction_from_length",
            "frontier_target",
        }
        assert (folder / "frontier.png").stat().st_size > 0
        assert (
            tiny_run / f"results/phase2/{name}/attention/frontier/separable/rho0.1/seed1/model.pt"
        ).exists()
        assert not (tiny_run / f"results/phase2/{name}/attention/frontier/design/rho0.1").exists()


def test_tiny_expected_motif_tables(tiny_run):
    """Every data set gets its table; a synthetic set lists its planted motifs by role."""
    config = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    for name in config["datasets"]:
        rows = read_table(tiny_run / f"results/phase4/{name}/expected_motifs.tsv")
        assert all(r["found"] in {"yes", "no", "classes only"} for r in rows)
    roles = {
        r["family"]: r["expected"]
        for r in read_table(tiny_run / "results/phase4/tiny_any/expected_motifs.tsv")
    }
    assert {f for f, role in roles.items() if role == "predictive"} == {"SP1", "TBP"}
    assert {f for f, role in roles.items() if role == "decoy"} == {"FOXA1"}


def test_tiny_long_outputs(tiny_run):
    """Learning at length: the attention model is over the memory budget, sparse and CNN are trained."""
    rows = {r["model"]: r for r in read_table(tiny_run / "results/long/summary/summary.tsv")}
    assert set(rows) == {"attention", "sparse", "cnn"} and {r["length"] for r in rows.values()} == {96}
    over = rows["attention"]
    assert over["status"] == "over budget" and over["reason"].startswith("memory: estimated")
    assert np.isnan(over["accuracy"]) and over["estimated_bytes"] > 0.003e9
    for model in ("sparse", "cnn"):
        row = rows[model]
        assert row["status"] == "trained" and 0 <= row["accuracy"] <= 1 and row["peak_rss_train_bytes"] > 0
        assert 0 <= row["oracle_accuracy"] <= 1  # the PWM ceiling at this length
    assert np.isfinite(rows["sparse"]["selection_enrichment"]) and np.isfinite(
        rows["sparse"]["recovery_auroc"]
    )
    assert (tiny_run / "results/long/summary/long_sequences.png").read_bytes()[:4] == b"\x89PNG"


def test_study_page_regenerates_alone(tiny_run_untouched):
    """Deleting the page of a finished run plans only render_report, then renders it."""
    run = tiny_run_untouched
    args = ("--configfile", str(REPO / "tests/config/tiny.yaml"), "--directory", str(run))
    page = run / "results/report/index.html"
    assert page.is_file()
    finished = snakemake("-n", *args)
    assert "Nothing to be done" in finished.stdout + finished.stderr
    shutil.rmtree(run / "results/report")
    plan = snakemake("-n", *args).stdout
    assert planned_rules(plan) == {"render_report": 1, "default": 1}, plan
    snakemake("--cores", "1", *args, "results/report/index.html")
    assert page.is_file() and "The design's success criteria" in page.read_text()
