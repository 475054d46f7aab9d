"""Learning at length: the same task in a longer background, three models, a stated budget.

The task (config ``long_sequences``): the motifs, decoys, class rule and background of
one synthetic data set (``base``) planted at uniform positions into sequences of each of
``lengths`` (:func:`gsattn.long_task.long_spec`), simulated and encoded as every other data set. At each
length three models learn the labels:

* ``attention`` – the Phase 1 reference :class:`~gsattn.models.AttentionClassifier`
  (``phase1.models[phase1.reference]``);
* ``sparse`` – a :class:`~gsattn.sparse.SparseApproximator` trained **end to end** on
  the labels (:func:`end_to_end_sparse`): fresh embedding, trainable classifier, no
  teacher;
* ``cnn`` – Phase 3's :class:`~gsattn.pipeline.CNNBaseline`.

**The budget rule** (:func:`budget_row`), applied to every model at every length before
it is trained: the training time is *estimated* as the median of a few timed training
steps at the training batch size (real training sequences, after one untimed step; CPU
time of the process on CPU, so that other jobs on the machine do not move the decision,
:func:`step_clock`)
× the steps of one epoch (training batches, plus the two validation passes of
:func:`gsattn.train.fit` counted as a third of a training step per batch) × ``max_epochs``
(early stopping can only make it shorter); the memory is *estimated* in closed form
(:func:`estimate_train_bytes`, linear in ``L``: every model here runs its attention
through SDPA, see :func:`sdpa_only`). The model fits when the estimated seconds are at
most ``budget.seconds`` **and** the estimated bytes at most ``budget.memory_gb`` GB
(:func:`fits_budget`); otherwise it is not trained and its rows say ``over budget``,
with the reason and the estimates. The memory check comes first: a model over the
memory budget is never run, not even for the timing probe.

The MHA fast path (``torch.backends.mha``) is switched off for everything here
(:func:`sdpa_only`): in ``eval()`` it dispatches a fused kernel that materialises the
``h·L²`` attention weights, whereas with it off inference goes through SDPA as
training does, linear in memory. Time stays quadratic.
"""

from __future__ import annotations

import contextlib
import logging
import math
import statistics
import time
from collections.abc import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gsattn.inference import example_tokens
from gsattn.long_task import LONG_MODELS
from gsattn.models import AttentionClassifier, ModelConfig
from gsattn.pipeline import PipelineConfig, build_pipeline_model
from gsattn.seeding import seeded
from gsattn.sparse import SparseApproximator, SparseConfig

log = logging.getLogger(__name__)

TRAINED = "trained"
OVER_BUDGET = "over budget"

#: Floats kept per sequence position and training step, a generous multiple of what
#: one step measured as the OS sees it (CPU, batch 64, L = 500-2,000: attention about
#: 720, sparse 180, CNN 320 floats per position; see :func:`estimate_train_bytes`).
_MEMORY_MARGIN = 8
_FLOAT_BYTES = 4

#: Length of the warm-up pass of the OS memory measurements (one-time set-up done,
#: scratch memory that grows with ``L`` left to the measured pass).
WARMUP_LENGTH = 64

#: Bytes of attention maps :func:`received_batch_size` allows in one batch.
MAP_BYTES = 1 << 28


# --------------------------------------------------------------------------- models
def model_config(kind: str, length: int, specs: dict) -> dict:
    """The full config (dataclass fields) of model ``kind`` at ``length``.

    ``specs``: ``attention`` (``phase1.models[reference]``), ``sparse`` (``phase2.model``
    sizes plus ``rho``) and ``cnn`` (``phase3.pipeline``), whichever ``kind`` needs.
    """
    if kind == "attention":
        return ModelConfig(**specs["attention"], max_len=length).to_dict()
    if kind == "sparse":
        return SparseConfig(**specs["sparse"], max_len=length).to_dict()
    if kind == "cnn":
        return PipelineConfig(kind="cnn", length=length, **specs["cnn"]).to_dict()
    raise ValueError(f"unknown long-sequence model {kind!r}; expected one of {LONG_MODELS}")


def end_to_end_sparse(config: SparseConfig, seed: int) -> SparseApproximator:
    """A :class:`SparseApproximator` to train on the labels: every parameter trainable.

    Built inside :func:`gsattn.seeding.seeded` (fresh embedding, selector, MLP and
    classifier from ``seed``); the constructor freezes the classifier (it expects a
    teacher's), so its ``requires_grad`` is switched back on here.
    """
    if config.teacher != "attention":
        raise ValueError("an end-to-end sparse model pools d_model values (teacher 'attention' fields)")
    with seeded(seed):
        model = SparseApproximator(config)
    for p in model.classifier.parameters():
        p.requires_grad_(True)
    return model


