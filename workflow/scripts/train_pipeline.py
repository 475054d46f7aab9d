"""Rule train_pipeline: train one Phase 3 model (joint pipeline or CNN) with one seed.

Same data, splits, seeds, early stopping and loss as Phase 1. The joint
pipeline's optimizer has two parameter groups (embeddings and the rest) with
their own learning rates. Writes weights, hyper-parameters, history, metrics on
every split (each row led by the model's ``dataset``, ``model`` and ``seed``,
from the rule) and the test logits for the head-to-head comparison. For a data set with
``models_from`` (``reuse`` given) the source data set's model of the same name and seed
is copied and evaluated instead (:mod:`gsattn.reuse`).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging
import time

import numpy as np
import torch

from gsattn.datasets import load_encoded
from gsattn.io import atomic_outputs, save_npz, write_table
from gsattn.logs import rule_logging
from gsattn.pipeline import (
    PipelineConfig,
    build_pipeline_model,
    load_pipeline,
    pipeline_flops,
    pipeline_optimizer,
    save_pipeline,
)
from gsattn.reuse import check_same_training_data, copy_reused, reuse_argument, write_reused_hparams
from gsattn.train import (
    TrainConfig,
    device_info,
    fit,
    load_split,
    metrics,
    predict,
    prepare_device,
)

log = logging.getLogger("train_pipeline")


def run(
    encoded: str,
    model_name: str,
    spec: dict,
    training: dict,
    rates: dict,
    seed: int,
    threads: int,
    out: dict,
    device: str = "auto",
    ids: dict | None = None,
    reuse: dict | None = None,
) -> None:
    """Train and save; ``out`` has keys model, hparams, history, metrics, predictions.

    ``model_name``: ``joint_pipeline`` or ``cnn``; ``ids`` lead every metrics row;
    ``reuse`` (keys model, hparams, history, encoded, source): the model to evaluate
    instead of training one."""
    ids = ids or {}
    if reuse:
        evaluate_reused(encoded, reuse, out, ids)
        return
    kind = model_name
    dev = prepare_device(device, threads)
    arrays = load_encoded(encoded)
    cfg = TrainConfig(**(training | {"task": "binary"}))
    splits = {s: load_split(arrays, s, cfg.task) for s in ("train", "validation", "test")}
    config = PipelineConfig(kind=kind, length=arrays["tokens"].shape[1], **spec)
    model = build_pipeline_model(config, seed).to(dev)
    log.info("%s seed %d on device %s, %d CPU thread(s)", kind, seed, dev, torch.get_num_threads())
    optimizer = None
    if kind == "joint_pipeline":
        optimizer = pipeline_optimizer(model, rates["embedding"], rates["rest"], cfg.weight_decay)
    start = time.perf_counter()
    history, best = fit(
        model, splits["train"], splits["validation"], cfg, seed, optimizer=optimizer, device=dev
    )
    model.load_state_dict(best)
    best_epoch = min(history, key=lambda r: r["val_loss"])["epoch"]
    rows, test_logits = split_metrics(model, splits, ids)
    extra = {"training": cfg.to_dict(), "seed": seed, "learning_rates": rates if optimizer else None}
    extra |= {
        "epochs_run": len(history),
        "best_epoch": best_epoch,
        "train_seconds": time.perf_counter() - start,
    }
    extra |= {"seconds_to_best": history[best_epoch - 1]["seconds"], "flops": pipeline_flops(config)}
    extra |= {"n_parameters": sum(p.numel() for p in model.parameters()), "torch": torch.__version__}
    extra |= device_info(dev)
    test = splits["test"]
    with atomic_outputs(
        out["model"], out["hparams"], out["history"], out["metrics"], out["predictions"]
    ) as p:
        save_pipeline(model.cpu(), config, str(p[0]), str(p[1]), extra)
        with open(p[2], "w") as handle:
            write_table(handle, history)
        with open(p[3], "w") as handle:
            write_table(handle, rows)
        save_npz(p[4], {"rows": test.index.astype(np.int32), "logits": test_logits.astype(np.float32)})


def split_metrics(model, splits: dict, ids: dict) -> tuple[list[dict], np.ndarray]:
    """Metric rows (``ids`` + split, metric, value, n) on every split and the test logits (N_test,)."""
    rows, test_logits = [], None
    for name, data in splits.items():
        logits = predict(model, data.tokens)
        test_logits = logits if name == "test" else test_logits
        for metric, value in metrics("binary", data.targets.numpy(), logits).items():
            rows.append(ids | {"split": name, "metric": metric, "value": value, "n": len(data.targets)})
    return rows, test_logits


def evaluate_reused(encoded: str, reuse: dict, out: dict, ids: dict) -> None:
    """Copy the source data set's model and evaluate it on ``encoded``'s splits."""
    check_same_training_data(encoded, reuse["encoded"], reuse["source"])
    model, _ = load_pipeline(reuse["model"], reuse["hparams"])
    arrays = load_encoded(encoded)
    splits = {s: load_split(arrays, s, "binary") for s in ("train", "validation", "test")}
    rows, test_logits = split_metrics(model, splits, ids)
    test = splits["test"]
    with atomic_outputs(
        out["model"], out["hparams"], out["history"], out["metrics"], out["predictions"]
    ) as p:
        copy_reused(reuse["model"], p[0])
        write_reused_hparams(reuse["hparams"], p[1], reuse["source"])
        copy_reused(reuse["history"], p[2])
        with open(p[3], "w") as handle:
            write_table(handle, rows)
        save_npz(p[4], {"rows": test.index.astype(np.int32), "logits": test_logits.astype(np.float32)})


def main(smk) -> None:
    p = smk.params
    out = {k: smk.output[k] for k in ("model", "hparams", "history", "metrics", "predictions")}
    with rule_logging(smk.log[0], "train_pipeline"):
        run(
            smk.input.encoded,
            p.ids["model"],
            p.spec,
            p.training,
            p.rates,
            int(p.ids["seed"]),
            smk.threads,
            out,
            p.device,
            dict(p.ids),
            reuse_argument(smk.input, p),
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
