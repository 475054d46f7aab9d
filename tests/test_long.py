"""Learning at length (gsattn.long, gsattn.long_task and the long_sequences rule scripts)."""

import importlib
import json
import math

import numpy as np
import pytest
import torch
from snakemake.utils import validate

from conftest import REPO
from gsattn import layout as L
from gsattn.config import ConfigError
from gsattn.io import read_table
from gsattn.long import (
    OVER_BUDGET,
    TRAINED,
    TrainingStep,
    budget_row,
    build_long_model,
    end_to_end_sparse,
    epoch_steps,
    estimate_train_bytes,
    fits_budget,
    model_config,
    received_batch_size,
    selection_headline,
    selector_weights,
    summary_rows,
)
from gsattn.long_task import base_dataset, long_spec
from gsattn.sparse import SparseConfig
from gsattn.train import Split, TrainConfig, fit, predict

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
SPECS = {
    "attention": {
        "positional": "sinusoidal",
        "stem": "conv",
        "stem_kernel": 5,
        "stem_channels": 8,
        "pooling": "cls",
    },
    "sparse": {"rho": 0.1, "selector_kernel": 5, "selector_channels": 8},
    "cnn": {"cnn_kernel": 5, "cnn_channels": 8},
}
BUDGET = {"seconds": 100.0, "memory_gb": 1.0}
TRAINING = {"batch_size": 10, "max_epochs": 4}
SIZES = {"length": 50, "n_train": 100, "n_validation": 30}  # 10 + 2 * 30 / 30 = 12 steps an epoch


# --------------------------------------------------------------------------- the budget rule
def test_fits_budget_on_both_sides_of_each_edge():
    assert fits_budget(100.0, 1e9, BUDGET) == (True, "")  # at both limits: fits
    fits, reason = fits_budget(100.001, 1e9, BUDGET)
    assert not fits and reason.startswith("time: estimated 100 s > 100 s")
    fits, reason = fits_budget(100.0, 1e9 + 1, BUDGET)
    assert not fits and reason.startswith("memory:") and "time" not in reason
    fits, reason = fits_budget(math.nan, 1e9, BUDGET)  # no estimate never fits
    assert not fits


def test_epoch_steps_count_training_batches_and_two_validation_passes():
    assert epoch_steps(100, 30, 10) == 10 + 2
    assert epoch_steps(101, 0, 10) == 11


@pytest.mark.parametrize(("step", "status"), [(100.0 / 48, TRAINED), (100.0 / 48 * 1.001, OVER_BUDGET)])
def test_budget_row_flips_where_the_extrapolated_time_passes_the_budget(step, status):
    """12 steps an epoch x 4 epochs = 48 steps: a step of 100/48 s is exactly the budget."""
    config = model_config("cnn", 50, SPECS)
    row = budget_row("cnn", config, SIZES, TRAINING, BUDGET, lambda: step)
    assert row["status"] == status and row["epoch_steps"] == 12
    assert row["estimated_seconds"] == pytest.approx(step * 48)
    assert (row["reason"] == "") == (status == TRAINED)


def test_budget_row_over_the_memory_budget_is_never_timed():
    config = model_config("attention", 50, SPECS)
    needed = estimate_train_bytes("attention", config, 10, 50)

    def never():
        raise AssertionError("the timing probe ran although the memory estimate is over budget")

    row = budget_row(
        "attention", config, SIZES, TRAINING, BUDGET | {"memory_gb": needed / 1e9 * 0.999}, never
    )
    assert row["status"] == OVER_BUDGET and row["reason"].startswith("memory:")
    assert math.isnan(row["estimated_seconds"]) and row["estimated_bytes"] == needed
    at_edge = budget_row(
        "attention", config, SIZES, TRAINING, BUDGET | {"memory_gb": needed / 1e9}, lambda: 0.0
    )
    assert at_edge["status"] == TRAINED


