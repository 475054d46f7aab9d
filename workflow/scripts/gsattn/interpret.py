"""Per-position attributions of token models: attention received and gradient×input."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def gradient_x_input(model: nn.Module, tokens: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """Gradient×input saliency of the first output on the token embeddings.

    Parameters
    ----------
    model : nn.Module
        Has an ``embedding`` (``nn.Embedding``) whose output feeds the rest of the model.
    tokens : torch.Tensor
        ``(N, L)`` token ids.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` float32: ``sum_d (∂ logit / ∂ e_{l,d}) · e_{l,d}`` per position.
    """
    model.eval()
    captured: list[torch.Tensor] = []

    def keep(_module, _inputs, output):
        output.retain_grad()
        captured.append(output)

    handle = model.embedding.register_forward_hook(keep)
    device = next(model.parameters()).device
    out = []
    try:
        for start in range(0, tokens.shape[0], batch_size):
            captured.clear()
            batch = tokens[start : start + batch_size].to(device)
            model.zero_grad(set_to_none=True)
            model(batch)[:, 0].sum().backward()
            emb = captured[0]
            out.append((emb.grad * emb).sum(dim=-1).detach().float().cpu())
    finally:
        handle.remove()
        model.zero_grad(set_to_none=True)
    return torch.cat(out).numpy()


@torch.no_grad()
def attention_received(model: nn.Module, tokens: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """``(N, h, L)`` weight each position contributes to the pooled vector, per head
    (see :meth:`gsattn.models.AttentionClassifier.attend`)."""
    model.eval()
    device = next(model.parameters()).device
    parts = [
        model.attend(tokens[s : s + batch_size].to(device))["received"].float().cpu()
        for s in range(0, tokens.shape[0], batch_size)
    ]
    return torch.cat(parts).numpy()
