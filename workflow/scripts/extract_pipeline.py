"""Rule extract_pipeline: the joint pipeline's representations as a Phase 2 teacher.

Used when Phase 2 distils the joint pipeline (``phase2.teacher: winner`` where
it won, or ``joint_pipeline``). For every sequence: the compressed
representation ``(N, L, c)`` (float16), the hidden layer ``(N, h)`` its output
layer reads (``pooled``, the distillation target, float32) and the logits;
for the test split |gradient×input| saliency (the baseline selection of
``evaluate_sparse``); and the teacher's parameters and closed-form FLOPs in the
format of Phase 1's ``compute.tsv``.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import numpy as np
import torch

from gsattn.datasets import load_encoded
from gsattn.inference import run_batched
from gsattn.interpret import gradient_x_input
from gsattn.io import atomic_outputs, save_npz, write_table
from gsattn.logs import rule_logging
from gsattn.pipeline import load_pipeline


def _representation(model, tokens: torch.Tensor, rows: range) -> dict[str, torch.Tensor]:
    out = model.represent(tokens)
    return {"compressed": out["compressed"].half(), "pooled": out["hidden"], "logits": out["logits"][:, 0]}


def representations(model, tokens: torch.Tensor, batch_size: int = 256) -> dict[str, np.ndarray]:
    """``compressed`` (N, L, c), ``pooled`` (N, h) and ``logits`` (N,) of ``(N, L)`` tokens."""
    return run_batched(model, tokens, _representation, batch_size)


def run(encoded: str, weights: str, hparams: str, threads: int, out: dict, ids: dict | None = None) -> None:
    """Extract one seed's joint pipeline; ``out`` has keys truth, attributions, compute
    (its rows led by ``ids``: ``dataset``, ``model``, ``seed``)."""
    ids = ids or {}
    torch.set_num_threads(max(1, threads))
    data = load_encoded(encoded)
    model, info = load_pipeline(weights, hparams)
    if info["pipeline"]["kind"] != "joint_pipeline":
        raise ValueError(f"{hparams}: not a joint pipeline model ({info['pipeline']['kind']})")
    tokens = torch.from_numpy(data["tokens"].astype(np.int64))
    arrays = representations(model, tokens)
    test = np.flatnonzero(data["split"] == "test")
    saliency = np.abs(gradient_x_input(model, tokens[test]))
    compute = [
        {"metric": "parameters", "value": info["n_parameters"], "unit": "count", "method": "hparams.json"},
        {
            "metric": "flops_analytical",
            "value": info["flops"],
            "unit": "FLOP/sequence",
            "method": "pipeline_flops: closed form, 1 multiply-add = 2",
        },
    ]
    with atomic_outputs(out["truth"], out["attributions"], out["compute"]) as (truth, attr, comp):
        save_npz(truth, {"ids": data["ids"], "split": data["split"]} | arrays)
        save_npz(attr, {"rows": test.astype(np.int32), "saliency": saliency.astype(np.float32)})
        with open(comp, "w") as handle:
            write_table(handle, [ids | r for r in compute])


def main(smk) -> None:
    out = {k: smk.output[k] for k in ("truth", "attributions", "compute")}
    with rule_logging(smk.log[0], "extract_pipeline"):
        run(smk.input.encoded, smk.input.model, smk.input.hparams, smk.threads, out, dict(smk.params.ids))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
