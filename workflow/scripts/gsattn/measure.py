"""Memory and speed of one inference batch of any model.

* :func:`peak_memory_bytes` – peak tensor memory allocated during one
  inference forward pass (CUDA allocator statistics, or the CPU profiler's
  memory events).
* :func:`throughput` – wall-clock seconds per batch and sequences per second.

Both run their passes in ``eval()`` mode under ``torch.no_grad()``
(:func:`gsattn.inference.evaluating`); :mod:`gsattn.compute` turns them into
profile rows and :mod:`gsattn.scaling` measures them across lengths.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from gsattn.inference import evaluating


def _peak_from_memory_events(prof: profile, device_type: torch.autograd.DeviceType) -> int:
    """Peak of the running sum of allocation (+) / free (−) sizes, in time order."""
    events = [
        event
        for event in prof.profiler.kineto_results.events()
        if event.name() == "[memory]" and event.device_type() == device_type
    ]
    running = peak = 0
    for event in sorted(events, key=lambda event: event.start_ns()):
        running += event.nbytes()
        peak = max(peak, running)
    return peak


def peak_memory_bytes(model: nn.Module, tokens: torch.Tensor) -> int:
    """Peak tensor memory allocated during one inference forward pass, in bytes.

    Measures only what the pass allocates on top of what already exists
    (parameters, buffers, the input tokens are not included); the pass runs in
    ``eval()`` mode under ``torch.no_grad()``.

    * CUDA: ``torch.cuda.max_memory_allocated`` after
      ``torch.cuda.reset_peak_memory_stats``, minus ``memory_allocated`` before
      the pass (caching-allocator blocks handed to tensors; cuBLAS/cuDNN
      workspaces outside the allocator and fragmentation are not included).
    * CPU: ``torch.profiler.profile(activities=[CPU], profile_memory=True)``;
      the profiler records one memory event per tensor allocation (+bytes) and
      free (−bytes) through the c10 CPU allocator; the result is the maximum of
      their running sum in time order. Scratch memory that kernels (oneDNN,
      MKL, OpenMP) allocate outside the c10 allocator and allocator overhead
      are not seen; this is not the process RSS. Reads the profiler's Kineto
      event list (``prof.profiler.kineto_results``), a semi-private API.

    Parameters
    ----------
    model : nn.Module
        Model on the same device as ``tokens``.
    tokens : torch.Tensor
        ``(N, L)`` int64 token ids, or any single batch-first tensor that
        ``model(tokens)`` accepts (e.g. float inputs of a bare attention layer).

    Returns
    -------
    int
        Peak bytes.
    """
    device = tokens.device
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        with evaluating(model):
            model(tokens)
        torch.cuda.synchronize(device)
        return int(torch.cuda.max_memory_allocated(device) - before)
    if device.type != "cpu":
        raise ValueError(f"peak memory is only measured on cpu or cuda, not {device.type}")
    with evaluating(model), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        model(tokens)
    return _peak_from_memory_events(prof, torch.autograd.DeviceType.CPU)


def _synchronize(device: torch.device) -> None:
    """Wait for queued CUDA work (no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput(
    model: nn.Module, tokens: torch.Tensor, warmup: int = 3, repeats: int = 10
) -> dict[str, float]:
    """Wall-clock inference speed on one batch.

    ``warmup`` untimed passes, then ``repeats`` passes each timed with
    ``time.perf_counter`` (``eval()``, ``torch.no_grad()``, CUDA synchronised
    before and after each timed pass on GPU).

    Parameters
    ----------
    model : nn.Module
        Model on the same device as ``tokens``.
    tokens : torch.Tensor
        ``(N, L)`` int64 token ids, or any batch-first tensor ``model(tokens)``
        accepts (``N = tokens.shape[0]`` sequences).
    warmup : int
        Untimed passes first.
    repeats : int
        Timed passes (>= 1).

    Returns
    -------
    dict[str, float]
        ``median_s`` and ``iqr_s`` (seconds per batch; IQR = 75th − 25th
        percentile), ``sequences_per_second`` (``N / median_s``),
        ``batch_size``, ``warmup``, ``repeats``.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got {repeats} and {warmup}")
    times = []
    with evaluating(model):
        for _ in range(warmup):
            model(tokens)
        for _ in range(repeats):
            _synchronize(tokens.device)
            start = time.perf_counter()
            model(tokens)
            _synchronize(tokens.device)
            times.append(time.perf_counter() - start)
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return {
        "median_s": float(median),
        "iqr_s": float(q3 - q1),
        "sequences_per_second": float(tokens.shape[0] / median),
        "batch_size": float(tokens.shape[0]),
        "warmup": float(warmup),
        "repeats": float(repeats),
    }
