"""Running a model for inference: evaluation mode, example inputs, batched outputs.

* :func:`evaluating` – ``model.eval()`` + ``torch.no_grad()`` for a block,
  optionally forcing ``torch.backends.mha``'s fast path on or off; the training
  flag and the fast-path setting are restored afterwards. FLOP counting
  (:mod:`gsattn.flops`) and the memory and speed measurements
  (:mod:`gsattn.measure`) run their passes inside it.
* :func:`example_tokens` – seeded random ACGT token ids ``(N, L)`` (no PAD),
  the inputs of every compute measurement.
* :func:`run_batched` – a model over ``(N, L)`` token ids in consecutive
  batches of ``batch_size`` rows, its outputs moved to the CPU and
  concatenated in row order: the one loop behind prediction
  (:func:`gsattn.train.predict`) and the extraction scripts
  (``evaluate_sparse``, ``extract_attention``, ``extract_pipeline``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping

import numpy as np
import torch
from torch import nn

from gsattn.seq import ALPHABET

#: ``outputs(model, tokens, rows) -> {name: (n, ...) tensor}`` of one batch:
#: ``tokens`` its ``(n, L)`` token ids (on the model's device), ``rows`` their
#: row numbers in the whole input.
BatchOutputs = Callable[[nn.Module, torch.Tensor, range], Mapping[str, torch.Tensor]]


@contextlib.contextmanager
def evaluating(model: nn.Module, fastpath: bool | None = None) -> Iterator[None]:
    """``model.eval()`` + ``torch.no_grad()``, optionally forcing the MHA fast path.

    Restores the training flag and the global ``torch.backends.mha`` setting.
    """
    was_training = model.training
    previous = torch.backends.mha.get_fastpath_enabled()
    model.eval()
    if fastpath is not None:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    try:
        with torch.no_grad():
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(previous)
        model.train(was_training)


def example_tokens(
    batch_size: int, length: int, *, seed: int = 0, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """Deterministic random ``(batch_size, length)`` int64 ACGT token ids (no PAD)."""
    generator = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, len(ALPHABET), (batch_size, length), generator=generator)
    return tokens.to(device)


def run_batched(
    model: nn.Module,
    tokens: torch.Tensor,
    outputs: BatchOutputs,
    batch_size: int = 256,
    device: str | torch.device | None = None,
) -> dict[str, np.ndarray]:
    """Outputs of ``model`` over every row of ``tokens``, one batch at a time.

    Rows ``[start, start + batch_size)`` for ``start = 0, batch_size, …`` are
    moved to ``device`` and passed to ``outputs`` under :func:`evaluating`
    (eval mode, no autograd); each returned tensor is moved to the CPU, and the
    tensors of one name are concatenated along the first axis in batch order
    (``torch.cat``), keeping their dtype.

    Parameters
    ----------
    model : nn.Module
        The model; its training flag is restored afterwards.
    tokens : torch.Tensor
        ``(N, L)`` token ids, ``N >= 1``.
    outputs : callable
        ``outputs(model, batch, rows) -> {name: (n, ...) tensor}`` for a
        ``(n, L)`` batch whose rows in ``tokens`` are ``rows``; every batch
        returns the same names (a tensor may hold fewer than ``n`` rows, e.g.
        a selection of them).
    batch_size : int
        Rows per batch (``>= 1``).
    device : str or torch.device, optional
        Where the batches go; by default the device of the model's first parameter.

    Returns
    -------
    dict[str, numpy.ndarray]
        ``{name: (sum of rows, ...) array}`` in the names' order of the first batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    device = device or next(model.parameters()).device
    parts: dict[str, list[torch.Tensor]] = {}
    n = tokens.shape[0]
    with evaluating(model):
        for start in range(0, n, batch_size):
            rows = range(start, min(start + batch_size, n))
            for name, value in outputs(model, tokens[start : start + batch_size].to(device), rows).items():
                parts.setdefault(name, []).append(value.cpu())
    return {name: torch.cat(values).numpy() for name, values in parts.items()}
