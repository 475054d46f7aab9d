"""Rule train_long: train one long-sequence model (attention, sparse or CNN) with one seed.

Reads the model's budget decision (rule ``check_long_budget``). Where it fits, the model
is trained on the labels with :func:`gsattn.train.fit` (Adam, early stopping on the
validation loss; the sparse model end to end, no teacher) and the best ``state_dict`` is
saved, with the wall-clock seconds of training and to the best validation epoch and
the same in CPU seconds of the process (``cpu_seconds_to_best``: the CPU time of
training × the share of the wall time spent up to the best epoch), which other jobs on
the machine do not inflate. Where it is over budget, nothing is trained: ``model.pt`` holds an empty
``state_dict``, ``history.tsv`` no epoch, and ``hparams.json`` says ``status: over
budget`` with the reason and the estimates, which every later table carries.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import json
import logging
import math
import time

import torch

from gsattn.datasets import load_encoded
from gsattn.io import atomic_outputs, read_table, write_columns, write_table
from gsattn.logs import rule_logging
from gsattn.long import TRAINED, build_long_model, model_config, sdpa_only
from gsattn.sparse import count_trainable
from gsattn.train import TrainConfig, device_info, fit, load_split, prepare_device

log = logging.getLogger("train_long")

BUDGET_KEYS = ("status", "reason", "estimated_seconds", "estimated_bytes", "step_seconds")


def read_budget(path: str) -> dict:
    """The one decision row of ``budget.tsv`` (its :data:`BUDGET_KEYS`)."""
    (row,) = read_table(path)
    return {k: row[k] for k in BUDGET_KEYS} | {"reason": row["reason"] or ""}


def train(kind: str, config: dict, arrays: dict, training: dict, seed: int, device) -> tuple:
    """Fit model ``kind``; returns it (best weights loaded), its history and the extra JSON."""
    cfg = TrainConfig(**(training | {"task": "binary"}))
    splits = {s: load_split(arrays, s, cfg.task) for s in ("train", "validation")}
    model = build_long_model(kind, config, seed)
    start, cpu = time.perf_counter(), time.process_time()
    history, best = fit(model, splits["train"], splits["validation"], cfg, seed, device=device)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if device.type == "cuda":
        cpu = math.nan  # host time spent launching kernels and waiting, not the training's compute
    model.load_state_dict(best)
    best_epoch = min(history, key=lambda r: r["val_loss"])["epoch"]
    extra = {"training": cfg.to_dict(), "epochs_run": len(history), "best_epoch": best_epoch}
    to_best = history[best_epoch - 1]["seconds"]
    extra |= {"train_seconds": seconds, "seconds_to_best": to_best, "train_cpu_seconds": cpu}
    extra |= {"cpu_seconds_to_best": cpu * to_best / history[-1]["seconds"]}
    extra |= {"n_trainable": count_trainable(model)}
    return model, history, extra


def run(
    encoded: str,
    budget: str,
    kind: str,
    specs: dict,
    training: dict,
    seed: int,
    threads: int,
    out: dict,
    device: str = "auto",
) -> None:
    """Train (or, over budget, record why not); ``out`` has keys model, hparams, history."""
    dev = prepare_device(device, threads)
    arrays = load_encoded(encoded)
    length = arrays["tokens"].shape[1]
    config = model_config(kind, length, specs)
    decision = read_budget(budget)
    info = {"kind": kind, "config": config, "length": length, "seed": seed, **device_info(dev)}
    info |= decision | {"torch": torch.__version__}
    state, history = {}, []
    if decision["status"] == TRAINED:
        with sdpa_only():
            model, history, extra = train(kind, config, arrays, training, seed, dev)
        state, info = model.cpu().state_dict(), info | extra
        log.info("%s at L = %d, seed %d: best epoch %d", kind, length, seed, extra["best_epoch"])
    else:
        log.info("%s at L = %d not trained: %s (%s)", kind, length, decision["status"], decision["reason"])
    with atomic_outputs(out["model"], out["hparams"], out["history"]) as (weights, hparams, hist):
        torch.save(state, weights)
        hparams.write_text(json.dumps(info, indent=2, sort_keys=True))
        with open(hist, "w") as handle:
            if history:
                write_table(handle, history)
            else:
                write_columns(handle, {"epoch": []})


def main(smk) -> None:
    p = smk.params
    out = {k: smk.output[k] for k in ("model", "hparams", "history")}
    with rule_logging(smk.log[0], "train_long"):
        run(
            smk.input.encoded,
            smk.input.budget,
            p.ids["model"],
            p.specs,
            p.training,
            int(p.ids["seed"]),
            smk.threads,
            out,
            p.device,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