def build_long_model(kind: str, config: dict, seed: int) -> nn.Module:
    """Model ``kind`` from its :func:`model_config`, weights initialised from ``seed``."""
    if kind == "attention":
        with seeded(seed):
            return AttentionClassifier(ModelConfig(**config))
    if kind == "sparse":
        return end_to_end_sparse(SparseConfig(**config), seed)
    if kind == "cnn":
        return build_pipeline_model(PipelineConfig(**config), seed)
    raise ValueError(f"unknown long-sequence model {kind!r}; expected one of {LONG_MODELS}")


@contextlib.contextmanager
def sdpa_only() -> Iterator[None]:
    """The MHA fast path off for a block (restored afterwards): attention through SDPA."""
    previous = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(previous)


# --------------------------------------------------------------------------- budget
def estimate_train_bytes(kind: str, config: dict, batch_size: int, length: int) -> int:
    """Closed-form estimate of one training step's resident memory, in bytes.

    ``_MEMORY_MARGIN`` floats per activation channel, per position and sequence, over
    the channels each model keeps for the backward pass: attention ``stem_channels +
    4 d`` (stem, q/k/v, outputs), sparse ``d + 2 c + position_dim`` (embedding, context,
    positions), CNN ``d + 2 C``. Linear in ``L``: the attention runs through SDPA
    (flash kernel on CPU), which keeps no ``L × L`` weights. About 1.4-3× the OS
    figure measured on CPU at ``L`` = 500-2,000.
    """
    if kind == "attention":
        stem = config["stem_channels"] if config["stem"] == "conv" else 0
        channels = stem + 4 * config["d_model"]
        length = length + (config["pooling"] == "cls")
    elif kind == "sparse":
        channels = config["d_model"] + 2 * config["selector_channels"] + config["position_dim"]
    elif kind == "cnn":
        channels = config["d_model"] + 2 * config["cnn_channels"]
    else:
        raise ValueError(f"unknown long-sequence model {kind!r}; expected one of {LONG_MODELS}")
    return int(_FLOAT_BYTES * _MEMORY_MARGIN * channels * batch_size * length)


def epoch_steps(n_train: int, n_validation: int, batch_size: int) -> float:
    """Training steps one epoch of :func:`gsattn.train.fit` is worth.

    ``ceil(n_train / batch_size)`` training steps plus two forward passes over the
    validation split (the loss and the predictions), each batch of ``batch_size``
    counted as a third of a step (a forward pass without the backward).
    """
    return math.ceil(n_train / batch_size) + 2 * n_validation / (3 * batch_size)


def fits_budget(seconds: float, memory_bytes: float, budget: dict) -> tuple[bool, str]:
    """The budget rule: fits iff seconds <= ``budget["seconds"]`` and bytes <= ``memory_gb`` GB.

    Returns
    -------
    fits : bool
    reason : str
        Empty when it fits; else which limit is exceeded, with both numbers.
    """
    reasons = []
    if not memory_bytes / 1e9 <= budget["memory_gb"]:
        reasons.append(f"memory: estimated {memory_bytes / 1e9:.3g} GB > {budget['memory_gb']:g} GB")
    if not seconds <= budget["seconds"]:
        reasons.append(f"time: estimated {seconds:.4g} s > {budget['seconds']:g} s")
    return not reasons, "; ".join(reasons)


def training_step(model: nn.Module, optimizer, tokens: torch.Tensor, targets: torch.Tensor) -> float:
    """One optimiser step on BCE of the first output; returns the loss."""
    model.train()
    optimizer.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(tokens)[:, 0], targets)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def step_clock(device: torch.device):
    """The clock of the timing probe: the process's CPU time on CPU, else synchronised wall time.

    On CPU, ``time.process_time`` (every thread of this process) does not count time
    the process waits for other jobs sharing the cores, so the decision does not depend
    on the machine's load; with one torch thread (the rules' ``threads: 1``) it equals
    the wall time on an idle machine. On CUDA the kernels run asynchronously: wall time
    after ``torch.cuda.synchronize``.
    """
    if device.type == "cpu":
        return time.process_time

    def wall() -> float:
        torch.cuda.synchronize(device)
        return time.perf_counter()

    return wall


