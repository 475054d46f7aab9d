"""Rule extract_attention: save a trained model's attention as Phase 2's ground truth.

For every sequence of every split, ``ground_truth.npz`` holds (float16 where
marked, to keep the file compact; float16 keeps about 3 significant digits):

============== ================= =====================================================
outputs        (N, L, d) f2      attention-layer outputs at sequence positions
head_outputs   (N, h, L, d/h) f2 per-head outputs before the output projection
received       (N, h, L) f4      weight each position contributes to the pooled vector
pooled         (N, d) f4         what the classifier reads
logits         (N,) f4           classifier output
maps           (S, h, L', L') f2 full attention maps (rows: queries; L' = L + 1 with CLS)
map_rows       (S,) i4           row (into ids) of each saved map, test split first
ids, split     (N,) str          sequence IDs and split, encoded.npz order
============== ================= =====================================================
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

import numpy as np
import torch

from gsattn.datasets import load_encoded
from gsattn.inference import run_batched
from gsattn.io import atomic_outputs, save_npz
from gsattn.logs import rule_logging
from gsattn.models import load_model

log = logging.getLogger("extract_attention")
HALF = ("outputs", "head_outputs")


def map_rows(split: np.ndarray, n_maps: int) -> np.ndarray:
    """Rows whose full maps are kept: the first ``n_maps`` of test, then validation, then train."""
    order = np.concatenate([np.flatnonzero(split == s) for s in ("test", "validation", "train")])
    return np.sort(order[:n_maps]).astype(np.int32)


def extract(model, tokens: torch.Tensor, rows: np.ndarray, batch_size: int = 128) -> dict[str, np.ndarray]:
    """Run :meth:`attend` over all ``tokens`` in batches and collect the arrays."""
    wanted = set(rows.tolist())

    def attention(model, batch: torch.Tensor, batch_rows: range) -> dict[str, torch.Tensor]:
        parts = model.attend(batch)
        keep = {key: parts[key].float() for key in ("outputs", "head_outputs", "received", "pooled")}
        local = [j for j, i in enumerate(batch_rows) if i in wanted]
        return keep | {"logits": parts["logits"][:, 0].float(), "maps": parts["weights"][local].float()}

    arrays = run_batched(model, tokens, attention, batch_size)
    for key in (*HALF, "maps"):
        arrays[key] = arrays[key].astype(np.float16)
    return arrays


def run(encoded: str, weights: str, hparams: str, n_maps: int, threads: int, out: str) -> None:
    """Extract the ground truth of one trained model into ``out``."""
    torch.set_num_threads(max(1, threads))
    data = load_encoded(encoded)
    model, _ = load_model(weights, hparams)
    rows = map_rows(data["split"], n_maps)
    arrays = extract(model, torch.from_numpy(data["tokens"].astype(np.int64)), rows)
    arrays |= {"map_rows": rows, "ids": data["ids"], "split": data["split"]}
    log.info("extracted %s", {k: v.shape for k, v in arrays.items()})
    with atomic_outputs(out) as (path,):
        save_npz(path, arrays)


def main(smk) -> None:
    with rule_logging(smk.log[0], "extract_attention"):
        run(
            smk.input.encoded,
            smk.input.model,
            smk.input.hparams,
            smk.params.n_maps,
            smk.threads,
            smk.output.truth,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
