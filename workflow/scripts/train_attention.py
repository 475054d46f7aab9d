"""Rule train_attention: train one Phase 1 attention model on one data set with one seed.

Writes the best (lowest validation loss) ``state_dict``, its hyper-parameters as
JSON, the per-epoch history and the metrics on every split (test is the one
reported). For a data set with ``models_from`` (``reuse`` given) nothing is trained:
the source data set's model of the same name and seed is copied and evaluated on this
data set's splits (:mod:`gsattn.reuse`).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging
import time

import torch

from gsattn.datasets import load_encoded
from gsattn.io import atomic_outputs, write_table
from gsattn.logs import rule_logging
from gsattn.models import ModelConfig, build_model, count_parameters, load_model, save_model
from gsattn.reuse import check_same_training_data, copy_reused, reuse_argument, write_reused_hparams
from gsattn.train import (
    TrainConfig,
    device_info,
    fit,
    load_split,
    metrics,
    predict,
    prepare_device,
    strength_scale,
)

log = logging.getLogger("train_attention")


def run(
    encoded: str,
    spec: dict,
    training: dict,
    seed: int,
    threads: int,
    out: dict[str, str],
    device: str = "auto",
    ids: dict | None = None,
    reuse: dict | None = None,
) -> None:
    """Train and save; ``out`` has keys model, hparams, history, metrics.

    ``spec``: the model's hyper-parameters; ``ids`` (``dataset``, ``model``, ``seed``,
    from the rule) lead every row of the metrics table; ``reuse`` (keys model, hparams,
    history, encoded, source): the model to evaluate instead of training one."""
    ids = ids or {}
    if reuse:
        evaluate_reused(encoded, reuse, training, out, ids)
        return
    dev = prepare_device(device, threads)
    arrays = load_encoded(encoded)
    cfg = TrainConfig(**training)
    scale = strength_scale(arrays) if cfg.task == "regression" else (0.0, 1.0)
    splits = {s: load_split(arrays, s, cfg.task, scale) for s in ("train", "validation", "test")}
    model_cfg = ModelConfig(**spec, max_len=arrays["tokens"].shape[1])
    model = build_model(model_cfg, seed)
    log.info("seed %d, %s, %s, %d parameters, device %s", seed, model_cfg, cfg, count_parameters(model), dev)
    start = time.perf_counter()
    history, best_state = fit(model, splits["train"], splits["validation"], cfg, seed, device=dev)
    seconds = time.perf_counter() - start
    model.load_state_dict(best_state)
    rows = split_metrics(model, splits, cfg.task, ids)
    best_epoch = min(history, key=lambda r: r["val_loss"])["epoch"]
    extra = {"training": cfg.to_dict(), "seed": seed, "strength_scale": list(scale)}
    extra |= {"epochs_run": len(history), "best_epoch": best_epoch, "train_seconds": seconds}
    extra |= {"n_parameters": count_parameters(model), "torch": torch.__version__, **device_info(dev)}
    log.info("test: %s", {r["metric"]: round(r["value"], 4) for r in rows if r["split"] == "test"})
    with atomic_outputs(out["model"], out["hparams"], out["history"], out["metrics"]) as paths:
        save_model(model.cpu(), str(paths[0]), str(paths[1]), extra)
        with open(paths[2], "w") as handle:
            write_table(handle, history)
        with open(paths[3], "w") as handle:
            write_table(handle, rows)


def split_metrics(model, splits: dict, task: str, ids: dict) -> list[dict]:
    """Metric rows (``ids`` + split, metric, value, n) of ``model`` on every split."""
    rows = []
    for name, data in splits.items():
        for metric, value in metrics(task, data.targets.numpy(), predict(model, data.tokens)).items():
            rows.append(ids | {"split": name, "metric": metric, "value": value, "n": len(data.targets)})
    return rows


def evaluate_reused(encoded: str, reuse: dict, training: dict, out: dict[str, str], ids: dict) -> None:
    """Copy the source data set's model and evaluate it on ``encoded``'s splits."""
    check_same_training_data(encoded, reuse["encoded"], reuse["source"])
    model, hparams = load_model(reuse["model"], reuse["hparams"])
    arrays = load_encoded(encoded)
    cfg = TrainConfig(**training)
    scale = tuple(hparams.get("strength_scale", (0.0, 1.0)))
    splits = {s: load_split(arrays, s, cfg.task, scale) for s in ("train", "validation", "test")}
    rows = split_metrics(model, splits, cfg.task, ids)
    log.info(
        "reused %s: test %s",
        reuse["model"],
        {r["metric"]: round(r["value"], 4) for r in rows if r["split"] == "test"},
    )
    with atomic_outputs(out["model"], out["hparams"], out["history"], out["metrics"]) as paths:
        copy_reused(reuse["model"], paths[0])
        write_reused_hparams(reuse["hparams"], paths[1], reuse["source"])
        copy_reused(reuse["history"], paths[2])
        with open(paths[3], "w") as handle:
            write_table(handle, rows)


def main(smk) -> None:
    out = {k: smk.output[k] for k in ("model", "hparams", "history", "metrics")}
    with rule_logging(smk.log[0], "train_attention"):
        run(
            smk.input.encoded,
            smk.params.spec,
            smk.params.training,
            int(smk.params.ids["seed"]),
            smk.threads,
            out,
            smk.params.device,
            dict(smk.params.ids),
            reuse_argument(smk.input, smk.params),
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
