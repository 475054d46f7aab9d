"""Training loop, prediction and test metrics for token-input models.

Deterministic on CPU for a given seed: every draw takes an explicit generator
(batch order and reverse-complement augmentation: one ``torch.Generator``
seeded with the run's seed; initial weights: :func:`gsattn.seeding.seeded`),
plus deterministic algorithms and a fixed thread count
(:func:`set_determinism`). CUDA is used when available (``device="auto"``), with
float32 arithmetic (no TF32) and deterministic kernels required there too.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from gsattn.inference import run_batched
from gsattn.seq import COMPLEMENT_TOKEN, PAD_TOKEN
from gsattn.stats import auroc, average_precision

log = logging.getLogger(__name__)

TASKS = ("binary", "regression")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (schema defaults)."""

    task: str = "binary"
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 0.0
    max_epochs: int = 40
    patience: int = 8
    lr_patience: int = 3
    lr_factor: float = 0.5
    augment_rc: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def set_determinism(threads: int, device: str | torch.device = "cpu") -> None:
    """Fix the thread count and ask for deterministic kernels on ``device``.

    No global seed: every random draw of the package takes its own generator.
    Matrix products and convolutions keep float32 (TF32 off, as on the CPU). On CUDA
    cuBLAS gets a fixed workspace (``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless set;
    read when cuBLAS starts, so call this before any CUDA work) and deterministic
    algorithms are required, not only preferred: with ``warn_only`` the
    memory-efficient attention backward keeps its non-deterministic kernel. On the
    CPU a missing deterministic kernel warns.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_num_threads(max(1, threads))
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=torch.device(device).type != "cuda")


def device_info(device: torch.device) -> dict[str, str | None]:
    """What a run records of where it ran: ``device`` (``str(device)``), ``gpu`` (the
    card's name, CUDA only) and ``cuda`` (torch's CUDA build, CUDA only)."""
    if device.type != "cuda":
        return {"device": str(device), "gpu": None, "cuda": None}
    return {"device": str(device), "gpu": torch.cuda.get_device_name(device), "cuda": torch.version.cuda}


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def prepare_device(device: str, threads: int) -> torch.device:
    """The device a job runs on (:func:`resolve_device`), with :func:`set_determinism`
    applied for it before any CUDA work (cuBLAS reads its workspace setting at start)."""
    dev = resolve_device(device)
    set_determinism(threads, dev)
    return dev


@dataclass
class Split:
    """Tensors of one split: ``tokens`` (N, L) int64, ``targets`` (N,) float32 and,
    for distillation, ``teacher`` (N, d) float32 outputs to reproduce."""

    tokens: torch.Tensor
    targets: torch.Tensor
    index: np.ndarray
    teacher: torch.Tensor | None = None

    def batch(self, idx: torch.Tensor, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``tokens``, ``targets`` and ``teacher`` rows ``idx`` on ``device``."""
        teacher = None if self.teacher is None else self.teacher[idx].to(device)
        return self.tokens[idx].to(device), self.targets[idx].to(device), teacher


def load_split(arrays: dict[str, np.ndarray], split: str, task: str, scale=(0.0, 1.0)) -> Split:
    """Select one split of ``encoded.npz`` arrays; regression targets are
    standardised with ``scale = (mean, sd)`` of the training strength."""
    index = np.flatnonzero(arrays["split"] == split)
    tokens = torch.from_numpy(arrays["tokens"][index].astype(np.int64))
    if task == "binary":
        targets = arrays["labels"][index].astype(np.float32)
    else:
        targets = ((arrays["strength"][index] - scale[0]) / scale[1]).astype(np.float32)
        if not np.isfinite(targets).all():
            raise ValueError("regression needs a finite 'strength' for every sequence")
    return Split(tokens, torch.from_numpy(targets), index)


