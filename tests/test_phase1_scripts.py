"""Phase 1 rule scripts on a tiny planted data set (train → extract → recovery → profile)."""

import importlib
import json

import numpy as np
import pytest
from snakemake.utils import validate

from conftest import REPO
from gsattn.datasets import load_encoded
from gsattn.io import read_table

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
VARIANT = {
    "positional": "sinusoidal",
    "stem": "conv",
    "stem_kernel": 5,
    "stem_channels": 8,
    "pooling": "mean",
}
scripts = {
    name: importlib.import_module(name)
    for name in (
        "plant_motifs",
        "encode_dataset",
        "train_attention",
        "extract_attention",
        "evaluate_recovery",
    )
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("phase1")
    config = {
        "datasets": {"d": {"n_sequences": 60, "length": 50, "seed": 2}},
        "phase1": {"n_attention_maps": 5},
    }
    validate(config, SCHEMA)
    files = [str(tmp / n) for n in ("seq.fa", "labels.tsv", "sites.bed", "motifs.tsv")]
    scripts["plant_motifs"].run(config["datasets"]["d"], *files)
    scripts["encode_dataset"].run(*files, 50, str(tmp / "encoded.npz"), str(tmp / "summary.tsv"))
    out = {k: str(tmp / k) for k in ("model", "hparams", "history", "metrics")}
    training = config["phase1"]["training"] | {"max_epochs": 2}
    scripts["train_attention"].run(str(tmp / "encoded.npz"), VARIANT, training, 1, 1, out, "cpu")
    return tmp, out


def test_training_outputs(trained):
    tmp, out = trained
    hparams = json.loads(open(out["hparams"]).read())
    assert (
        hparams["model"]["stem_channels"] == 8 and hparams["seed"] == 1 and hparams["model"]["max_len"] == 50
    )
    assert len(read_table(out["history"])) == hparams["epochs_run"] <= 2
    rows = read_table(out["metrics"])
    assert {(r["split"], r["metric"]) for r in rows} >= {
        ("test", "accuracy"),
        ("test", "auroc"),
        ("test", "auprc"),
    }


def test_ground_truth_loads_back_with_ids_shapes_and_splits(trained):
    tmp, out = trained
    scripts["extract_attention"].run(
        str(tmp / "encoded.npz"), out["model"], out["hparams"], 5, 1, str(tmp / "gt.npz")
    )
    data = load_encoded(str(tmp / "encoded.npz"))
    with np.load(tmp / "gt.npz", allow_pickle=False) as gt:
        assert gt["ids"].tolist() == data["ids"].tolist()
        assert gt["split"].tolist() == data["split"].tolist()
        assert gt["outputs"].shape == (60, 50, 16) and gt["outputs"].dtype == np.float16
        assert gt["head_outputs"].shape == (60, 4, 50, 4)
        assert gt["received"].shape == (60, 4, 50) and gt["pooled"].shape == (60, 16)
        assert gt["maps"].shape == (5, 4, 50, 50) and len(gt["map_rows"]) == 5
        assert set(data["split"][gt["map_rows"]]) == {"test"}  # test split first
        np.testing.assert_allclose(gt["maps"].astype(np.float32).sum(-1), 1.0, atol=5e-3)
        np.testing.assert_allclose(gt["received"].sum(-1), 1.0, atol=1e-5)


def test_recovery_table_has_recovery_and_decoy_groups(trained):
    tmp, out = trained
    paths = {"table": str(tmp / "rec.tsv"), "attributions": str(tmp / "attr.npz")}
    scripts["evaluate_recovery"].run(str(tmp / "encoded.npz"), out["model"], out["hparams"], 3, 0, 1, paths)
    rows = read_table(paths["table"])
    assert {r["group"] for r in rows} == {"recovery", "decoy"}
    assert {r["method"] for r in rows} == {"attention", "saliency"}
    assert {str(r["head"]) for r in rows if r["method"] == "attention"} == {"mean", "0", "1", "2", "3"}
    assert {r["metric"] for r in rows} >= {"auroc", "auprc", "enrichment", "top1", "top3"}
    with np.load(paths["attributions"], allow_pickle=False) as attr:
        assert attr["attention"].shape == attr["saliency"].shape == (len(attr["rows"]), 50)


def test_the_per_seed_table_names_the_device_each_model_trained_on():
    summarize = importlib.import_module("summarize_phase1")
    assert summarize.trained_on({"device": "cpu", "gpu": None}) == "cpu"
    assert summarize.trained_on({"device": "cuda", "gpu": "NVIDIA H200"}) == "cuda (NVIDIA H200)"
    assert summarize.trained_on({"seed": 1}) == "NA"  # hparams of a run before devices were recorded
