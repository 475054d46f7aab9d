"""Rule train_sparse: distil one teacher into a top-k sparse approximator.

The teacher is the Phase 1 reference attention model trained with the same
seed, or (teacher ``joint_pipeline``) Phase 3's joint pipeline; the
targets are the vectors its classifier reads, saved in ``ground_truth.npz``
(``pooled``: the attention's pooled vector, or the joint pipeline's hidden layer
computed from its compressed representation, see :mod:`gsattn.sparse`). The
approximator keeps ``k = ceil(rho * L)`` positions, the teacher's classifier
(and head) stays frozen, and the loss is the distillation MSE (+ ``task_weight``
× the task loss). Same splits as Phase 1; early stopping on the validation loss.
For a data set with ``models_from`` the source data set's student of the same
teacher, rho and seed is copied instead (:mod:`gsattn.reuse`).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import json
import time

import numpy as np
import torch

from gsattn.datasets import load_encoded
from gsattn.io import atomic_outputs, write_table
from gsattn.logs import rule_logging
from gsattn.pipeline import load_any_model
from gsattn.reuse import check_same_training_data, copy_reused, reuse_argument, write_reused_hparams
from gsattn.sparse import SparseConfig, count_trainable, distillation_objective, from_teacher
from gsattn.teachers import pipeline_fields
from gsattn.train import TrainConfig, device_info, fit, load_split, prepare_device


def teacher_splits(encoded: str, truth: str, task: str) -> dict:
    """Phase 1 splits with the teacher's pooled vectors attached (IDs checked)."""
    arrays = load_encoded(encoded)
    with np.load(truth, allow_pickle=False) as gt:
        if gt["ids"].tolist() != arrays["ids"].tolist():
            raise ValueError(f"{truth}: sequence IDs differ from {encoded}")
        pooled = gt["pooled"].astype(np.float32)
    splits = {}
    for name in ("train", "validation", "test"):
        split = load_split(arrays, name, task)
        split.teacher = torch.from_numpy(pooled[split.index])
        splits[name] = split
    return splits


def load_teacher(weights: str, hparams: str):
    """The teacher model, its hyper-parameters and the :class:`SparseConfig` fields it implies."""
    model, info = load_any_model(weights, hparams)
    if "pipeline" in info:
        spec = info["pipeline"]
        if spec["kind"] != "joint_pipeline":
            raise ValueError(f"{hparams}: a {spec['kind']} model cannot be a Phase 2 teacher")
        return model, info, spec, pipeline_fields(spec)
    return model, info, info["model"], {"d_model": model.config.d_model}


def run(
    encoded: str,
    teacher: dict,
    truth: str,
    model_spec: dict,
    rho: float,
    training: dict,
    task_weight: float,
    seed: int,
    threads: int,
    out: dict,
    device: str = "auto",
    reuse: dict | None = None,
) -> None:
    """Train one sparse approximator; ``out`` has keys model, hparams, history.

    ``reuse`` (keys model, hparams, history, encoded, source): the student to copy
    instead of training one."""
    if reuse:
        copy_student(encoded, reuse, out)
        return
    dev = prepare_device(device, threads)
    cfg = TrainConfig(**(training | {"task": "binary"}))
    teacher_model, _, teacher_spec, fields = load_teacher(teacher["model"], teacher["hparams"])
    splits = teacher_splits(encoded, truth, cfg.task)
    length = splits["train"].tokens.shape[1]
    config = SparseConfig(rho=rho, max_len=length, **fields, **model_spec)
    model = from_teacher(teacher_model, config, seed)
    objective = distillation_objective(task_weight, cfg.task)
    start = time.perf_counter()
    history, best = fit(
        model, splits["train"], splits["validation"], cfg, seed, device=dev, objective=objective
    )
    model.load_state_dict(best)
    extra = {
        "sparse": config.to_dict(),
        "k": config.k(length),
        "teacher": teacher_spec,
        "training": cfg.to_dict(),
        "task_weight": task_weight,
        "seed": seed,
        "epochs_run": len(history),
        "best_epoch": min(history, key=lambda r: r["val_loss"])["epoch"],
        "train_seconds": time.perf_counter() - start,
        "n_trainable": count_trainable(model),
        "torch": torch.__version__,
        **device_info(dev),
    }
    with atomic_outputs(out["model"], out["hparams"], out["history"]) as (weights, hparams, hist):
        save_sparse(model.cpu(), str(weights), str(hparams), extra)
        with open(hist, "w") as handle:
            write_table(handle, history)


def copy_student(encoded: str, reuse: dict, out: dict) -> None:
    """Copy the source data set's student (its evaluation is ``evaluate_sparse``'s)."""
    check_same_training_data(encoded, reuse["encoded"], reuse["source"])
    with atomic_outputs(out["model"], out["hparams"], out["history"]) as (weights, hparams, hist):
        copy_reused(reuse["model"], weights)
        write_reused_hparams(reuse["hparams"], hparams, reuse["source"])
        copy_reused(reuse["history"], hist)


def save_sparse(model, weights: str, hparams: str, extra: dict) -> None:
    """``state_dict`` (frozen classifier included) and a JSON of hyper-parameters."""
    torch.save(model.state_dict(), weights)
    with open(hparams, "w") as handle:
        json.dump(extra, handle, indent=2, sort_keys=True)


def main(smk) -> None:
    p = smk.params
    teacher = {"model": smk.input.teacher_model, "hparams": smk.input.teacher_hparams}
    out = {k: smk.output[k] for k in ("model", "hparams", "history")}
    with rule_logging(smk.log[0], "train_sparse"):
        run(
            smk.input.encoded,
            teacher,
            smk.input.truth,
            p.model,
            float(p.ids["rho"]),
            p.training,
            p.task_weight,
            int(p.ids["seed"]),
            smk.threads,
            out,
            p.device,
            reuse_argument(smk.input, p),
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
