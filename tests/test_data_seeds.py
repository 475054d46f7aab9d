"""``data_seeds``: every model seed on its own draw of every data set.

The derived data seed, the config key, the planned draw rules (a dry run of the
tiny config), the per-seed-label bootstraps and one real tiny run.
"""

import copy
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml
from snakemake.utils import validate

from conftest import DATA, REPO
from gsattn import layout as L
from gsattn.compare import compare_dataset
from gsattn.seeding import data_seed
from gsattn.stats import accuracy_from_logits, auroc, seed_sequence_bootstrap, two_level_bootstrap
from gsattn.verdicts import VERDICT_B

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
TINY = yaml.safe_load((REPO / "tests" / "config" / "tiny.yaml").read_text())


# ---- config and derived seeds


def test_data_seeds_defaults_to_false_and_must_be_boolean():
    config = {"datasets": {"d": {}}}
    validate(config, SCHEMA)
    assert config["data_seeds"] is False
    with pytest.raises(Exception, match="is not of type 'boolean'"):
        validate({"datasets": {"d": {}}, "data_seeds": "yes"}, SCHEMA)
    assert yaml.safe_load((REPO / "config" / "paper.yaml").read_text())["data_seeds"] is True
    assert yaml.safe_load((REPO / "config" / "config.yaml").read_text())["data_seeds"] is False


def test_derived_seeds_are_deterministic_and_differ_per_seed():
    seeds = [data_seed(3, s) for s in range(1, 11)]
    assert seeds == [data_seed(3, s) for s in range(1, 11)]
    assert len(set(seeds)) == len(seeds)
    assert data_seed(3, 1) != data_seed(4, 1) and data_seed(3, 1) != data_seed(1, 3)
    assert seeds[0] == int(np.random.SeedSequence([3, 1]).generate_state(1)[0])
    assert all(0 <= s < 2**32 for s in seeds)


def test_draw_paths():
    assert L.data_draw("encoded.npz", "d", 2) == "results/data/d/draw2/encoded.npz"
    assert L.data_draw("encoded.npz") == "results/data/{dataset}/draw{seed}/encoded.npz"
    assert L.phase3_draw("floors.tsv", "d", 2) == "results/phase3/d/draw2/floors.tsv"
    assert L.data("encoded.npz", "d") == "results/data/d/encoded.npz"  # unchanged default


# ---- dry runs


