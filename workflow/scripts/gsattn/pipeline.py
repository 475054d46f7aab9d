"""Phase 3 models: the task-specific joint pipeline and a DeepBind-like CNN.

* :class:`JointPipelineModel` – the design: task-specific embeddings
  ``Embedding(6, 16)`` → ``Linear(16, 8)`` compressor at every position →
  flatten (8·L) → ``Linear(8·L, 32)`` → ReLU → ``Linear(32, 1)``. No attention
  intermediate. Trained with two parameter groups (:func:`pipeline_optimizer`):
  the embeddings at one learning rate (0.01 by default), the rest at another
  (0.002).
* :class:`CNNBaseline` – ``Embedding(6, 16)`` → ``Conv1d(16, C, k)`` + ReLU →
  global max over non-PAD positions → ``Linear(C, 1)`` (one conv layer, as in
  DeepBind), a second rival so "superior" is judged against more than one model.

Both take token ids ``(N, L)`` and return logits ``(N, 1)``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gsattn.seeding import seeded
from gsattn.seq import PAD_TOKEN, VOCAB_SIZE

KINDS = ("joint_pipeline", "cnn")


@dataclass(frozen=True)
class PipelineConfig:
    """Hyper-parameters of the Phase 3 models (schema defaults)."""

    kind: str = "joint_pipeline"
    length: int = 100
    d_model: int = 16
    compressed: int = 8
    hidden: int = 32
    cnn_channels: int = 32
    cnn_kernel: int = 15

    def to_dict(self) -> dict:
        return asdict(self)


class JointPipelineModel(nn.Module):
    """Embedding → per-position ``Linear(d, c)`` → flatten → ``Linear(c·L, h)`` → ReLU → ``Linear(h, 1)``."""

    def __init__(self, length: int, d_model: int = 16, compressed: int = 8, hidden: int = 32):
        super().__init__()
        self.length = length
        self.embedding = nn.Embedding(VOCAB_SIZE, d_model)
        self.compressor = nn.Linear(d_model, compressed)
        self.hidden = nn.Linear(compressed * length, hidden)
        self.output = nn.Linear(hidden, 1)

    def represent(self, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        """Intermediates of ``(N, L)`` tokens: ``compressed`` (N, L, c), ``hidden`` (N, h)
        (after ReLU: what the output layer reads) and ``logits`` (N, 1)."""
        if tokens.shape[1] != self.length:
            raise ValueError(f"joint pipeline expects length {self.length}, got {tokens.shape[1]}")
        compressed = self.compressor(self.embedding(tokens))
        hidden = F.relu(self.hidden(compressed.flatten(1)))
        return {"compressed": compressed, "hidden": hidden, "logits": self.output(hidden)}

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.represent(tokens)["logits"]


class CNNBaseline(nn.Module):
    """One convolution + global max pooling (PAD positions excluded) + linear head."""

    def __init__(self, d_model: int = 16, channels: int = 32, kernel: int = 15):
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"cnn kernel must be odd, got {kernel}")
        self.embedding = nn.Embedding(VOCAB_SIZE, d_model)
        self.conv = nn.Conv1d(d_model, channels, kernel, padding=kernel // 2)
        self.output = nn.Linear(channels, 1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        pad = tokens == PAD_TOKEN
        x = self.embedding(tokens).masked_fill(pad[..., None], 0.0)
        h = F.relu(self.conv(x.transpose(1, 2))).masked_fill(pad[:, None, :], float("-inf"))
        return self.output(h.amax(dim=2))


def build_pipeline_model(config: PipelineConfig, seed: int) -> nn.Module:
    """A Phase 3 model of ``config.kind`` initialised from ``seed`` (:func:`gsattn.seeding.seeded`)."""
    if config.kind == "joint_pipeline":
        with seeded(seed):
            return JointPipelineModel(config.length, config.d_model, config.compressed, config.hidden)
    if config.kind == "cnn":
        with seeded(seed):
            return CNNBaseline(config.d_model, config.cnn_channels, config.cnn_kernel)
    raise ValueError(f"unknown model kind {config.kind!r}; expected one of {KINDS}")


def pipeline_optimizer(model: nn.Module, lr_embedding: float, lr_rest: float, weight_decay: float = 0.0):
    """Adam with two parameter groups: ``embedding`` at ``lr_embedding``, the rest at ``lr_rest``."""
    embedding = list(model.embedding.parameters())
    ids = {id(p) for p in embedding}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return torch.optim.Adam(
        [
            {"params": embedding, "lr": lr_embedding, "name": "embedding"},
            {"params": rest, "lr": lr_rest, "name": "rest"},
        ],
        weight_decay=weight_decay,
    )


def pipeline_flops(config: PipelineConfig) -> int:
    """Closed-form FLOPs per sequence (1 multiply-add = 2; bias adds and ReLU counted once)."""
    length, d, c, h = config.length, config.d_model, config.compressed, config.hidden
    if config.kind == "joint_pipeline":
        return (2 * d * c + c) * length + (2 * c * length * h + h) + h + (2 * h + 1)
    k, ch = config.cnn_kernel, config.cnn_channels
    return (2 * d * ch * k + 2 * ch) * length + ch * (length - 1) + (2 * ch + 1)


def save_pipeline(model: nn.Module, config: PipelineConfig, weights: str, hparams: str, extra: dict) -> None:
    """``state_dict`` plus a JSON with the config (``pipeline`` key) and ``extra``."""
    torch.save(model.state_dict(), weights)
    with open(hparams, "w") as handle:
        json.dump({"pipeline": config.to_dict(), **extra}, handle, indent=2, sort_keys=True)


def load_pipeline(weights: str, hparams: str, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild a saved Phase 3 model (``weights_only=True``) in eval mode."""
    with open(hparams) as handle:
        info = json.load(handle)
    model = build_pipeline_model(PipelineConfig(**info["pipeline"]), seed=0)
    model.load_state_dict(torch.load(weights, map_location=device, weights_only=True))
    return model.to(device).eval(), info


def load_any_model(weights: str, hparams: str, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """A saved Phase 1 attention model or Phase 3 model, told apart by its hyper-parameters.

    Phase 3 models save their config under ``pipeline`` (:func:`save_pipeline`);
    anything else is loaded with :func:`gsattn.models.load_model`.
    """
    from gsattn.models import load_model

    with open(hparams) as handle:
        is_pipeline = "pipeline" in json.load(handle)
    return (load_pipeline if is_pipeline else load_model)(weights, hparams, device)
