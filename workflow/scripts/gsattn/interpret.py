"""Per-position attributions of token models: attention received, gradient×input and
in-silico mutagenesis (ISM)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from gsattn.seq import ALPHABET, PAD_TOKEN


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


@torch.no_grad()
def in_silico_mutagenesis(model: nn.Module, tokens: torch.Tensor, batch_size: int = 4096) -> np.ndarray:
    """In-silico mutagenesis: the largest change of the logit a single substitution causes.

    Every non-PAD position is set in turn to each of A, C, G and T (the
    reference base gives a change of 0, an ``N`` four real substitutions) and
    the model's first output is recomputed.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, L)`` token ids to ``(B, 1)`` logits.
    tokens : torch.Tensor
        ``(N, L)`` token ids.
    batch_size : int
        Mutant sequences per forward pass.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` float32: ``max_b |logit(x with x_l = b) - logit(x)|``, 0 at PAD.
    """
    model.eval()
    device = next(model.parameters()).device
    n, length = tokens.shape
    bases = torch.arange(len(ALPHABET), device=device)
    out = torch.zeros(n, length)
    for i in tqdm(range(n), desc="ISM sequences", mininterval=5):
        seq = tokens[i].to(device)
        positions = torch.nonzero(seq != PAD_TOKEN).flatten()
        if positions.numel() == 0:
            continue
        reference = model(seq[None])[0, 0]
        pos = positions.repeat_interleave(len(ALPHABET))  # (P * 4,)
        base = bases.repeat(positions.numel())
        mutants = seq.repeat(pos.numel(), 1)
        mutants[torch.arange(pos.numel(), device=device), pos] = base.to(seq.dtype)
        logits = torch.cat(
            [model(mutants[s : s + batch_size])[:, 0] for s in range(0, pos.numel(), batch_size)]
        )
        change = (logits - reference).abs().view(positions.numel(), len(ALPHABET)).amax(dim=1)
        out[i, positions.cpu()] = change.float().cpu()
    return out.numpy()