def strength_scale(arrays: dict[str, np.ndarray]) -> tuple[float, float]:
    """Mean and SD of the training-split strength (for standardising targets)."""
    train = arrays["strength"][arrays["split"] == "train"]
    return float(np.nanmean(train)), float(np.nanstd(train) or 1.0)


def loss_fn(task: str):
    """BCE-with-logits for ``binary``, MSE for ``regression``."""
    return F.binary_cross_entropy_with_logits if task == "binary" else F.mse_loss


def _batches(n: int, batch_size: int, generator: torch.Generator | None):
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def _first_output(model: nn.Module, tokens: torch.Tensor, rows: range) -> dict[str, torch.Tensor]:
    return {"output": model(tokens)[:, 0].float()}


def predict(model: nn.Module, tokens: torch.Tensor, batch_size: int = 256, device=None) -> np.ndarray:
    """Model outputs ``(N,)`` (first output column) in eval mode."""
    return run_batched(model, tokens, _first_output, batch_size, device)["output"]


def task_objective(task: str):
    """Objective ``(model, tokens, targets, teacher) -> loss`` on the model's first output."""
    criterion = loss_fn(task)

    def objective(model, tokens, targets, teacher=None):
        return criterion(model(tokens)[:, 0], targets)

    return objective


def reverse_complement_batch(tokens: torch.Tensor) -> torch.Tensor:
    """Reverse complement of every row of ``(N, L)`` token ids.

    Each row's sequence part is reversed and complemented in place and its
    trailing PAD stays at the end, so position 0 is still the first base.
    ``N`` and ``PAD`` map to themselves.

    Returns
    -------
    torch.Tensor
        ``(N, L)`` token ids, same dtype and device.
    """
    complement = torch.as_tensor(COMPLEMENT_TOKEN).to(device=tokens.device, dtype=tokens.dtype)
    lengths = (tokens != PAD_TOKEN).sum(dim=1, keepdim=True)
    j = torch.arange(tokens.shape[1], device=tokens.device)[None, :]
    source = torch.where(j < lengths, lengths - 1 - j, j)
    return complement[tokens.gather(1, source)]


