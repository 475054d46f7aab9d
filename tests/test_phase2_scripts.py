"""Phase 2 rule scripts on a tiny planted data set: distil → evaluate → profile → summarise."""

import importlib

import numpy as np
import pytest
import torch
from snakemake.utils import validate

from conftest import REPO
from gsattn.io import read_table
from gsattn.sparse import load_sparse

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
TEACHER = {"positional": "sinusoidal", "stem": "conv", "stem_kernel": 5, "stem_channels": 8, "pooling": "cls"}
NAMES = (
    "plant_motifs",
    "encode_dataset",
    "train_attention",
    "extract_attention",
    "evaluate_recovery",
    "profile_compute",
    "train_sparse",
    "evaluate_sparse",
    "profile_sparse",
    "summarize_phase2",
)
scripts = {name: importlib.import_module(name) for name in NAMES}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Phase 1 teacher (seed 1) and two sparse models (rho 0.1, 0.2) on 80 x 50 bp."""
    tmp = tmp_path_factory.mktemp("phase2")
    config = {"datasets": {"d": {"n_sequences": 80, "length": 50, "seed": 3}}}
    validate(config, SCHEMA)
    files = [str(tmp / n) for n in ("seq.fa", "labels.tsv", "sites.bed", "motifs.tsv")]
    scripts["plant_motifs"].run(config["datasets"]["d"], *files)
    enc = str(tmp / "encoded.npz")
    scripts["encode_dataset"].run(*files, 50, enc, str(tmp / "summary.tsv"))
    teacher = {k: str(tmp / f"teacher_{k}") for k in ("model", "hparams", "history", "metrics")}
    training = config["phase1"]["training"] | {"max_epochs": 2, "batch_size": 16}
    scripts["train_attention"].run(enc, TEACHER, training, 1, 1, teacher, "cpu")
    scripts["extract_attention"].run(enc, teacher["model"], teacher["hparams"], 4, 1, str(tmp / "truth.npz"))
    attr = {"table": str(tmp / "rec.tsv"), "attributions": str(tmp / "attr.npz")}
    scripts["evaluate_recovery"].run(enc, teacher["model"], teacher["hparams"], 3, 0, 1, attr)
    profile = {"batch_size": 4, "warmup": 1, "repeats": 2}
    teacher_out = {"compute": str(tmp / "teacher_compute.tsv"), "flops": str(tmp / "teacher_flops.tsv")}
    scripts["profile_compute"].run(enc, TEACHER, profile, "cpu", 1, teacher_out)
    models = {}
    for rho in ("0.1", "0.2"):
        folder = tmp / f"rho{rho}" / "seed1"
        folder.mkdir(parents=True)
        out = {k: str(folder / k) for k in ("model", "hparams", "history")}
        model_spec = config["phase2"]["model"] | {"selector_kernel": 5}
        sparse_training = config["phase2"]["training"] | {"max_epochs": 3}
        scripts["train_sparse"].run(
            enc,
            {"model": teacher["model"], "hparams": teacher["hparams"]},
            str(tmp / "truth.npz"),
            model_spec,
            float(rho),
            sparse_training,
            0.5,
            1,
            1,
            out,
            "cpu",
        )
        inputs = {"encoded": enc, "model": out["model"], "hparams": out["hparams"]}
        inputs |= {"truth": str(tmp / "truth.npz"), "attributions": attr["attributions"]}
        evaluated = {k: str(folder / f"{k}.out") for k in ("metrics", "selection", "predictions")}
        evaluated["predictions"] = str(folder / "predictions.npz")
        scripts["evaluate_sparse"].run(inputs, 19, 100, 1, 1, evaluated)
        compute = {
            "compute": str(tmp / f"rho{rho}" / "compute.tsv"),
            "flops": str(tmp / f"rho{rho}" / "flops.tsv"),
        }
        scripts["profile_sparse"].run(enc, model_spec, float(rho), profile, "cpu", 1, compute)
        models[rho] = out | evaluated | compute
    return tmp, models, teacher_out


def test_sparse_model_reloads_and_keeps_k_positions(pipeline):
    tmp, models, _ = pipeline
    model, info = load_sparse(models["0.1"]["model"], models["0.1"]["hparams"])
    assert info["k"] == 5 and info["sparse"]["rho"] == 0.1 and info["task_weight"] == 0.5
    tokens = torch.zeros(2, 50, dtype=torch.long)
    assert model.approximate(tokens)["index"].shape == (2, 5)
    with np.load(models["0.2"]["predictions"], allow_pickle=False) as pred:
        assert pred["index"].shape[1] == 10 and pred["sparse_logits"].shape == pred["full_logits"].shape


def test_evaluation_tables(pipeline):
    _, models, _ = pipeline
    metrics = {r["metric"]: r for r in read_table(models["0.1"]["metrics"])}
    assert {"mse", "cosine", "relative_error", "accuracy_ratio", "auroc_ratio"} <= set(metrics)
    assert (
        metrics["accuracy_ratio"]["ci_low"]
        <= metrics["accuracy_ratio"]["value"]
        <= metrics["accuracy_ratio"]["ci_high"]
    )
    selection = read_table(models["0.1"]["selection"])
    assert {r["selector"] for r in selection} == {"learned", "random", "attention_topk", "saliency_topk"}
    assert {r["group"] for r in selection} == {"recovery", "decoy"}


def test_criteria_table_says_which_claims_hold(pipeline, tmp_path):
    tmp, models, teacher_out = pipeline
    scaling = tmp_path / "scaling.tsv"
    scaling.write_text(
        "method\trho\tlength\tmedian_s\tiqr_s\tpeak_bytes\trepeats\tstatus\n"
        "sparse\t0.1\t100\t0.001\t0\t1000\t1\tok\nsparse\t0.1\t1000\t0.01\t0\t10000\t1\tok\n"
    )
    speedups = tmp_path / "speedups.tsv"
    speedups.write_text("rho\tlength\tspeedup_vs_sdpa\n0.1\t4096\t25\n0.1\t16384\t50\n")
    inputs = {
        "metrics": [m["metrics"] for m in models.values()],
        "selection": [m["selection"] for m in models.values()],
        "predictions": [m["predictions"] for m in models.values()],
        "sparse_compute": [m["compute"] for m in models.values()],
        "teacher_compute": teacher_out["compute"],
        "speedups": str(speedups),
        "scaling": str(scaling),
    }
    out = {k: str(tmp_path / f"{k}.tsv") for k in ("criteria", "metrics", "selection")}
    criteria = {"accuracy_fraction": 0.95, "compute_reduction": 0.9, "alpha": 0.01}
    scripts["summarize_phase2"].run(inputs, criteria, 200, out)
    rows = read_table(out["criteria"])
    names = {(r["criterion"], str(r["rho"])) for r in rows}
    assert ("accuracy_fraction", "0.1") in names and ("compute_reduction", "0.2") in names
    assert ("selection_is_motifs", "0.1") in names and ("memory_growth_linear", "0.1") in names
    verdicts = {r["criterion"]: r["verdict"] for r in rows if str(r["rho"]) == "0.1"}
    assert (
        verdicts["speedup_vs_sdpa_L4096"] == "holds" and verdicts["speedup_vs_sdpa_L16384"] == "does not hold"
    )
    assert verdicts["memory_growth_linear"] == "holds"  # slope 1 on the hand-made table
    assert all(r["verdict"] in {"holds", "does not hold", "inconclusive"} for r in rows)
    compute = [r for r in rows if r["criterion"] == "compute_reduction"]
    assert all(0 < r["measured"] < 1 for r in compute)


def test_verdict_rule():
    verdict = scripts["summarize_phase2"].verdict
    assert verdict(0.97, 0.96, 0.95) == "holds"
    assert verdict(0.97, 0.90, 0.95) == "inconclusive"
    assert verdict(0.90, 0.85, 0.95) == "does not hold"
    assert verdict(float("nan"), 0.0, 0.95) == "does not hold"
