"""Attention models over token ids (A, C, G, T, N, PAD).

:class:`AttentionClassifier` covers both Phase 1 variants:

* ``seed`` – exactly the design: ``Embedding(6, 16)`` → ``MultiheadAttention(16, 4)``
  → mean over (non-PAD) positions → ``Linear(16, 1)``. Without positional
  information it sees a bag of nucleotides.
* ``attention`` – the same core plus a convolutional k-mer stem
  (``Conv1d(16, 16, k)`` + ReLU over the embeddings) and positional encodings
  (sinusoidal or learned), still one attention layer of d=16, 4 heads.

Pooling is ``mean`` (the design: mean of the attention outputs over query
positions) or ``cls`` (a learned CLS token is prepended and its output is
pooled). PAD keys are masked (``key_padding_mask``) and PAD queries are left
out of the mean.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gsattn.seeding import seeded
from gsattn.seq import PAD_TOKEN, VOCAB_SIZE


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of :class:`AttentionClassifier` (saved as JSON next to weights)."""

    d_model: int = 16
    n_heads: int = 4
    positional: str = "none"  # none | sinusoidal | learned
    stem: str = "none"  # none | conv
    stem_kernel: int = 15
    stem_channels: int = 64
    pooling: str = "mean"  # mean | cls
    max_len: int = 200
    n_out: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