def augment_reverse_complement(tokens: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Replace each row of ``(N, L)`` tokens by its reverse complement with probability 1/2
    (draws from ``generator``, so a seeded run is reproducible)."""
    flip = (torch.rand(tokens.shape[0], generator=generator) < 0.5).to(tokens.device)
    return torch.where(flip[:, None], reverse_complement_batch(tokens), tokens)


def _epoch(model, data: Split, cfg: TrainConfig, optimizer, generator, device, objective) -> float:
    model.train()
    total = 0.0
    for idx in _batches(len(data.tokens), cfg.batch_size, generator):
        optimizer.zero_grad()
        tokens, targets, teacher = data.batch(idx, device)
        if cfg.augment_rc:
            if teacher is not None:
                raise ValueError(
                    "augment_rc needs a task objective: a teacher's per-position outputs "
                    "do not follow the sequence when it is reverse-complemented"
                )
            tokens = augment_reverse_complement(tokens, generator)
        loss = objective(model, tokens, targets, teacher)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / len(data.tokens)


@torch.no_grad()
def objective_value(model, data: Split, objective, device, batch_size: int = 256) -> float:
    """Mean of ``objective`` over ``data`` in eval mode."""
    model.eval()
    total = 0.0
    for idx in _batches(len(data.tokens), batch_size, None):
        total += objective(model, *data.batch(idx, device)).item() * len(idx)
    return total / len(data.tokens)


@torch.no_grad()
def task_validation(model, data: Split, task: str, device, batch_size: int = 256) -> tuple[float, np.ndarray]:
    """Validation loss of :func:`task_objective` and the outputs, one forward pass per batch.

    Equal to ``objective_value(model, data, task_objective(task), device)`` and
    ``predict(model, data.tokens)`` (same batches, same order) at half the cost.

    Returns
    -------
    loss : float
        Mean task loss over the ``N`` rows.
    outputs : numpy.ndarray
        ``(N,)`` first output column, float32.
    """
    model.eval()
    criterion = loss_fn(task)
    total, outputs = 0.0, []
    for idx in _batches(len(data.tokens), batch_size, None):
        tokens, targets, _ = data.batch(idx, device)
        out = model(tokens)[:, 0]
        total += criterion(out, targets).item() * len(idx)
        outputs.append(out.float().cpu())
    return total / len(data.tokens), torch.cat(outputs).numpy()


def fit(
    model: nn.Module,
    train: Split,
    val: Split,
    cfg: TrainConfig,
    seed: int,
    optimizer: torch.optim.Optimizer | None = None,
    device: torch.device | None = None,
    objective=None,
) -> tuple[list[dict], dict]:
    """Train with early stopping on the validation loss; the learning rate is
    multiplied by ``lr_factor`` after ``lr_patience`` epochs without improvement.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer, optional
        Defaults to Adam(lr, weight_decay); pass one with parameter groups for
        differential learning rates.
    objective : callable, optional
        ``(model, tokens, targets, teacher) -> loss``; defaults to
        :func:`task_objective` (BCE or MSE on the first output). The validation
        loss uses the same objective. Without one, the validation loss and
        outputs come from one forward pass (:func:`task_validation`).

    Returns
    -------
    history : list of dict
        Per epoch: epoch, train_loss, val_loss, val_metric, seconds, best.
    best_state : dict
        ``state_dict`` of the epoch with the lowest validation loss.
    """
    device = device or torch.device("cpu")
    if objective is None:
        objective = task_objective(cfg.task)

        def validate():
            return task_validation(model, val, cfg.task, device)
    else:

        def validate():
            return objective_value(model, val, objective, device), predict(model, val.tokens, device=device)

    model.to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]  # frozen parts stay out
    optimizer = optimizer or torch.optim.Adam(trainable, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=cfg.lr_factor, patience=cfg.lr_patience
    )
    generator = torch.Generator().manual_seed(seed)
    best, best_state, since_best, history = math.inf, copy.deepcopy(model.state_dict()), 0, []
    start = time.perf_counter()
    for epoch in (bar := tqdm(range(1, cfg.max_epochs + 1), desc="epochs", mininterval=5)):
        train_loss = _epoch(model, train, cfg, optimizer, generator, device, objective)
        val_loss, val_out = validate()
        scheduler.step(val_loss)
        improved = val_loss < best - 1e-6
        if improved:
            best, best_state, since_best = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            since_best += 1
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss}
        row |= {"val_" + k: v for k, v in metrics(cfg.task, val.targets.numpy(), val_out).items()}
        row |= {
            "lr": optimizer.param_groups[0]["lr"],
            "seconds": time.perf_counter() - start,
            "best": improved,
        }
        history.append(row)
        bar.set_postfix(train=f"{train_loss:.4f}", val=f"{val_loss:.4f}")
        if since_best >= cfg.patience:
            log.info("early stop after epoch %d (best val loss %.4f)", epoch, best)
            break
    return history, best_state


def metrics(task: str, targets: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
    """Test metrics: accuracy/AUROC/AUPRC (binary, logits; AUROC and AUPRC NaN for one
    class) or Pearson/Spearman/MSE. The binary ones import neither scipy nor scikit-learn
    (:func:`gsattn.stats.auroc`, :func:`gsattn.stats.average_precision`: about 2 s of
    every training job's start-up here)."""
    if task == "binary":
        return {
            "accuracy": float(((outputs > 0).astype(int) == targets).mean()),
            "auroc": auroc(targets, outputs),
            "auprc": average_precision(targets, outputs),
        }
    from scipy import stats

    return {
        "pearson": float(stats.pearsonr(targets, outputs)[0]),
        "spearman": float(stats.spearmanr(targets, outputs)[0]),
        "mse": float(np.mean((targets - outputs) ** 2)),
    }
