"""Rule check_long_budget: does one model fit the long-sequence budget at one length?

Applies the budget rule of :mod:`gsattn.long` (:func:`gsattn.long.budget_row`) before
any training: the closed-form memory estimate of one training step against
``budget.memory_gb``, then (only where that fits) a few timed training steps on real
training sequences at the training batch size (CPU time of the process on CPU, wall
time on CUDA), extrapolated to ``max_epochs`` full
epochs, against ``budget.seconds``. Writes one row: ``status`` (``trained`` or
``over budget``), the reason and the estimates.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

import numpy as np
import torch

from gsattn.datasets import load_encoded
from gsattn.io import atomic_outputs, write_table
from gsattn.logs import rule_logging
from gsattn.long import budget_row, build_long_model, model_config, sdpa_only, time_training_steps
from gsattn.train import prepare_device

log = logging.getLogger("check_long_budget")


def run(
    encoded: str,
    kind: str,
    specs: dict,
    training: dict,
    budget: dict,
    seed: int,
    threads: int,
    out: str,
    ids: dict | None = None,
    device: str = "auto",
) -> None:
    """Decide whether model ``kind`` is trained at the encoded data's length; write ``out``.

    ``seed``: the weights of the probe model (the first long-sequence seed).
    """
    dev = prepare_device(device, threads)
    arrays = load_encoded(encoded)
    length = arrays["tokens"].shape[1]
    train = np.flatnonzero(arrays["split"] == "train")
    sizes = {"length": length, "n_train": train.size}
    sizes["n_validation"] = int((arrays["split"] == "validation").sum())
    config = model_config(kind, length, specs)
    rows = train[: training["batch_size"]]
    tokens = torch.from_numpy(arrays["tokens"][rows].astype(np.int64))
    targets = torch.from_numpy(arrays["labels"][rows].astype(np.float32))

    def time_step() -> float:
        model = build_long_model(kind, config, seed)
        return time_training_steps(model, tokens, targets, budget["probe_steps"], dev)

    with sdpa_only():
        row = budget_row(kind, config, sizes, training, budget, time_step)
    log.info("%s at L = %d on %s: %s %s", kind, length, dev, row["status"], row["reason"])
    with atomic_outputs(out) as (path,):
        with open(path, "w") as handle:
            write_table(handle, [(ids or {}) | row | {"device": str(dev)}])


def main(smk) -> None:
    p = smk.params
    with rule_logging(smk.log[0], "check_long_budget"):
        run(
            smk.input.encoded,
            p.ids["model"],
            p.specs,
            p.training,
            p.budget,
            int(p.seed),
            smk.threads,
            smk.output.budget,
            dict(p.ids),
            p.device,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
