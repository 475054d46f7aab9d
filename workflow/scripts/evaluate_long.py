"""Rule evaluate_long: accuracy, cost and motif selection of one long-sequence model.

On the test split of the model's length:

* test accuracy and AUROC, and the test logits for the across-seed bootstrap;
* training time to the best validation epoch (from training) and inference throughput
  (sequences per second, :func:`gsattn.measure.throughput`);
* peak memory as the operating system sees it (:func:`gsattn.measure.os_peak_bytes`:
  a fresh subprocess, the high-water mark of one pass after a warm-up at a short
  length) of one training step at the training batch size and of one inference
  pass at the profile batch size;
* the Phase 1 recovery metrics (:func:`gsattn.recovery.summarize_recovery`) on the
  attention each position contributes (attention model, mean over heads) or on the
  selector's weights (sparse model: ``softmax(score / temperature)`` over all
  positions), and the selection-vs-motif test (:func:`gsattn.selection.selection_rows`)
  of the sparse model's top-k selection, of the top-k of the attention, and of random
  positions with the same ``k = ceil(rho · L)``.

A model the budget rule left untrained gets its row with ``status: over budget``, the
reason and the estimates, and NaN measurements; its recovery and selection tables are
empty.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import json
import logging
import math

import numpy as np
import torch

from gsattn.datasets import load_encoded
from gsattn.inference import run_batched
from gsattn.interpret import attention_received
from gsattn.io import atomic_outputs, save_npz, write_columns, write_table
from gsattn.logs import rule_logging
from gsattn.long import (
    TRAINED,
    WARMUP_LENGTH,
    build_long_model,
    measure_case,
    received_batch_size,
    sdpa_only,
    selector_weights,
)
from gsattn.measure import os_peak_bytes, throughput
from gsattn.recovery import ROW_KEYS as RECOVERY_KEYS
from gsattn.recovery import summarize_recovery
from gsattn.selection import ROW_KEYS as SELECTION_KEYS
from gsattn.selection import random_k, selection_mask, selection_rows, top_k_of
from gsattn.sparse import SparseConfig
from gsattn.train import metrics, predict

log = logging.getLogger("evaluate_long")

BUILDER = "gsattn.long:build_measure_case"
MEASURED = (
    "accuracy",
    "auroc",
    "n_test",
    "best_epoch",
    "epochs_run",
    "seconds_to_best",
    "train_seconds",
    "cpu_seconds_to_best",
    "train_cpu_seconds",
    "peak_rss_train_bytes",
    "peak_rss_inference_bytes",
    "rss_method",
    "sequences_per_second",
)


def _selection(model, tokens: torch.Tensor, rows: range) -> dict[str, torch.Tensor]:
    out = model.approximate(tokens)
    return {"scores": out["scores"], "index": out["index"], "valid": out["valid"]}


def os_peaks(info: dict, train_batch: int, profile: dict, threads: int) -> dict:
    """OS peak bytes of one training step and one inference pass (fresh subprocesses)."""
    kind, config, seed, length = info["kind"], info["config"], info["seed"], info["length"]
    found = {}
    for mode, batch in (("train", train_batch), ("inference", profile["batch_size"])):
        case = measure_case(kind, config, seed, batch, length, mode)
        warmup = measure_case(kind, config, seed, batch, min(length, WARMUP_LENGTH), mode)
        peak = os_peak_bytes(case, threads=threads, warmup_case=warmup, builder=BUILDER)
        found[f"peak_rss_{mode}_bytes"], found["rss_method"] = peak["peak_rss_bytes"], peak["rss_method"]
    return found


def scores_and_selections(model, info: dict, data: dict, test: np.ndarray, rho: float, seed: int) -> tuple:
    """``(N, L)`` recovery scores and the named ``(N, L)`` selections of one trained model.

    Attention: attention received (mean over heads), its top-k; sparse: the selector's
    weights, its learned selection; both beside random positions. The CNN has neither
    (``None, {}``).
    """
    tokens = torch.from_numpy(data["tokens"][test].astype(np.int64))
    lengths, length = data["lengths"][test], data["tokens"].shape[1]
    k = SparseConfig(rho=rho).k(length)
    if info["kind"] == "attention":
        batch = received_batch_size(info["config"]["n_heads"], length)
        scores = attention_received(model, tokens, batch_size=batch).mean(axis=1)
        chosen = {"attention_topk": top_k_of(scores, lengths, k)}
    elif info["kind"] == "sparse":
        out = run_batched(model, tokens, _selection, batch_size=64)
        scores = selector_weights(out["scores"], lengths, info["config"]["temperature"])
        chosen = {"learned": selection_mask(out["index"], out["valid"], length)}
    else:
        return None, {}
    return scores, chosen | {"random": random_k(lengths, length, k, seed)}


def motif_rows(scores, chosen: dict, data: dict, test: np.ndarray, params: dict, seed: int) -> tuple:
    """Recovery rows of ``scores`` and selection rows of every selection (test split)."""
    if scores is None or not bool(data["has_sites"]):
        return [], []
    motif, lengths = data["motif_index"][test], data["lengths"][test]
    names, roles = data["motif_labels"], data["motif_roles"]
    k_values = sorted({1, params["top_k"]})
    recovery = summarize_recovery(
        scores, motif, lengths, data["labels"][test], names, roles, k_values, params["tolerance"]
    )
    selection = []
    for name, selected in chosen.items():
        found = selection_rows(selected, motif, lengths, names, roles, params["n_permutations"], seed)
        selection += [{"selector": name, **r} for r in found]
    return recovery, selection


def measure(model, info: dict, data: dict, test: np.ndarray, params: dict, threads: int) -> dict:
    """Accuracy, logits, throughput and OS peaks of one trained model."""
    tokens = torch.from_numpy(data["tokens"][test].astype(np.int64))
    y = data["labels"][test].astype(np.float32)
    logits = predict(model, tokens, batch_size=64)
    scored = metrics("binary", y, logits)
    found = {
        "accuracy": scored["accuracy"],
        "auroc": scored["auroc"],
        "n_test": int(test.size),
        "logits": logits,
    }
    profile = params["profile"]
    batch = tokens[: profile["batch_size"]]
    speed = throughput(model, batch, profile["warmup"], profile["repeats"])
    found["sequences_per_second"] = speed["sequences_per_second"]
    found |= os_peaks(info, info["training"]["batch_size"], profile, threads)
    timing = ("best_epoch", "epochs_run", "seconds_to_best", "train_seconds", "cpu_seconds_to_best")
    return found | {k: info[k] for k in (*timing, "train_cpu_seconds")}


def run(inputs: dict, params: dict, ids: dict, threads: int, out: dict) -> None:
    """Evaluate one model; ``inputs``: encoded, model, hparams; ``params``: rho, top_k,
    tolerance, n_permutations, profile; ``ids``: length, model, seed (lead every row)."""
    torch.set_num_threads(max(1, threads))
    data = load_encoded(inputs["encoded"])
    test = np.flatnonzero(data["split"] == "test")
    with open(inputs["hparams"]) as handle:
        info = json.load(handle)
    row = {k: info[k] for k in ("status", "reason", "estimated_seconds", "estimated_bytes")}
    found, recovery, selection = {k: math.nan for k in MEASURED} | {"logits": None}, [], []
    if info["status"] == TRAINED:
        model = build_long_model(info["kind"], info["config"], info["seed"])
        model.load_state_dict(torch.load(inputs["model"], map_location="cpu", weights_only=True))
        model.eval()
        with sdpa_only():
            found = measure(model, info, data, test, params, threads)
            scores, chosen = scores_and_selections(model, info, data, test, params["rho"], ids["seed"])
        recovery, selection = motif_rows(scores, chosen, data, test, params, ids["seed"])
    logits = found.pop("logits")
    logits = np.full(test.size, np.nan) if logits is None else logits
    write_outputs(out, [ids | row | found], recovery, selection, ids, test, data["labels"][test], logits)


def write_outputs(out: dict, rows, recovery, selection, ids, test, labels, logits) -> None:
    """The four outputs, all or none."""
    tables = {
        "recovery": (recovery, ("method", *RECOVERY_KEYS)),
        "selection": (selection, ("selector", *SELECTION_KEYS)),
    }
    method = {"attention": "attention", "sparse": "selector"}.get(ids["model"], "-")
    recovery[:] = [{"method": method, **r} for r in recovery]
    with atomic_outputs(out["metrics"], out["predictions"], out["recovery"], out["selection"]) as paths:
        with open(paths[0], "w") as handle:
            write_table(handle, rows)
        save_npz(
            paths[1],
            {
                "rows": test.astype(np.int32),
                "labels": labels.astype(np.int8),
                "logits": np.asarray(logits, dtype=np.float32),
            },
        )
        for path, (found, columns) in zip(paths[2:], tables.values(), strict=True):
            with open(path, "w") as handle:
                if found:
                    write_table(handle, [ids | r for r in found])
                else:
                    write_columns(handle, {c: [] for c in (*ids, *columns)})


def main(smk) -> None:
    inputs = {k: smk.input[k] for k in ("encoded", "model", "hparams")}
    out = {k: smk.output[k] for k in ("metrics", "predictions", "recovery", "selection")}
    p = smk.params
    params = {"rho": p.rho, "top_k": p.top_k, "tolerance": p.tolerance}
    params |= {"n_permutations": p.n_permutations, "profile": p.profile}
    with rule_logging(smk.log[0], "evaluate_long"):
        run(inputs, params, dict(p.ids), smk.threads, out)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
