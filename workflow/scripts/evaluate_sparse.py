"""Rule evaluate_sparse: fidelity, accuracy and motif selection of one sparse model.

On the test split:

* fidelity of the approximated pooled vector against the teacher's saved one
  (MSE, relative error, cosine similarity);
* accuracy/AUROC of the frozen teacher classifier fed by the approximator and by
  the full attention layer (the saved teacher logits), with paired bootstrap CIs
  of the ratio sparse/full over test sequences;
* whether the selected positions are the planted motifs: precision, enrichment
  and p-values (:func:`gsattn.selection.selection_rows`) from the mask null
  (whole selections permuted among test sequences of the same length, which
  keeps their contiguity and positional profile; ``p_value``), beside the
  circular-shift and scattered-permutation nulls (``p_value_shift``,
  ``p_value_permutation``), for the learned selection and, with the same k,
  for random positions, the top-k of the teacher's attention received and the
  top-k of its saliency.

Per-sequence logits are saved for the across-seed summary (test split), and those
of the validation split (``val_*``) for choices made on it. Both tables start
with the student's identifiers (``dataset``, ``teacher``, ``rho``, ``seed``), given
by the rule.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import numpy as np
import torch

from gsattn.datasets import load_encoded
from gsattn.inference import run_batched
from gsattn.io import atomic_outputs, save_npz, write_columns, write_table
from gsattn.logs import rule_logging
from gsattn.selection import random_k, selection_mask, selection_rows, top_k_of
from gsattn.sparse import load_sparse
from gsattn.stats import accuracy_from_logits, auroc, paired_bootstrap

SELECTION_COLUMNS = ("selector",)


def _approximation(model, tokens: torch.Tensor, rows: range) -> dict[str, torch.Tensor]:
    out = model.approximate(tokens)
    logits = model.classifier(out["pooled"])[:, 0]
    return {"pooled": out["pooled"], "logits": logits, "index": out["index"], "valid": out["valid"]}


def approximate(model, tokens: torch.Tensor, batch_size: int = 256) -> dict[str, np.ndarray]:
    """Pooled vectors, logits and selections of ``(N, L)`` tokens, batched."""
    return run_batched(model, tokens, _approximation, batch_size)


def fidelity_rows(pooled: np.ndarray, teacher: np.ndarray) -> list[dict]:
    """MSE, relative L2 error and cosine similarity, ``(N, d)`` against ``(N, d)``."""
    err = pooled - teacher
    norm = np.linalg.norm(teacher, axis=1)
    cosine = (pooled * teacher).sum(1) / np.maximum(np.linalg.norm(pooled, axis=1) * norm, 1e-12)
    values = {
        "mse": float((err**2).mean()),
        "relative_error": float(np.mean(np.linalg.norm(err, axis=1) / np.maximum(norm, 1e-12))),
        "cosine": float(cosine.mean()),
    }
    return [{"metric": k, "value": v, "ci_low": np.nan, "ci_high": np.nan} for k, v in values.items()]


def accuracy_rows(y: np.ndarray, full: np.ndarray, sparse: np.ndarray, n_boot: int, seed: int) -> list[dict]:
    """Full vs sparse accuracy and AUROC with paired bootstrap CIs of the ratio sparse/full."""
    rows = []
    for name, metric in (("accuracy", accuracy_from_logits), ("auroc", auroc)):
        boot = paired_bootstrap(y, full, sparse, metric, n_boot=n_boot, seed=seed)
        rows += [
            {"metric": f"{name}_full", "value": boot["metric_a"], "ci_low": np.nan, "ci_high": np.nan},
            {"metric": f"{name}_sparse", "value": boot["metric_b"], "ci_low": np.nan, "ci_high": np.nan},
            {
                "metric": f"{name}_ratio",
                "value": boot["ratio"],
                "ci_low": boot["ratio_ci"][0],
                "ci_high": boot["ratio_ci"][1],
            },
        ]
    return rows


def baseline_selections(data: dict, test: np.ndarray, attributions: str, k: int, seed: int) -> dict:
    """Random, teacher-attention (if the teacher has attention) and teacher-saliency top-k
    selections on the test rows."""
    length = data["tokens"].shape[1]
    lengths = data["lengths"][test]
    with np.load(attributions, allow_pickle=False) as attr:
        if attr["rows"].tolist() != test.tolist():
            raise ValueError(f"{attributions}: test rows differ from the encoded data")
        scores = {name: attr[name] for name in ("attention", "saliency") if name in attr.files}
    # a joint-pipeline teacher has no attention: no attention_topk baseline
    return {"random": random_k(lengths, length, k, seed)} | {
        f"{name}_topk": top_k_of(values, lengths, k) for name, values in scores.items()
    }


def validation_predictions(model, data: dict, truth: str) -> dict[str, np.ndarray]:
    """Rows, labels and teacher / student logits of the validation split, for choices made on
    it (the selector-cost frontier's design point), saved as ``val_*`` beside the test ones."""
    rows = np.flatnonzero(data["split"] == "validation")
    with np.load(truth, allow_pickle=False) as gt:
        full = gt["logits"][rows]
    sparse = approximate(model, torch.from_numpy(data["tokens"][rows].astype(np.int64)))
    return {
        "val_rows": rows.astype(np.int32),
        "val_labels": data["labels"][rows].astype(np.int8),
        "val_full_logits": full.astype(np.float32),
        "val_sparse_logits": sparse["logits"].astype(np.float32),
    }


def run(inputs: dict, n_perm: int, n_boot: int, ids: dict, threads: int, out: dict) -> None:
    """Evaluate one sparse model (``inputs``: encoded, model, hparams, truth, attributions;
    ``ids``: its ``dataset``, ``teacher``, ``rho`` and ``seed``, the seed also that of the
    bootstrap, permutation and random-selection draws)."""
    seed = int(ids["seed"])
    torch.set_num_threads(max(1, threads))
    data = load_encoded(inputs["encoded"])
    test = np.flatnonzero(data["split"] == "test")
    model, info = load_sparse(inputs["model"], inputs["hparams"])
    with np.load(inputs["truth"], allow_pickle=False) as gt:
        teacher_pooled, teacher_logits = gt["pooled"][test].astype(np.float32), gt["logits"][test]
    sparse = approximate(model, torch.from_numpy(data["tokens"][test].astype(np.int64)))
    y = data["labels"][test].astype(int)
    validation = validation_predictions(model, data, inputs["truth"])
    metrics = fidelity_rows(sparse["pooled"], teacher_pooled)
    metrics += accuracy_rows(y, teacher_logits, sparse["logits"], n_boot, seed)
    length = data["tokens"].shape[1]
    selections = {"learned": selection_mask(sparse["index"], sparse["valid"], length)}
    selections |= baseline_selections(data, test, inputs["attributions"], info["k"], seed)
    rows = []
    if bool(data["has_sites"]):
        for name, selected in selections.items():
            found = selection_rows(
                selected,
                data["motif_index"][test],
                data["lengths"][test],
                data["motif_labels"],
                data["motif_roles"],
                n_perm,
                seed,
            )
            rows += [{"selector": name, **r} for r in found]
    with atomic_outputs(out["metrics"], out["selection"], out["predictions"]) as (m_path, s_path, p_path):
        with open(m_path, "w") as handle:
            write_table(handle, [ids | r for r in metrics])
        with open(s_path, "w") as handle:
            if rows:
                write_table(handle, [ids | r for r in rows])
            else:
                write_columns(handle, {k: [] for k in (*ids, "selector", "note")})
        save_npz(
            p_path,
            {
                "rows": test.astype(np.int32),
                "labels": y.astype(np.int8),
                "full_logits": teacher_logits.astype(np.float32),
                "sparse_logits": sparse["logits"].astype(np.float32),
                "index": sparse["index"].astype(np.int32),
                "valid": sparse["valid"],
                **validation,
            },
        )


def main(smk) -> None:
    inputs = {k: smk.input[k] for k in ("encoded", "model", "hparams", "truth", "attributions")}
    out = {k: smk.output[k] for k in ("metrics", "selection", "predictions")}
    with rule_logging(smk.log[0], "evaluate_sparse"):
        run(inputs, smk.params.n_perm, smk.params.n_boot, dict(smk.params.ids), smk.threads, out)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