def test_memory_estimate_is_linear_in_length_and_batch_and_counts_the_channels():
    config = model_config("attention", 100, SPECS)
    # 4 bytes x 8 floats x (8 stem channels + 4 x 16) x 10 sequences x (100 + CLS)
    assert estimate_train_bytes("attention", config, 10, 100) == 4 * 8 * 72 * 10 * 101
    cnn = model_config("cnn", 100, SPECS)
    assert estimate_train_bytes("cnn", cnn, 10, 200) == 2 * estimate_train_bytes("cnn", cnn, 10, 100)
    assert estimate_train_bytes("cnn", cnn, 20, 100) == 2 * estimate_train_bytes("cnn", cnn, 10, 100)
    with pytest.raises(ValueError, match="unknown long-sequence model"):
        estimate_train_bytes("rnn", cnn, 10, 100)


# --------------------------------------------------------------------------- the task and the models
def test_long_spec_keeps_the_generator_and_draws_uniform_positions():
    base = validate_dataset({"position": {"mode": "centred", "sd": 5}, "class_rule": {"mode": "all"}})
    spec = long_spec(base, 2000, 300)
    assert (spec["length"], spec["n_sequences"], spec["position"]["mode"]) == (2000, 300, "uniform")
    assert {k: v for k, v in spec.items() if k not in ("length", "n_sequences", "position")} == {
        k: v for k, v in base.items() if k not in ("length", "n_sequences", "position")
    }
    assert base["position"]["mode"] == "centred"  # the base entry is not changed


def validate_dataset(entry: dict) -> dict:
    config = {"datasets": {"d": entry}}
    validate(config, SCHEMA)
    return config["datasets"]["d"]


def test_base_dataset_is_named_or_the_first_synthetic_one():
    datasets = {"u": {"type": "fasta"}, "a": {"type": "synthetic"}, "b": {"type": "synthetic"}}
    assert base_dataset(datasets, None) == "a" and base_dataset(datasets, "b") == "b"
    assert base_dataset({"u": {"type": "fasta"}}, None) is None  # the task is off
    with pytest.raises(ConfigError, match="long_sequences.base: 'u' is not a synthetic data set"):
        base_dataset(datasets, "u")


def test_end_to_end_sparse_has_every_parameter_trainable():
    model = end_to_end_sparse(SparseConfig(rho=0.2, max_len=30, selector_kernel=5), seed=1)
    assert all(p.requires_grad for p in model.parameters())
    again = end_to_end_sparse(SparseConfig(rho=0.2, max_len=30, selector_kernel=5), seed=1)
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True)
    )


