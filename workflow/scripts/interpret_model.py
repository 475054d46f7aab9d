"""Rule interpret_model: do a model's attributions point at the planted motifs?

For one model (Phase 1's reference attention model, the joint pipeline or the
CNN) and seed, on test sequences that hold a site of any motif (the first
``max_sequences`` in data-set order; every model and seed sees the same ones):

* ``saliency`` – |gradient×input| on the token embeddings;
* ``ism`` – in-silico mutagenesis, the largest |change of the logit| of a
  single substitution at each position;
* ``attention`` – attention each position contributes to the pooled vector
  (mean over heads), attention models only.

Each score is compared with the ground-truth motif mask with the Phase 1
protocol (:func:`gsattn.recovery.summarize_recovery`: per-sequence AUROC and
AUPRC over motif and background positions, enrichment, top-k hit rates against
the positional chance of another chosen sequence's top-k positions, the uniform
chance beside it). Data sets without sites give an empty table.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

import numpy as np
import torch

from gsattn.datasets import load_encoded
from gsattn.interpret import attention_received, gradient_x_input, in_silico_mutagenesis
from gsattn.io import atomic_outputs, save_npz, write_columns
from gsattn.logs import rule_logging
from gsattn.pipeline import load_any_model
from gsattn.recovery import ROW_KEYS, summarize_recovery
from gsattn.train import prepare_device

log = logging.getLogger("interpret_model")
COLUMNS = ("dataset", "model", "seed", "method", *ROW_KEYS)


def chosen_rows(data: dict, max_sequences: int) -> np.ndarray:
    """Test rows with at least one motif site, the first ``max_sequences`` of them."""
    test = np.flatnonzero(data["split"] == "test")
    if not bool(data["has_sites"]):
        return test[:0]
    with_site = (data["motif_index"][test] >= 0).any(axis=1)
    return test[with_site][:max_sequences]


def attributions(model, kind: str, tokens: torch.Tensor) -> dict[str, np.ndarray]:
    """``method -> (N, L)`` non-negative scores of one model."""
    scores = {
        "saliency": np.abs(gradient_x_input(model, tokens)),
        "ism": in_silico_mutagenesis(model, tokens),
    }
    if kind == "attention":
        scores["attention"] = attention_received(model, tokens).mean(axis=1)
    return scores


def run(
    encoded: str,
    weights: str,
    hparams: str,
    kind: str,
    seed: int,
    recovery: dict,
    max_sequences: int,
    threads: int,
    out: dict,
    dataset: str = "",
    device: str = "cpu",
) -> None:
    """Attribute, score against the motif mask and write the table and the scores
    (rows led by ``dataset``, ``kind`` as ``model`` and ``seed``, given by the rule),
    on ``device`` (``auto``: CUDA when available; the attributions move to the CPU)."""
    dev = prepare_device(device, threads)
    data = load_encoded(encoded)
    rows_used = chosen_rows(data, max_sequences)
    table: list[dict] = []
    scores: dict[str, np.ndarray] = {}
    if rows_used.size:
        model, _ = load_any_model(weights, hparams)
        model.to(dev)
        tokens = torch.from_numpy(data["tokens"][rows_used].astype(np.int64))
        log.info("%s seed %d: attributions of %d test sequences on %s", kind, seed, rows_used.size, dev)
        scores = attributions(model, kind, tokens)
        for method, values in scores.items():
            found = summarize_recovery(
                values,
                data["motif_index"][rows_used],
                data["lengths"][rows_used],
                data["labels"][rows_used].astype(int),
                data["motif_labels"],
                data["motif_roles"],
                k_values=sorted({1, recovery["top_k"]}),
                tolerance=recovery["tolerance"],
            )
            table += [{"dataset": dataset, "model": kind, "seed": seed, "method": method, **r} for r in found]
    else:
        log.info("no test sequence with a ground-truth site: interpretation table left empty")
    with atomic_outputs(out["table"], out["scores"]) as (table_path, npz):
        with open(table_path, "w") as handle:
            write_columns(handle, {c: [r[c] for r in table] for c in COLUMNS})
        save_npz(
            npz, {"rows": rows_used.astype(np.int32)} | {k: v.astype(np.float32) for k, v in scores.items()}
        )


def main(smk) -> None:
    p = smk.params
    out = {"table": smk.output.table, "scores": smk.output.scores}
    with rule_logging(smk.log[0], "interpret_model"):
        run(
            smk.input.encoded,
            smk.input.model,
            smk.input.hparams,
            p.ids["model"],
            int(p.ids["seed"]),
            p.recovery,
            p.max_sequences,
            smk.threads,
            out,
            p.ids["dataset"],
            p.device,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