def time_training_steps(
    model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor, steps: int, device=None
) -> float:
    """Median seconds (:func:`step_clock`) of ``steps`` training steps on one batch, after an untimed one.

    Adam at a learning rate of 0 on a throw-away optimiser: the cost of a real step,
    the weights unchanged. ``device``: where the model and the batch run (default CPU).
    """
    if steps < 1:
        raise ValueError(f"need at least one timed step, got {steps}")
    device = torch.device(device or "cpu")
    model, tokens, targets = model.to(device), tokens.to(device), targets.to(device)
    clock = step_clock(device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.0)
    training_step(model, optimizer, tokens, targets)
    times = []
    for _ in range(steps):
        start = clock()
        training_step(model, optimizer, tokens, targets)
        times.append(clock() - start)
    return float(statistics.median(times))


def budget_row(
    kind: str,
    config: dict,
    sizes: dict,
    training: dict,
    budget: dict,
    time_step,
) -> dict:
    """Apply the budget rule to one model at one length.

    Parameters
    ----------
    kind, config : str, dict
        The model and its :func:`model_config`.
    sizes : dict
        ``length``, ``n_train``, ``n_validation``.
    training : dict
        ``batch_size`` and ``max_epochs`` (config ``long_sequences.training``).
    budget : dict
        ``seconds``, ``memory_gb`` (config ``long_sequences.budget``).
    time_step : callable
        ``time_step() -> float`` seconds of one training step at ``batch_size``;
        called only where the memory estimate fits.

    Returns
    -------
    dict
        ``status`` (:data:`TRAINED` or :data:`OVER_BUDGET`), ``reason``,
        ``estimated_seconds``, ``estimated_bytes``, ``step_seconds``, ``epoch_steps``,
        ``max_epochs``, ``budget_seconds``, ``budget_memory_gb``.
    """
    batch = training["batch_size"]
    memory = estimate_train_bytes(kind, config, batch, sizes["length"])
    steps = epoch_steps(sizes["n_train"], sizes["n_validation"], batch)
    row = {"estimated_bytes": memory, "epoch_steps": steps, "max_epochs": training["max_epochs"]}
    row |= {"budget_seconds": budget["seconds"], "budget_memory_gb": budget["memory_gb"]}
    fits, reason = fits_budget(0.0, memory, budget)
    if not fits:
        return {
            "status": OVER_BUDGET,
            "reason": reason,
            "estimated_seconds": math.nan,
            "step_seconds": math.nan,
        } | row
    step = float(time_step())
    seconds = step * steps * training["max_epochs"]
    fits, reason = fits_budget(seconds, memory, budget)
    status = TRAINED if fits else OVER_BUDGET
    return {"status": status, "reason": reason, "estimated_seconds": seconds, "step_seconds": step} | row


