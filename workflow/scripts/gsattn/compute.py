"""Compute profile of a model: parameters, FLOPs, memory and speed as TSV-ready rows.

:func:`profile_model` (Phase 1 :class:`~gsattn.models.AttentionClassifier`) and
:func:`profile_sparse` (Phase 2 :class:`~gsattn.sparse.SparseApproximator`)
each return one row per metric (``metric``, ``value``, ``unit``, ``method``),
the method spelled out so that the numbers can be quoted with their caveats:

* parameters: :func:`gsattn.models.count_parameters` (trainable);
* FLOPs: closed form and ``FlopCounterMode`` counts (:mod:`gsattn.flops`);
* memory and speed: :func:`gsattn.measure.peak_memory_bytes` and
  :func:`gsattn.measure.throughput`.

Inputs are :func:`gsattn.inference.example_tokens` (seeded, no PAD).
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from gsattn.flops import (
    COMPONENTS,
    SPARSE_COMPONENTS,
    attention_block_flops,
    attention_flops,
    counted_flops,
    n_outputs,
    sparse_block_flops,
    sparse_flops,
)
from gsattn.inference import example_tokens
from gsattn.measure import peak_memory_bytes, throughput
from gsattn.models import ModelConfig, count_parameters
from gsattn.sparse import SparseConfig

log = logging.getLogger(__name__)


def _row(metric: str, value: float, unit: str, method: str) -> dict:
    return {"metric": metric, "value": value, "unit": unit, "method": method}


def _measured_rows(model: nn.Module, tokens: torch.Tensor, warmup: int, repeats: int) -> list[dict]:
    """``peak_memory``, ``time_per_batch_median``, ``time_per_batch_iqr`` and ``throughput``
    rows of :func:`gsattn.measure.peak_memory_bytes` and :func:`gsattn.measure.throughput` on ``tokens``."""
    device = tokens.device
    rows = [
        _row(
            "peak_memory",
            peak_memory_bytes(model, tokens),
            "bytes",
            "cuda max_memory_allocated delta"
            if device.type == "cuda"
            else "profiler memory events, peak running sum",
        ),
    ]
    timing = throughput(model, tokens, warmup=warmup, repeats=repeats)
    threads = f"torch threads={torch.get_num_threads()}" if device.type == "cpu" else device.type
    passes = f"{int(timing['warmup'])} warm-up, {int(timing['repeats'])} repeats"
    method = f"perf_counter, eval + no_grad, {passes}, {threads}"
    rows += [
        _row("time_per_batch_median", timing["median_s"], "s", method),
        _row("time_per_batch_iqr", timing["iqr_s"], "s", method),
        _row("throughput", timing["sequences_per_second"], "sequences/s", method),
    ]
    return rows


def profile_model(
    model: nn.Module,
    config: ModelConfig,
    length: int,
    batch_size: int,
    device: str | torch.device,
    warmup: int = 3,
    repeats: int = 10,
) -> list[dict]:
    """All compute metrics of ``model`` at one length and batch size.

    ``model`` is moved to ``device`` (in place). Inputs are
    :func:`gsattn.inference.example_tokens` (seeded, no PAD). Every row but the timing rows is
    deterministic for a given model, config, length, batch size and device.

    Parameters
    ----------
    model : nn.Module
        An :class:`~gsattn.models.AttentionClassifier`.
    config : ModelConfig
        Its configuration (analytical FLOPs).
    length : int
        Sequence length ``L``.
    batch_size : int
        Sequences per batch for counting, memory and timing.
    device : str or torch.device
        ``"cpu"`` or ``"cuda[:i]"``.
    warmup, repeats : int
        Untimed and timed passes of :func:`gsattn.measure.throughput`.

    Returns
    -------
    list[dict]
        Rows with keys ``metric``, ``value``, ``unit``, ``method``.
    """
    if getattr(model, "config", config) != config:
        log.warning("profile_model: config %s differs from model.config %s", config, model.config)
    device = torch.device(device)
    model.to(device)
    tokens = example_tokens(batch_size, length, device=device)
    full = attention_flops(config, length)
    matmul = attention_flops(config, length, matmul_only=True)
    counted = counted_flops(model, tokens)
    unfused = counted_flops(model, tokens, fastpath=False, need_weights=True)
    per_seq = "FLOP/sequence"
    rows = [
        _row("parameters", count_parameters(model), "count", "gsattn.models.count_parameters (trainable)"),
        _row("flops_analytical", full["total"], per_seq, "attention_flops: closed form, 1 multiply-add = 2"),
        *(
            _row(f"flops_analytical_{name}", full[name], per_seq, "attention_flops component")
            for name in COMPONENTS
        ),
        _row("flops_analytical_matmul", matmul["total"], per_seq, "attention_flops(matmul_only=True)"),
        _row(
            "flops_analytical_attention_block",
            attention_block_flops(config, length),
            per_seq,
            "attention_block_flops: positional add to pooling (no embedding, stem, classifier)",
        ),
        _row(
            "flops_counted",
            counted["total"] // batch_size,
            per_seq,
            "FlopCounterMode on model(tokens), eval + no_grad (MHA fast path as configured)",
        ),
        _row(
            "flops_counted_unfused",
            unfused["total"] // batch_size,
            per_seq,
            "FlopCounterMode, MHA fast path off, need_weights=True (all matmuls visible)",
        ),
        *_measured_rows(model, tokens, warmup, repeats),
    ]
    log.info("profiled %s at L=%d, batch %d on %s", config, length, batch_size, device)
    return rows


def profile_sparse(
    model: nn.Module,
    config: SparseConfig,
    length: int,
    batch_size: int,
    device: str | torch.device,
    warmup: int = 3,
    repeats: int = 10,
) -> list[dict]:
    """All compute metrics of a :class:`~gsattn.sparse.SparseApproximator` at one length.

    The counterpart of :func:`profile_model`: same inputs
    (:func:`gsattn.inference.example_tokens`), same memory and timing methods
    (:func:`gsattn.measure.peak_memory_bytes`, :func:`gsattn.measure.throughput`), same row format.
    ``model`` is moved to ``device`` (in place).

    Parameters
    ----------
    model : nn.Module
        A ``SparseApproximator`` with ``config.max_len >= length``.
    config : SparseConfig
        Its configuration (analytical FLOPs, ``k``).
    length : int
        Sequence length ``L``.
    batch_size : int
        Sequences per batch for counting, memory and timing.
    device : str or torch.device
        ``"cpu"`` or ``"cuda[:i]"``.
    warmup, repeats : int
        Untimed and timed passes of :func:`gsattn.measure.throughput`.

    Returns
    -------
    list[dict]
        Rows with keys ``metric``, ``value``, ``unit``, ``method``:
        ``parameters`` (trainable), ``parameters_frozen`` (the teacher's
        classifier), ``selected_positions`` (k), analytical FLOPs (total, per
        component, matmul-only), ``top_k_comparisons`` (not in any FLOP total),
        ``flops_counted``, ``peak_memory`` and the timing rows.
    """
    if getattr(model, "config", config) != config:
        log.warning("profile_sparse: config %s differs from model.config %s", config, model.config)
    device = torch.device(device)
    model.to(device)
    tokens = example_tokens(batch_size, length, device=device)
    n_out = n_outputs(model)
    full = sparse_flops(config, length, n_out=n_out)
    matmul = sparse_flops(config, length, matmul_only=True, n_out=n_out)
    counted = counted_flops(model, tokens)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    per_seq = "FLOP/sequence"
    rows = [
        _row("parameters", count_parameters(model), "count", "trainable (requires_grad) parameters"),
        _row("parameters_frozen", frozen, "count", "frozen parameters (the teacher's classifier)"),
        _row("selected_positions", config.k(length), "positions", "k = ceil(rho * L)"),
        _row("flops_analytical", full["total"], per_seq, "sparse_flops: closed form, 1 multiply-add = 2"),
        *(
            _row(f"flops_analytical_{name}", full[name], per_seq, "sparse_flops component")
            for name in SPARSE_COMPONENTS
        ),
        _row("flops_analytical_matmul", matmul["total"], per_seq, "sparse_flops(matmul_only=True)"),
        _row(
            "flops_analytical_attention_block",
            sparse_block_flops(config, length, n_out=n_out),
            per_seq,
            "sparse_block_flops: selector to pooled vector (no embedding, no frozen classifier)",
        ),
        _row(
            "top_k_comparisons",
            full["top_k_comparisons"],
            "comparisons/sequence",
            "ceil(L * log2(k)) estimate; not in any FLOP total",
        ),
        _row(
            "flops_counted",
            counted["total"] // batch_size,
            per_seq,
            "FlopCounterMode on model(tokens), eval + no_grad (convolutions and addmm only)",
        ),
        *_measured_rows(model, tokens, warmup, repeats),
    ]
    log.info("profiled sparse %s at L=%d, batch %d on %s", config, length, batch_size, device)
    return rows