def _planted_task(n: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ACGT; the positives carry GGGGGGGG at a random position: trivially learnable."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 4, size=(n, length))
    labels = rng.integers(0, 2, size=n)
    for i in np.flatnonzero(labels):
        start = rng.integers(0, length - 8)
        tokens[i, start : start + 8] = 2
    return torch.from_numpy(tokens), torch.from_numpy(labels.astype(np.float32))


def test_the_end_to_end_sparse_model_learns_a_trivial_task_and_its_classifier_changes():
    tokens, labels = _planted_task(600, 60, seed=0)
    model = end_to_end_sparse(SparseConfig(rho=0.1, max_len=60, selector_kernel=9), seed=2)
    before = model.classifier.weight.detach().clone()
    train = Split(tokens[:400], labels[:400], np.arange(400))
    val = Split(tokens[400:500], labels[400:500], np.arange(100))
    cfg = TrainConfig(batch_size=32, learning_rate=0.01, max_epochs=15, patience=5)
    torch.set_num_threads(1)
    history, best = fit(model, train, val, cfg, seed=2)
    model.load_state_dict(best)
    accuracy = float(((predict(model, tokens[500:]) > 0) == labels[500:].numpy()).mean())
    assert accuracy > 0.85  # chance is about 0.5
    assert not torch.allclose(model.classifier.weight, before)


def test_training_step_module_trains_even_under_no_grad():
    model = build_long_model("cnn", model_config("cnn", 20, SPECS), seed=1)
    step = TrainingStep(model, learning_rate=0.1)
    before = model.output.weight.detach().clone()
    step.eval()
    with torch.no_grad():
        loss = step(torch.randint(0, 4, (4, 20)))
    assert torch.isfinite(loss) and not torch.equal(model.output.weight, before)


def test_selector_weights_are_a_softmax_over_valid_positions():
    scores = np.array([[0.0, 1.0, 2.0, -np.inf], [3.0, 3.0, 0.0, 0.0]])
    weights = selector_weights(scores, np.array([3, 4]), temperature=1.0)
    assert weights[0, 3] == 0 and np.allclose(weights.sum(axis=1), 1)
    assert np.allclose(weights[0, :3], np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum())
    assert np.argsort(weights[0, :3]).tolist() == [0, 1, 2]


def test_received_batch_size_keeps_the_maps_under_the_limit():
    assert received_batch_size(4, 99, limit=4 * 4 * 100 * 100 * 3) == 3
    assert received_batch_size(4, 16383, limit=1) == 1


# --------------------------------------------------------------------------- the summary
def _seed_row(length, model, seed, status=TRAINED, reason=""):
    row = {"length": length, "model": model, "seed": seed, "status": status, "reason": reason}
    row |= {"estimated_seconds": 50.0, "estimated_bytes": 1e6}
    values = {"seconds_to_best": 10.0 * seed, "train_seconds": 20.0, "best_epoch": 3}
    values |= {"cpu_seconds_to_best": 5.0 * seed, "train_cpu_seconds": 10.0}
    values |= {"peak_rss_train_bytes": 2e6, "peak_rss_inference_bytes": 1e6, "sequences_per_second": 100.0}
    return row | (values if status == TRAINED else dict.fromkeys(values, math.nan))


def test_summary_rows_keep_over_budget_points_marked():
    per_seed = [_seed_row(500, "attention", s) for s in (1, 2)]
    per_seed += [
        _seed_row(1000, "attention", s, OVER_BUDGET, "time: estimated 900 s > 360 s") for s in (1, 2)
    ]
    per_seed += [_seed_row(1000, "cnn", s) for s in (1, 2)]
    accuracy = {(500, "attention"): {"mean": 0.8, "ci_low": 0.7, "ci_high": 0.9}}
    rows = summary_rows(per_seed, accuracy, {}, {})
    assert [(r["length"], r["model"], r["status"]) for r in rows] == [
        (500, "attention", TRAINED),
        (1000, "attention", OVER_BUDGET),
        (1000, "cnn", TRAINED),
    ]
    over = rows[1]
    assert over["reason"] == "time: estimated 900 s > 360 s" and over["n_seeds"] == 0
    assert math.isnan(over["accuracy"]) and math.isnan(over["seconds_to_best"])
    assert over["estimated_seconds"] == 50.0  # the estimate is kept
    assert rows[0]["seconds_to_best"] == 15.0 and rows[0]["accuracy_ci_low"] == 0.7
    assert len({tuple(r) for r in rows}) == 1  # one set of columns for every row


def test_selection_headline_reads_the_predictive_union_of_its_selector():
    rows = [
        {
            "group": "recovery",
            "motif": "all",
            "selector": "learned",
            "precision": 0.5,
            "chance": 0.1,
            "enrichment": 5.0,
            "p_value": p,
        }
        for p in (0.001, 0.02)
    ]
    rows += [
        {
            "group": "recovery",
            "motif": "all",
            "selector": "random",
            "precision": 0.1,
            "chance": 0.1,
            "enrichment": 1.0,
            "p_value": 0.5,
        }
    ]
    rows += [
        {
            "group": "decoy",
            "motif": "all",
            "selector": "learned",
            "precision": 0.0,
            "chance": 0.1,
            "enrichment": 0.0,
            "p_value": 1.0,
        }
    ]
    found = selection_headline(rows, "learned")
    assert found["selection_enrichment"] == 5.0 and found["random_enrichment"] == 1.0
    assert found["selection_p_max"] == 0.02


# --------------------------------------------------------------------------- layout
def test_long_paths():
    assert L.long_data("encoded.npz", 1000) == "results/long/L1000/data/encoded.npz"
    assert L.long_budget("budget.tsv", 1000, "attention") == "results/long/L1000/attention/budget.tsv"
    assert L.long_model("model.pt", 16384, "sparse", 2) == "results/long/L16384/sparse/seed2/model.pt"
    assert L.long_model("m") == "results/long/L{length}/{model}/seed{seed}/m"
    assert L.long_summary("summary.tsv") == "results/long/summary/summary.tsv"
    assert L.log("train_long", L.long_key(500, "cnn", 1)) == "results/logs/train_long/L500/cnn/seed1.log"


# --------------------------------------------------------------------------- the rule scripts
NAMES = (
    "plant_motifs",
    "encode_dataset",
    "check_long_budget",
    "train_long",
    "evaluate_long",
    "summarize_long",
)


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    """The long-sequence scripts at one length: attention over the memory budget, sparse and CNN trained."""
    scripts = {name: importlib.import_module(name) for name in NAMES}
    tmp = tmp_path_factory.mktemp("long")
    base = validate_dataset({"n_sequences": 60, "length": 40, "seed": 3})
    files = [str(tmp / n) for n in ("seq.fa", "labels.tsv", "sites.bed", "motifs.tsv")]
    scripts["plant_motifs"].run(long_spec(base, 80, 60), *files)
    enc = str(tmp / "encoded.npz")
    scripts["encode_dataset"].run(*files, 80, enc, str(tmp / "summary.tsv"))
    training = {"batch_size": 16, "max_epochs": 2, "patience": 2}
    needs = [estimate_train_bytes(m, model_config(m, 80, SPECS), 16, 80) for m in ("sparse", "cnn")]
    budget = {"seconds": 600.0, "memory_gb": max(needs) / 1e9, "probe_steps": 1}  # the attention needs more
    keys, out = [], {k: [] for k in ("metrics", "predictions", "recovery", "selection")}
    for model in ("attention", "sparse", "cnn"):
        ids = {"length": 80, "model": model}
        folder = tmp / model
        scripts["check_long_budget"].run(
            enc, model, SPECS, training, budget, 1, 1, str(folder / "budget.tsv"), ids
        )
        files = {
            k: str(folder / f)
            for k, f in (("model", "model.pt"), ("hparams", "hparams.json"), ("history", "h.tsv"))
        }
        scripts["train_long"].run(enc, str(folder / "budget.tsv"), model, SPECS, training, 1, 1, files, "cpu")
        evaluated = {k: str(folder / f"{k}.{'npz' if k == 'predictions' else 'tsv'}") for k in out}
        params = {"rho": 0.1, "top_k": 3, "tolerance": 0, "n_permutations": 20}
        params["profile"] = {"batch_size": 4, "warmup": 0, "repeats": 1}
        inputs = {"encoded": enc, "model": files["model"], "hparams": files["hparams"]}
        scripts["evaluate_long"].run(inputs, params, ids | {"seed": 1}, 1, evaluated)
        keys.append(ids | {"seed": 1})
        for k in out:
            out[k].append(evaluated[k])
    summary = {k: str(tmp / "summary" / f"{k}.tsv") for k in ("summary", "per_seed", "recovery", "selection")}
    summary["figure"] = str(tmp / "summary" / "long.png")
    scripts["summarize_long"].run(out, keys, 100, summary)
    return tmp, summary


def test_scripts_mark_the_over_budget_model_and_train_the_other(long_run):
    tmp, summary = long_run
    attention = json.loads((tmp / "attention" / "hparams.json").read_text())
    assert attention["status"] == OVER_BUDGET and attention["reason"].startswith("memory:")
    assert torch.load(tmp / "attention" / "model.pt", weights_only=True) == {}
    cnn = json.loads((tmp / "cnn" / "hparams.json").read_text())
    assert cnn["status"] == TRAINED and cnn["best_epoch"] in (1, 2)
    rows = {r["model"]: r for r in read_table(summary["summary"])}
    assert rows["attention"]["status"] == OVER_BUDGET and math.isnan(rows["attention"]["accuracy"])
    assert "memory: estimated" in rows["attention"]["reason"]
    assert rows["cnn"]["status"] == TRAINED and 0 <= rows["cnn"]["accuracy"] <= 1
    assert rows["cnn"]["peak_rss_train_bytes"] > 0 and rows["cnn"]["sequences_per_second"] > 0
    assert read_table(tmp / "attention" / "recovery.tsv") == []
    assert rows["sparse"]["status"] == TRAINED and np.isfinite(rows["sparse"]["recovery_auroc"])
    selection = read_table(summary["selection"])
    assert {r["selector"] for r in selection} == {"learned", "random"}
    assert {r["model"] for r in read_table(summary["recovery"])} == {"sparse"}
    assert (tmp / "summary" / "long.png").read_bytes()[:4] == b"\x89PNG"