def sinusoidal_encoding(length: int, d_model: int) -> torch.Tensor:
    """``(length, d_model)`` sinusoidal position encodings (Vaswani et al. 2017)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    enc = torch.zeros(length, d_model)
    enc[:, 0::2] = torch.sin(position * div)
    enc[:, 1::2] = torch.cos(position * div[: d_model // 2])
    return enc


def make_stem(d_model: int, channels: int, kernel: int) -> nn.Sequential:
    """k-mer stem over ``(N, d, L)`` embeddings: ``Conv1d(d, channels, kernel)`` + ReLU,
    then, when ``channels != d``, a ``Conv1d(channels, d, 1)`` back to ``d``."""
    layers: list[nn.Module] = [nn.Conv1d(d_model, channels, kernel, padding=kernel // 2), nn.ReLU()]
    if channels != d_model:
        layers.append(nn.Conv1d(channels, d_model, 1))
    return nn.Sequential(*layers)


class AttentionClassifier(nn.Module):
    """One multi-head self-attention layer over nucleotide tokens, then a linear head.

    Parameters
    ----------
    config : ModelConfig
    """

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        if config.positional not in ("none", "sinusoidal", "learned"):
            raise ValueError(f"unknown positional {config.positional!r}")
        if config.stem not in ("none", "conv") or config.pooling not in ("mean", "cls"):
            raise ValueError(f"unknown stem {config.stem!r} or pooling {config.pooling!r}")
        self.config = config
        d = config.d_model
        self.embedding = nn.Embedding(VOCAB_SIZE, d)
        if config.stem_kernel % 2 == 0:
            raise ValueError(f"stem_kernel must be odd (same-length convolution), got {config.stem_kernel}")
        self.stem = make_stem(d, config.stem_channels, config.stem_kernel) if config.stem == "conv" else None
        if config.positional == "learned":
            self.position = nn.Embedding(config.max_len, d)
        elif config.positional == "sinusoidal":
            self.register_buffer("sinusoid", sinusoidal_encoding(config.max_len, d), persistent=False)
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.02) if config.pooling == "cls" else None
        self.attention = nn.MultiheadAttention(d, config.n_heads, batch_first=True)
        self.classifier = nn.Linear(d, config.n_out)

    # ------------------------------------------------------------------ pieces
    def embed(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids ``(N, L)`` → inputs of the attention layer.

        Returns
        -------
        x : torch.Tensor
            ``(N, L', d)`` with ``L' = L + 1`` under CLS pooling (CLS first).
        pad : torch.Tensor
            ``(N, L')`` bool, True at PAD positions (never at CLS).
        """
        pad = tokens == PAD_TOKEN
        x = self.embedding(tokens)
        if self.stem is not None:
            x = x.masked_fill(pad[..., None], 0.0)
            x = self.stem(x.transpose(1, 2)).transpose(1, 2)
        if self.config.positional != "none":
            length = tokens.shape[1]
            if length > self.config.max_len:
                raise ValueError(f"sequence length {length} exceeds max_len {self.config.max_len}")
            pos = (
                self.position.weight[:length]
                if self.config.positional == "learned"
                else self.sinusoid[:length]
            )
            x = x + pos
        if self.cls is not None:
            x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
            pad = torch.cat([torch.zeros_like(pad[:, :1]), pad], dim=1)
        return x, pad

    def pool(self, outputs: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """``(N, L', d)`` attention outputs → ``(N, d)`` pooled representation."""
        if self.cls is not None:
            return outputs[:, 0]
        keep = (~pad).to(outputs.dtype)[..., None]
        return (outputs * keep).sum(dim=1) / keep.sum(dim=1).clamp_min(1.0)

    def forward(self, tokens: torch.Tensor, return_attention: bool = False):
        """Logits ``(N, n_out)``; with ``return_attention`` also weights ``(N, h, L', L')``."""
        x, pad = self.embed(tokens)
        outputs, weights = self.attention(
            x, x, x, key_padding_mask=pad, need_weights=return_attention, average_attn_weights=False
        )
        logits = self.classifier(self.pool(outputs, pad))
        return (logits, weights) if return_attention else logits

    def attend(self, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        """Everything Phase 1 saves as ground truth, for a batch of ``(N, L)`` tokens.

        Returns
        -------
        dict
            ``outputs`` (N, L, d) attention-layer outputs at sequence positions;
            ``head_outputs`` (N, h, L, d/h) per-head outputs before the output
            projection; ``weights`` (N, h, L', L') attention maps (rows: queries);
            ``received`` (N, h, L) the weight each sequence position contributes
            to the pooled vector (mean over non-PAD queries, or the CLS row);
            ``pooled`` (N, d) what the classifier reads; ``logits`` (N, n_out).
        """
        x, pad = self.embed(tokens)
        head_outputs, weights = multihead_parts(self.attention, x, pad)
        n, h, length, dh = head_outputs.shape
        outputs = self.attention.out_proj(head_outputs.transpose(1, 2).reshape(n, length, h * dh))
        pooled = self.pool(outputs, pad)
        offset = 1 if self.cls is not None else 0
        if self.cls is not None:
            received = weights[:, :, 0, 1:]
        else:
            keep = (~pad).to(weights.dtype)[:, None, :, None]
            received = (weights * keep).sum(dim=2) / keep.sum(dim=2).clamp_min(1.0)
        return {
            "outputs": outputs[:, offset:],
            "head_outputs": head_outputs[:, :, offset:],
            "weights": weights,
            "received": received,
            "pooled": pooled,
            "logits": self.classifier(pooled),
        }


def multihead_parts(
    mha: nn.MultiheadAttention, x: torch.Tensor, pad: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Recompute ``nn.MultiheadAttention`` (self-attention, batch first) by hand.

    Parameters
    ----------
    mha : nn.MultiheadAttention
        With packed ``in_proj_weight`` (equal q/k/v dims).
    x : torch.Tensor
        ``(N, L, d)`` inputs.
    pad : torch.Tensor
        ``(N, L)`` bool key padding mask (True = ignore).

    Returns
    -------
    head_outputs : torch.Tensor
        ``(N, h, L, d/h)`` softmax(QKᵀ/√(d/h))·V per head, before ``out_proj``.
    weights : torch.Tensor
        ``(N, h, L, L)`` attention weights.
    """
    n, length, d = x.shape
    h = mha.num_heads
    q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)
    q, k, v = (t.reshape(n, length, h, d // h).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-2, -1) / math.sqrt(d // h)
    scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
    weights = scores.softmax(dim=-1)
    return weights @ v, weights


def build_model(config: ModelConfig, seed: int) -> AttentionClassifier:
    """Model with weights initialised from ``seed`` (:func:`gsattn.seeding.seeded`)."""
    with seeded(seed):
        return AttentionClassifier(config)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def save_model(model: AttentionClassifier, weights_path: str, hparams_path: str, extra: dict) -> None:
    """Write the ``state_dict`` and a JSON of hyper-parameters (``model`` key + ``extra``)."""
    import json

    torch.save(model.state_dict(), weights_path)
    with open(hparams_path, "w") as handle:
        json.dump({"model": model.config.to_dict(), **extra}, handle, indent=2, sort_keys=True)


def load_model(
    weights_path: str, hparams_path: str, device: str | torch.device = "cpu"
) -> tuple[AttentionClassifier, dict]:
    """Rebuild a saved model (``weights_only=True``) in eval mode; returns it and its hparams."""
    import json

    with open(hparams_path) as handle:
        hparams = json.load(handle)
    model = AttentionClassifier(ModelConfig(**hparams["model"]))
    model.load_state_dict(torch.load(weights_path, map_location=device, weights_only=True))
    return model.to(device).eval(), hparams
