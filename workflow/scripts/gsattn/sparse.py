"""Phase 2: a learned top-k token selector and an MLP that approximates attention.

:class:`SparseApproximator` reads a sequence of token ids ``(N, L)`` and
produces what the Phase 1 teacher's attention layer hands its classifier: the
pooled vector ``(N, d)``. It looks at every position only through a cheap
selector; the expensive part runs on ``k = ceil(rho * L)`` positions:

1. ``embedding``: ``Embedding(6, d)`` (initialised from the teacher's).
2. ``TokenSelector``: ``Conv1d(d, c, kernel)`` + ReLU gives a local-context
   feature per position ``(N, c, L)``; ``Conv1d(c, 1, 1)`` scores it. PAD
   scores ``-inf``. A score from one nucleotide cannot locate a motif; the
   convolution sees ``kernel`` bp around it. ``selector_separable`` makes the
   convolution depthwise-separable (same field, far fewer FLOPs).
3. Hard top-k of the scores (:func:`select_top_k`).
4. ``MLPApproximator`` on each selected position: its 48 input features are
   the token embedding (d = 16), the selector's context feature at that
   position (c = 16) and the sinusoidal encoding of its position (16);
   ``Linear(48, 8)`` → ReLU → ``Linear(8, 16)`` gives a value per position.
5. The pooled vector is the softmax(score / temperature)-weighted sum of the
   values over the selected positions.

What the student sees: the value at a selected position reads the
``selector_kernel`` bp around it through the context convolution, so the
``k`` selected positions read the union of their fields, not ``k`` bases
(:mod:`gsattn.receptive`).

Relaxation: the selected *set* is a hard top-k (no gradient), but the
selector's scores also weight the selected values, so the selector receives
gradients through those weights (a straight-through-style estimator: positions
whose score rises gain weight and stay selected).

**Joint-pipeline teacher** (``SparseConfig.teacher == "joint_pipeline"``, Phase
3's ``teacher: winner``): the joint pipeline's compressed representation is
position-specific, ``(N, L, c)`` with ``c = 8``, and its head reads all of it
(``Linear(c·L, h)`` → ReLU → ``Linear(h, 1)``). The student then writes an
approximated compressed vector ``(c,)`` at each of the ``k`` selected positions
(zeros elsewhere), gated by ``k · softmax(score / temperature)`` so the
selector gets gradients, and passes it through a frozen copy of the teacher's
head (:class:`SparseHead`, which multiplies only the ``k`` selected blocks of
the head's weight). Its "pooled vector" is the head's hidden layer ``(N, h)``,
what the teacher's final ``Linear(h, 1)`` reads; that is the distillation target.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gsattn.models import sinusoidal_encoding
from gsattn.seeding import seeded
from gsattn.seq import PAD_TOKEN, VOCAB_SIZE

TEACHERS = ("attention", "joint_pipeline")


@dataclass(frozen=True)
class SparseConfig:
    """Hyper-parameters of :class:`SparseApproximator` (schema defaults)."""

    rho: float = 0.1
    d_model: int = 16
    selector_kernel: int = 15
    selector_channels: int = 16
    selector_separable: bool = False
    position_dim: int = 16
    hidden: int = 8
    temperature: float = 1.0
    max_len: int = 100
    teacher: str = "attention"
    out_dim: int = 0
    head_hidden: int = 0

    def __post_init__(self):
        if self.teacher not in TEACHERS:
            raise ValueError(f"teacher must be one of {TEACHERS}, got {self.teacher!r}")
        if self.teacher == "joint_pipeline" and (self.out_dim < 1 or self.head_hidden < 1):
            raise ValueError("a joint_pipeline teacher needs out_dim (compressed) and head_hidden >= 1")

    @property
    def n_features(self) -> int:
        """Input width of the MLP: embedding + context + position (48 by default)."""
        return self.d_model + self.selector_channels + self.position_dim

    @property
    def value_dim(self) -> int:
        """Width of the MLP's value per position: ``d_model`` (attention teacher) or
        ``out_dim`` (the joint pipeline's compressed width)."""
        return self.out_dim or self.d_model

    @property
    def pooled_dim(self) -> int:
        """Width of the approximated vector the classifier reads."""
        return self.head_hidden if self.teacher == "joint_pipeline" else self.d_model

    def k(self, length: int) -> int:
        """Positions kept for a padded length ``length``: ``ceil(rho * length)``, at least 1."""
        return max(1, math.ceil(self.rho * length - 1e-9))

    def to_dict(self) -> dict:
        return asdict(self)


def select_top_k(scores: torch.Tensor, pad: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Hard top-k positions per sequence, never PAD.

    Parameters
    ----------
    scores : torch.Tensor
        ``(N, L)`` selector scores.
    pad : torch.Tensor
        ``(N, L)`` bool, True at PAD.
    k : int

    Returns
    -------
    index : torch.Tensor
        ``(N, k)`` int64 distinct positions, in decreasing score order.
    valid : torch.Tensor
        ``(N, k)`` bool; False only where a sequence has fewer than ``k``
        non-PAD positions (those slots point at PAD and must be ignored).
    """
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"k={k} must be in [1, {scores.shape[1]}]")
    masked = scores.detach().masked_fill(pad, float("-inf"))
    index = masked.topk(k, dim=1).indices
    valid = ~pad.gather(1, index)
    return index, valid


class TokenSelector(nn.Module):
    """Local-context scorer: ``(N, d, L)`` embeddings → context ``(N, c, L)``, scores ``(N, L)``.

    ``context`` is ``Conv1d(d, c, kernel)`` (``2·d·c·K`` FLOPs per position) or, with
    ``separable``, a depthwise ``Conv1d(d, d, kernel, groups=d)`` followed by a pointwise
    ``Conv1d(d, c, 1)`` (``2·d·K + 2·d·c``): the same ``kernel``-bp field at a fraction of
    the cost.
    """

    def __init__(self, d_model: int = 16, channels: int = 16, kernel: int = 15, separable: bool = False):
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"selector kernel must be odd, got {kernel}")
        if separable:
            self.context = nn.Sequential(
                nn.Conv1d(d_model, d_model, kernel, padding=kernel // 2, groups=d_model),
                nn.Conv1d(d_model, channels, 1),
            )
        else:
            self.context = nn.Conv1d(d_model, channels, kernel, padding=kernel // 2)
        self.score = nn.Conv1d(channels, 1, 1)

    def forward(self, emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        context = F.relu(self.context(emb))
        return context, self.score(context)[:, 0]


class MLPApproximator(nn.Module):
    """``(…, n_features)`` → bottleneck ``hidden`` → ``(…, d_out)``; the design's 48 → 8 → 16."""

    def __init__(self, n_features: int = 48, hidden: int = 8, d_out: int = 16):
        super().__init__()
        self.compress = nn.Linear(n_features, hidden)
        self.expand = nn.Linear(hidden, d_out)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.expand(F.relu(self.compress(features)))


class SparseHead(nn.Module):
    """The joint pipeline's ``Linear(c·L, h)`` + ReLU, applied to ``k`` selected positions only.

    Equal to the dense layer on a ``(N, L, c)`` representation that is zero
    outside the selected positions, at ``2·k·c·h`` instead of ``2·L·c·h`` FLOPs.

    Parameters
    ----------
    length, compressed, hidden : int
        ``L``, ``c`` and ``h`` of the joint pipeline.
    """

    def __init__(self, length: int, compressed: int, hidden: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(length, compressed, hidden), requires_grad=False)
        self.bias = nn.Parameter(torch.zeros(hidden), requires_grad=False)

    @classmethod
    def from_linear(cls, layer: nn.Linear, length: int, compressed: int) -> SparseHead:
        """A frozen copy of ``layer`` (``Linear(c·L, h)`` over the flattened ``(L, c)`` representation)."""
        head = cls(length, compressed, layer.out_features)
        with torch.no_grad():
            head.weight.copy_(layer.weight.detach().T.reshape(length, compressed, -1))
            head.bias.copy_(layer.bias.detach())
        return head

    def forward(self, values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """``(N, k, c)`` values at positions ``(N, k)`` → ``(N, h)`` hidden activations."""
        return F.relu(torch.einsum("nkc,nkch->nh", values, self.weight[index]) + self.bias)


class SparseApproximator(nn.Module):
    """Selector + MLP approximator + (frozen) teacher classifier.

    Parameters
    ----------
    config : SparseConfig
    classifier : nn.Linear, optional
        The teacher's ``Linear(pooled_dim, 1)``; kept frozen. A fresh one if omitted.
    head : SparseHead, optional
        Joint-pipeline teacher only: the frozen head. A zero one if omitted.
    """

    def __init__(
        self,
        config: SparseConfig = SparseConfig(),
        classifier: nn.Linear | None = None,
        head: SparseHead | None = None,
    ):
        super().__init__()
        self.config = config
        d = config.d_model
        self.embedding = nn.Embedding(VOCAB_SIZE, d)
        self.selector = TokenSelector(
            d, config.selector_channels, config.selector_kernel, config.selector_separable
        )
        self.approximator = MLPApproximator(config.n_features, config.hidden, config.value_dim)
        pos = sinusoidal_encoding(config.max_len, config.position_dim)
        self.register_buffer("positions", pos, persistent=False)
        self.head = None
        if config.teacher == "joint_pipeline":
            self.head = (
                head if head is not None else SparseHead(config.max_len, config.out_dim, config.head_hidden)
            )
        self.classifier = classifier if classifier is not None else nn.Linear(config.pooled_dim, 1)
        for p in self.classifier.parameters():
            p.requires_grad_(False)

    def approximate(self, tokens: torch.Tensor) -> dict[str, torch.Tensor]:
        """Pooled vector and the selection for ``(N, L)`` tokens.

        Returns
        -------
        dict
            ``pooled`` (N, pooled_dim); ``index`` (N, k) selected positions; ``valid``
            (N, k) bool; ``weights`` (N, k) aggregation weights (0 where not
            valid); ``scores`` (N, L) selector scores.
        """
        n, length = tokens.shape
        if length > self.config.max_len:
            raise ValueError(f"sequence length {length} exceeds max_len {self.config.max_len}")
        pad = tokens == PAD_TOKEN
        emb = self.embedding(tokens).masked_fill(pad[..., None], 0.0)
        context, scores = self.selector(emb.transpose(1, 2))
        index, valid = select_top_k(scores, pad, self.config.k(length))
        gather = index[..., None]
        features = torch.cat(
            [
                emb.gather(1, gather.expand(-1, -1, emb.shape[-1])),
                context.transpose(1, 2).gather(1, gather.expand(-1, -1, context.shape[1])),
                self.positions[index],
            ],
            dim=-1,
        )
        values = self.approximator(features)
        logits = (scores.gather(1, index) / self.config.temperature).masked_fill(~valid, float("-inf"))
        weights = logits.softmax(dim=1)
        if self.head is None:
            pooled = (weights[..., None] * values).sum(dim=1)
        else:
            if length != self.config.max_len:
                raise ValueError(f"a joint-pipeline student needs length {self.config.max_len}, got {length}")
            pooled = self.head(values * (weights * index.shape[1])[..., None], index)
        return {"pooled": pooled, "index": index, "valid": valid, "weights": weights, "scores": scores}

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, 1)`` of the frozen classifier fed with the approximated pooled vector."""
        return self.classifier(self.approximate(tokens)["pooled"])


def from_teacher(teacher: nn.Module, config: SparseConfig, seed: int) -> SparseApproximator:
    """A :class:`SparseApproximator` seeded with ``seed``, whose embedding starts from the
    teacher's and whose classifier (and, for a joint-pipeline teacher, head) is a
    frozen copy of the teacher's."""
    import copy

    with seeded(seed):
        if config.teacher == "joint_pipeline":
            head = SparseHead.from_linear(teacher.hidden, config.max_len, config.out_dim)
            model = SparseApproximator(config, copy.deepcopy(teacher.output), head)
        else:
            model = SparseApproximator(config, copy.deepcopy(teacher.classifier))
    with torch.no_grad():
        model.embedding.weight.copy_(teacher.embedding.weight)
    return model


def count_trainable(model: nn.Module) -> int:
    """Trainable parameters (the frozen classifier excluded)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def distillation_objective(task_weight: float = 0.0, task: str = "binary"):
    """Objective ``(model, tokens, targets, teacher) -> loss`` for :func:`gsattn.train.fit`:
    MSE between the approximated and the teacher's pooled vectors, plus
    ``task_weight`` × the task loss of the frozen classifier fed by the approximation."""
    from gsattn.train import loss_fn

    criterion = loss_fn(task)

    def objective(model, tokens, targets, teacher):
        pooled = model.approximate(tokens)["pooled"]
        loss = F.mse_loss(pooled, teacher)
        if task_weight:
            loss = loss + task_weight * criterion(model.classifier(pooled)[:, 0], targets)
        return loss

    return objective


def load_sparse(
    weights: str, hparams: str, device: str | torch.device = "cpu"
) -> tuple[SparseApproximator, dict]:
    """Rebuild a saved :class:`SparseApproximator` (``weights_only=True``) in eval mode."""
    import json

    with open(hparams) as handle:
        info = json.load(handle)
    model = SparseApproximator(SparseConfig(**info["sparse"]))
    model.load_state_dict(torch.load(weights, map_location=device, weights_only=True))
    return model.to(device).eval(), info