# --------------------------------------------------------------------------- measurements
class TrainingStep(nn.Module):
    """A module whose forward pass is one training step of ``model`` (for OS memory).

    :func:`gsattn.measure.os_peak_bytes` measures ``module(inputs)`` under
    ``eval()`` and ``torch.no_grad()``; this forward switches gradients and training
    mode back on, so the measured pass is a full step (forward, BCE, backward, Adam).
    """

    def __init__(self, model: nn.Module, learning_rate: float = 1e-3):
        super().__init__()
        self.model = model
        self.optimizer = torch.optim.Adam(
            [p for p in model.parameters() if p.requires_grad], lr=learning_rate
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        targets = (torch.arange(tokens.shape[0], device=tokens.device) % 2).float()
        with torch.enable_grad():
            return torch.tensor(training_step(self.model, self.optimizer, tokens, targets))


def build_measure_case(
    kind: str, config: dict, seed: int, batch_size: int, length: int, mode: str
) -> tuple[nn.Module, torch.Tensor]:
    """Builder of :func:`gsattn.measure.os_peak_bytes`: the model and a seeded batch.

    ``mode``: ``inference`` (the model's forward pass) or ``train`` (one training step,
    :class:`TrainingStep`). ``length`` may be shorter than the config's (the warm-up
    case). The MHA fast path is switched off in the child process, as in the rules.
    """
    torch.backends.mha.set_fastpath_enabled(False)  # the child process only; see sdpa_only
    model = build_long_model(kind, config, seed)
    if mode == "train":
        model = TrainingStep(model)
    elif mode != "inference":
        raise ValueError(f"mode must be 'inference' or 'train', got {mode!r}")
    return model, example_tokens(batch_size, length, seed=seed)


def measure_case(kind: str, config: dict, seed: int, batch_size: int, length: int, mode: str) -> dict:
    """:func:`build_measure_case` arguments (JSON-serialisable)."""
    return {
        "kind": kind,
        "config": config,
        "seed": int(seed),
        "batch_size": int(batch_size),
        "length": int(length),
        "mode": mode,
    }


def received_batch_size(n_heads: int, length: int, limit: int = MAP_BYTES) -> int:
    """Sequences per batch whose ``(h, L + 1, L + 1)`` fp32 attention maps fit in ``limit`` bytes."""
    return max(1, limit // (_FLOAT_BYTES * n_heads * (length + 1) ** 2))


def selector_weights(scores: np.ndarray, lengths: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(scores / temperature)`` over each sequence's valid positions, 0 at PAD.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(N, L)`` selector scores (``-inf`` at PAD).
    lengths : numpy.ndarray
        ``(N,)`` unpadded lengths.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` float64 non-negative weights summing to 1 per row: the weight each
        position would get if every position were kept (same ranks as the scores).
    """
    valid = np.arange(scores.shape[1])[None, :] < np.asarray(lengths)[:, None]
    logits = np.where(valid, np.asarray(scores, dtype=np.float64) / temperature, -np.inf)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.where(valid, np.exp(logits), 0.0)
    return weights / weights.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- summary
#: Per-seed measurements averaged over seeds in :func:`summary_rows`.
AVERAGED = (
    "seconds_to_best",
    "train_seconds",
    "cpu_seconds_to_best",
    "train_cpu_seconds",
    "best_epoch",
    "peak_rss_train_bytes",
    "peak_rss_inference_bytes",
    "sequences_per_second",
)


#: Columns of the recovery and selection headlines (NaN where a model has none).
HEADLINES = (
    "recovery_auroc",
    "recovery_top1",
    "selection_precision",
    "selection_chance",
    "selection_enrichment",
    "random_enrichment",
    "selection_p_max",
)


def _mean(values: Sequence[float]) -> float:
    finite = [float(v) for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def summary_rows(per_seed: Sequence[dict], accuracy: dict, recovery: dict, selection: dict) -> list[dict]:
    """One row per (length, model): status, accuracy CI and the means over seeds.

    Parameters
    ----------
    per_seed : sequence of dict
        Rows of the models' ``metrics.tsv`` (``length``, ``model``, ``seed``, ``status``,
        ``reason``, ``estimated_seconds``, ``estimated_bytes`` and :data:`AVERAGED`).
    accuracy : dict
        ``(length, model) →`` :func:`gsattn.stats.seed_sequence_bootstrap` result of the
        trained seeds (absent for an over-budget point).
    recovery, selection : dict
        ``(length, model) →`` the headline recovery / selection values (e.g.
        ``recovery_auroc``, ``selection_enrichment``), absent where not measured.

    Returns
    -------
    list of dict
        Over-budget points keep their row: ``status`` ``over budget``, the reason and the
        estimates, NaN measurements.
    """
    keys = sorted(
        {(r["length"], r["model"]) for r in per_seed}, key=lambda k: (k[0], LONG_MODELS.index(k[1]))
    )
    out = []
    for key in keys:
        rows = [r for r in per_seed if (r["length"], r["model"]) == key]
        trained = [r for r in rows if r["status"] == TRAINED]
        status = TRAINED if len(trained) == len(rows) else OVER_BUDGET if not trained else "partly trained"
        boot = accuracy.get(key, {})
        row = {"length": key[0], "model": key[1], "status": status, "n_seeds": len(trained)}
        row |= {"reason": "; ".join(sorted({r["reason"] for r in rows if r["reason"]}))}
        row |= {
            "accuracy": boot.get("mean", math.nan),
            "accuracy_ci_low": boot.get("ci_low", math.nan),
            "accuracy_ci_high": boot.get("ci_high", math.nan),
        }
        row |= {name: _mean([r[name] for r in trained]) for name in AVERAGED}
        row |= {"estimated_seconds": _mean([r["estimated_seconds"] for r in rows])}
        row |= {"estimated_bytes": _mean([r["estimated_bytes"] for r in rows])}
        blank = dict.fromkeys(HEADLINES, math.nan)
        out.append(row | blank | recovery.get(key, {}) | selection.get(key, {}))
    return out


def recovery_headline(rows: Sequence[dict]) -> dict:
    """Mean over seeds of the predictive motifs' recovery AUROC and top-1 hit rate.

    ``rows``: one model's :func:`gsattn.recovery.summarize_recovery` rows of every seed
    (group ``recovery``, subset ``all``, motif ``all``).
    """
    found = {}
    for metric in ("auroc", "top1"):
        values = [
            r["mean"]
            for r in rows
            if (r["group"], r["subset"], r["motif"], r["metric"]) == ("recovery", "all", "all", metric)
        ]
        found[f"recovery_{metric}"] = _mean(values)
    return found


def selection_headline(rows: Sequence[dict], selector: str) -> dict:
    """Selection of the predictive motifs by ``selector`` over seeds: mean precision and
    enrichment (1 is chance), the random selection's enrichment, and the largest p-value
    of the mask null over seeds (every seed is at or below it)."""
    own = [r for r in rows if (r["group"], r["motif"], r["selector"]) == ("recovery", "all", selector)]
    random = [r for r in rows if (r["group"], r["motif"], r["selector"]) == ("recovery", "all", "random")]
    p_values = [r["p_value"] for r in own if np.isfinite(r["p_value"])]
    return {
        "selection_precision": _mean([r["precision"] for r in own]),
        "selection_chance": _mean([r["chance"] for r in own]),
        "selection_enrichment": _mean([r["enrichment"] for r in own]),
        "random_enrichment": _mean([r["enrichment"] for r in random]),
        "selection_p_max": max(p_values) if p_values else math.nan,
    }


#: Panels of :func:`long_figure`: (column, y label, log scale).
PANELS = (
    ("accuracy", "test accuracy (95 % CI)", False),
    ("seconds_to_best", "time to best validation epoch (s)\nwall, solid; CPU of the job, dashed", True),
    ("peak_rss_train_bytes", "peak memory of a\ntraining step, OS (MB)", True),
    ("sequences_per_second", "inference throughput\n(sequences / s)", True),
    ("recovery_auroc", "motif recovery AUROC\n(selector / attention)", False),
    ("selection_enrichment", "selection enrichment on\nmotifs (1 = chance)", False),
)
_COLOURS = {"attention": "tab:blue", "sparse": "tab:red", "cnn": "tab:green"}


def long_figure(rows: Sequence[dict], path: str) -> None:
    """Six panels against length, one line per model; over-budget points as labelled crosses.

    ``rows``: :func:`summary_rows`. An over-budget point has no measurement; it is drawn
    as a cross on the panel's lower edge (every panel), labelled ``over budget``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    for ax, (column, label, log_scale) in zip(axes.flat, PANELS, strict=True):
        for model in LONG_MODELS:
            _panel_line(ax, [r for r in rows if r["model"] == model], column, model)
        ax.set_xscale("log")
        ax.set_yscale("log" if log_scale else "linear")
        ax.set_xlabel("sequence length (bp)")
        ax.set_ylabel(label)
        lengths = sorted({r["length"] for r in rows})
        ax.set_xticks(lengths, [str(n) for n in lengths])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    oracle = sorted({(r["length"], r.get("oracle_accuracy", math.nan)) for r in rows})
    if any(np.isfinite(v) for _, v in oracle):
        axes.flat[0].plot(*zip(*oracle, strict=True), "s:", color="grey", label="PWM oracle (OR rule)")
    axes.flat[0].legend(loc="best", fontsize=8)
    fig.suptitle("Learning at length: the same motifs and rule in a longer background")
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)


def _panel_line(ax, rows: Sequence[dict], column: str, model: str) -> None:
    """One model's line on one panel, with CI bars for accuracy and over-budget crosses."""
    scale = 1e-6 if column.endswith("_bytes") else 1.0
    done = [r for r in rows if r["status"] != OVER_BUDGET and np.isfinite(r[column])]
    colour = _COLOURS.get(model, "black")
    if done:
        x = [r["length"] for r in done]
        y = [r[column] * scale for r in done]
        ax.plot(x, y, "o-", color=colour, label=model)
        if column == "seconds_to_best":
            ax.plot(x, [r["cpu_seconds_to_best"] for r in done], "o--", color=colour, mfc="none")
        if column == "accuracy":
            low = [r["accuracy"] - r["accuracy_ci_low"] for r in done]
            high = [r["accuracy_ci_high"] - r["accuracy"] for r in done]
            ax.errorbar(x, y, yerr=[low, high], fmt="none", ecolor=colour, capsize=3)
    over = [r["length"] for r in rows if r["status"] == OVER_BUDGET]
    if over:
        trans = ax.get_xaxis_transform()
        ax.plot(
            over,
            [0.02] * len(over),
            "x",
            color=colour,
            ms=9,
            mew=2,
            transform=trans,
            clip_on=False,
            label=f"{model}: over budget",
        )
        for x in over:
            ax.annotate(
                "over budget",
                (x, 0.02),
                xycoords=trans,
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=7,
                color=colour,
            )