def snakemake(*args, check=True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), *args]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def planned_jobs(stdout: str) -> list[dict]:
    """Rule, inputs and wildcards of every job of a ``snakemake -n`` listing."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?(?:rule|checkpoint) \w+:)", stdout):
        head = re.match(r"(?:local)?(?:rule|checkpoint) (\w+):", block)
        if not head:
            continue
        inputs = re.search(r"^\s+input: (.*)$", block, re.M)
        found = re.search(r"^\s+wildcards: (.*)$", block, re.M)
        wildcards = dict(w.split("=", 1) for w in found.group(1).split(", ")) if found else {}
        jobs.append(
            {
                "rule": head.group(1),
                "input": inputs.group(1).split(", ") if inputs else [],
                "wildcards": wildcards,
            }
        )
    return jobs


def dry_run(tmp_path, **overrides) -> list[dict]:
    config = copy.deepcopy(TINY) | overrides
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    (tmp_path / "work").mkdir()
    shutil.copytree(DATA, tmp_path / "work" / "tests" / "data")
    out = snakemake("-n", "--configfile", str(path), "--directory", str(tmp_path / "work")).stdout
    return planned_jobs(out)


PER_SEED_RULES = (
    "train_attention",
    "extract_attention",
    "evaluate_recovery",
    "train_sparse",
    "evaluate_sparse",
    "train_pipeline",
    "extract_pipeline",
    "interpret_model",
)


TRAINING_RULES = ("train_attention", "train_sparse", "train_pipeline")


def reused_from(job: dict) -> list[str]:
    """The data set a training job copies its model from (``models_from``): its training
    data (encoded.npz, same seed's draw) is an input too, for the equality check."""
    source = TINY["datasets"][job["wildcards"]["dataset"]].get("models_from")
    return [source] if source and job["rule"] in TRAINING_RULES else []


@pytest.mark.slow
def test_dry_run_plans_one_draw_per_data_set_and_seed(tmp_path):
    jobs = dry_run(tmp_path, seeds=[1, 2], data_seeds=True)
    rules = [j["rule"] for j in jobs]
    synthetic = [n for n, s in TINY["datasets"].items() if s.get("type", "synthetic") == "synthetic"]
    assert rules.count("plant_motifs_draw") == len(synthetic) * 2
    assert rules.count("import_fasta_draw") == (len(TINY["datasets"]) - len(synthetic)) * 2
    assert rules.count("encode_dataset_draw") == len(TINY["datasets"]) * 2
    assert rules.count("score_pwm_oracle_draw") == rules.count("fit_floors_draw") == len(TINY["datasets"]) * 2
    for rule in ("plant_motifs", "import_fasta", "encode_dataset", "score_pwm_oracle", "fit_floors"):
        assert rule not in rules, rule
    seen = set()
    for job in jobs:
        w = job["wildcards"]
        if job["rule"] in PER_SEED_RULES:
            encoded = [f for f in job["input"] if f.endswith("encoded.npz")]
            expected = [f"results/data/{w['dataset']}/draw{w['seed']}/encoded.npz"]
            expected += [f"results/data/{s}/draw{w['seed']}/encoded.npz" for s in reused_from(job)]
            assert sorted(encoded) == sorted(expected), job
            seen.add(job["rule"])
        if job["rule"] in ("summarize_phase1", "compare_models", "measure_receptive_fields"):
            encoded = [f for f in job["input"] if f.endswith("encoded.npz")]
            assert encoded == [f"results/data/{w['dataset']}/draw{s}/encoded.npz" for s in (1, 2)], job
        if job["rule"] == "compare_models":
            floors = [f for f in job["input"] if f.endswith("floors.tsv")]
            assert floors == [f"results/phase3/{w['dataset']}/draw{s}/floors.tsv" for s in (1, 2)]
        if job["rule"] in ("profile_compute", "profile_sparse"):
            encoded = [f for f in job["input"] if f.endswith("encoded.npz")]
            assert encoded == [f"results/data/{w['dataset']}/draw1/encoded.npz"]
    assert set(PER_SEED_RULES) - {"extract_pipeline"} <= seen


@pytest.mark.slow
def test_dry_run_without_data_seeds_keeps_the_shared_data(tmp_path):
    jobs = dry_run(tmp_path, seeds=[1, 2])
    rules = [j["rule"] for j in jobs]
    assert not [r for r in rules if r.endswith("_draw")]
    assert rules.count("encode_dataset") == len(TINY["datasets"])
    for job in jobs:
        if job["rule"] in PER_SEED_RULES:
            encoded = [f for f in job["input"] if f.endswith("encoded.npz")]
            names = [job["wildcards"]["dataset"], *reused_from(job)]
            assert sorted(encoded) == sorted(f"results/data/{n}/encoded.npz" for n in names), job


# ---- bootstraps with per-seed labels


def _seed_data(rng, n=60, n_seeds=4):
    y = rng.integers(0, 2, size=(n, n_seeds))
    a = rng.normal(size=(n, n_seeds)) + (2 * y - 1) * 0.5
    b = rng.normal(size=(n, n_seeds)) + (2 * y - 1) * 1.0
    return y, a, b


@pytest.mark.parametrize("metric", [accuracy_from_logits, auroc])
def test_per_seed_labels_equal_shared_labels_when_every_seed_has_the_same(metric):
    rng = np.random.default_rng(0)
    y, a, b = _seed_data(rng)
    shared = y[:, 0]
    same = np.repeat(shared[:, None], a.shape[1], axis=1)
    expected = two_level_bootstrap(shared, a, b, metric, n_boot=200, seed=5)
    assert two_level_bootstrap(same, a, b, metric, n_boot=200, seed=5) == expected
    as_lists = [a[:, c] for c in range(a.shape[1])], [b[:, c] for c in range(b.shape[1])]
    assert two_level_bootstrap(list(same.T), *as_lists, metric, n_boot=200, seed=5) == expected
    one = seed_sequence_bootstrap(shared, a, metric, n_boot=200, seed=5)
    assert seed_sequence_bootstrap(same, a, metric, n_boot=200, seed=5) == one


def test_per_seed_labels_score_each_seed_on_its_own_test_set():
    rng = np.random.default_rng(1)
    y, a, b = _seed_data(rng)
    r = two_level_bootstrap(y, a, b, accuracy_from_logits, n_boot=300, seed=2)
    own_a = np.mean([accuracy_from_logits(y[:, c], a[:, c]) for c in range(4)])
    own_b = np.mean([accuracy_from_logits(y[:, c], b[:, c]) for c in range(4)])
    assert r["metric_a"] == pytest.approx(own_a) and r["metric_b"] == pytest.approx(own_b)
    assert r["metric_a"] != pytest.approx(np.mean([accuracy_from_logits(y[:, 0], a[:, c]) for c in range(4)]))
    shared = two_level_bootstrap(y[:, 0], a, b, accuracy_from_logits, n_boot=300, seed=2)
    assert r["difference_ci"] != shared["difference_ci"]
    assert r["difference_ci_low"] <= r["difference"] <= r["difference_ci_high"]


def test_per_seed_resamples_stay_inside_each_seeds_own_test_set():
    """Seed 0's model is right on every one of its sequences, seed 1's wrong on every one of
    its own (different sizes): a resample within each seed's set gives a mean accuracy of
    0, 0.5 or 1 exactly (the drawn seeds), never a value between."""
    y = [np.array([0, 1, 1, 0, 1]), np.array([1, 0, 0, 1, 1, 0, 0])]
    right = [np.where(y[0] == 1, 2.0, -2.0), np.where(y[1] == 1, -2.0, 2.0)]
    r = seed_sequence_bootstrap(y, right, accuracy_from_logits, n_boot=400, seed=0, level=0.99)
    assert r["mean"] == pytest.approx(0.5) and r["n_seeds"] == 2 and r["n"] == 6
    assert r["ci_low"] == pytest.approx(0.0) and r["ci_high"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="labels but"):
        seed_sequence_bootstrap(y, [right[0], right[1][:3]], accuracy_from_logits)


def test_own_test_sets_forces_independent_resamples_for_identical_labels():
    rng = np.random.default_rng(3)
    _, a, b = _seed_data(rng)
    y = rng.integers(0, 2, size=a.shape[0])
    same = np.repeat(y[:, None], a.shape[1], axis=1)
    shared = two_level_bootstrap(y, a, b, accuracy_from_logits, n_boot=200, seed=5)
    own = two_level_bootstrap(same, a, b, accuracy_from_logits, n_boot=200, seed=5, own_test_sets=True)
    assert own["difference"] == pytest.approx(shared["difference"])
    assert own["difference_ci"] != shared["difference_ci"]


def test_compare_dataset_takes_each_seeds_own_test_labels():
    rng = np.random.default_rng(4)
    seeds = [1, 2, 3, 4, 5]
    y = {s: rng.integers(0, 2, size=40 + s) for s in seeds}
    att = {s: rng.normal(size=y[s].size) + (2 * y[s] - 1) * 0.3 for s in seeds}
    jp = {s: rng.normal(size=y[s].size) + (2 * y[s] - 1) * 3.0 for s in seeds}
    per_seed = []
    for model, logits in (("attention", att), ("joint_pipeline", jp)):
        for s in seeds:
            acc = accuracy_from_logits(y[s], logits[s])
            per_seed += [
                {"model": model, "seed": s, "metric": "accuracy", "value": acc},
                {"model": model, "seed": s, "metric": "auroc", "value": auroc(y[s], logits[s])},
                {"model": model, "seed": s, "metric": "auprc", "value": acc},
            ]
    rows, outcome = compare_dataset(
        per_seed, {"y": y, "attention": att, "joint_pipeline": jp}, 0.01, 200, 0, 0.05
    )
    mcnemar = [r for r in rows if r["test"] == "mcnemar"]
    assert [r["n"] for r in mcnemar] == [y[s].size for s in seeds]
    boot = next(r for r in rows if r["test"] == "bootstrap" and r["metric"] == "accuracy")
    assert "own draw" in boot["note"] and boot["ci_low"] > 0
    assert outcome == VERDICT_B


# ---- one real tiny run


@pytest.mark.slow
def test_a_tiny_run_with_data_seeds_gives_each_seed_its_own_data(tmp_path):
    config = copy.deepcopy(TINY)
    config["datasets"] = {"tiny_any": config["datasets"]["tiny_any"]}
    config |= {"seeds": [1, 2], "data_seeds": True}
    for phase in ("phase1", "phase2", "phase3"):
        config[phase]["training"] |= {"max_epochs": 1, "patience": 1}
    config["phase2"]["rhos"] = [0.1]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    work = tmp_path / "work"
    shutil.copytree(DATA, work / "tests" / "data")
    snakemake("--cores", "2", "--configfile", str(path), "--directory", str(work))
    draws = [np.load(work / L.data_draw("encoded.npz", "tiny_any", s)) for s in (1, 2)]
    assert not np.array_equal(draws[0]["tokens"], draws[1]["tokens"])
    assert not np.array_equal(draws[0]["split"], draws[1]["split"]) or not np.array_equal(
        draws[0]["labels"], draws[1]["labels"]
    )
    assert not (work / L.data("encoded.npz", "tiny_any")).exists()
    assert (work / L.phase3_all("verdicts.tsv")).exists()
    assert (work / L.phase1_summary("criteria.tsv", "tiny_any")).exists()


# ---- fasta draws


def _byo_draw(labels, model_seed: int):
    from gsattn.datasets import import_fasta_dataset

    spec = TINY["datasets"]["tiny_byo"]
    return import_fasta_dataset(
        str(DATA / "byo" / "sequences.fa"),
        str(labels),
        None,
        length=spec["length"],
        crop=spec["crop"],
        split_fractions=(0.5, 0.25, 0.25),
        seed=data_seed(1, model_seed),
        decoy_motifs=[],
    )


def test_fasta_draws_keep_the_sequences_and_redraw_the_split_unless_a_column_fixes_it(tmp_path):
    first, second = (_byo_draw(DATA / "byo" / "labels.tsv", s) for s in (1, 2))
    assert list(first.records) == list(second.records)
    assert list(first.split) != list(second.split)
    lines = (DATA / "byo" / "labels.tsv").read_text().splitlines()
    fixed = tmp_path / "labels.tsv"
    rows = [f"{line}\t{split}" for line, split in zip(lines[1:], first.split, strict=True)]
    fixed.write_text("\n".join([lines[0] + "\tsplit", *rows]) + "\n")
    kept = [_byo_draw(fixed, s) for s in (1, 2)]
    assert list(kept[0].split) == list(kept[1].split) == list(first.split)
