"""Rule evaluate_recovery: does a trained model's attention land on the planted motifs?

On the test split, per head and averaged over heads, the attention each position
contributes to the pooled vector is scored against the ground-truth motif mask,
and so is |gradient×input| saliency for comparison (protocol and metrics in
:mod:`gsattn.recovery`). Top-k hit rates are tested against the positional
chance (a sequence read with the top-k positions of another test sequence of
the same length; ``chance``, ``p_value``), with the uniform-position chance
beside it (``chance_uniform``, ``p_value_uniform``). Decoy motifs are reported
in their own group. Also saves the per-position attributions for the figures.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

import numpy as np
import torch

from gsattn.datasets import load_encoded
from gsattn.interpret import attention_received, gradient_x_input
from gsattn.io import atomic_outputs, save_npz, write_columns
from gsattn.logs import rule_logging
from gsattn.models import load_model
from gsattn.recovery import ROW_KEYS, summarize_recovery

log = logging.getLogger("evaluate_recovery")
COLUMNS = ("method", "head", *ROW_KEYS)


def score_sets(model, tokens: torch.Tensor) -> dict[tuple[str, str], np.ndarray]:
    """``(method, head) → (N, L)`` non-negative scores: attention per head, its mean, |saliency|."""
    received = attention_received(model, tokens)
    sets = {("attention", "mean"): received.mean(axis=1)}
    sets |= {("attention", str(h)): received[:, h] for h in range(received.shape[1])}
    sets[("saliency", "-")] = np.abs(gradient_x_input(model, tokens))
    return sets


def run(
    encoded: str,
    weights: str,
    hparams: str,
    top_k: int,
    tolerance: int,
    threads: int,
    out: dict,
    ids: dict | None = None,
) -> None:
    """Score attention and saliency of one model against the motif mask (test split).

    ``ids`` (``dataset``, ``model``, ``seed`` of the model, from the rule) lead every row."""
    ids = ids or {}
    torch.set_num_threads(max(1, threads))
    data = load_encoded(encoded)
    test = np.flatnonzero(data["split"] == "test")
    model, _ = load_model(weights, hparams)
    sets = score_sets(model, torch.from_numpy(data["tokens"][test].astype(np.int64)))
    rows = []
    if bool(data["has_sites"]):
        for (method, head), scores in sets.items():
            found = summarize_recovery(
                scores,
                data["motif_index"][test],
                data["lengths"][test],
                data["labels"][test],
                data["motif_labels"],
                data["motif_roles"],
                k_values=sorted({1, top_k}),
                tolerance=tolerance,
            )
            rows += [ids | {"method": method, "head": head, **row} for row in found]
    else:
        log.info("no ground-truth sites: recovery table left empty")
    with atomic_outputs(out["table"], out["attributions"]) as (table, npz):
        with open(table, "w") as handle:
            write_columns(handle, {c: [r[c] for r in rows] for c in (*ids, *COLUMNS)})
        save_npz(
            npz,
            {
                "rows": test.astype(np.int32),
                "attention": sets[("attention", "mean")].astype(np.float32),
                "saliency": sets[("saliency", "-")].astype(np.float32),
            },
        )


def main(smk) -> None:
    out = {"table": smk.output.table, "attributions": smk.output.attributions}
    p = smk.params
    with rule_logging(smk.log[0], "evaluate_recovery"):
        run(
            smk.input.encoded,
            smk.input.model,
            smk.input.hparams,
            p.top_k,
            p.tolerance,
            smk.threads,
            out,
            dict(p.ids),
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
