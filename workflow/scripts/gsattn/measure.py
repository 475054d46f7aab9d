"""Memory and speed of one inference batch of any model.

* :func:`peak_memory_bytes` – peak tensor memory allocated during one
  inference forward pass (CUDA allocator statistics, or the CPU profiler's
  memory events).
* :func:`throughput` – wall-clock seconds per batch and sequences per second.
* :func:`os_peak_bytes` – extra resident memory of one inference pass as the
  operating system sees it (the process high-water mark), measured in a fresh
  Python subprocess that rebuilds the case from its description. Unlike the
  profiler's figure it includes scratch memory that kernels (oneDNN, MKL,
  OpenMP) allocate outside the c10 allocator.

Both run their passes in ``eval()`` mode under ``torch.no_grad()``
(:func:`gsattn.inference.evaluating`); :mod:`gsattn.compute` turns them into
profile rows and :mod:`gsattn.scaling` measures them across lengths.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import logging
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from gsattn.inference import evaluating

log = logging.getLogger(__name__)

#: The folder that holds this checkout's ``gsattn`` (first on the child's ``sys.path``).
SCRIPTS = Path(__file__).resolve().parent.parent

#: Default case builder of :func:`os_peak_bytes` (``module:function``).
DEFAULT_BUILDER = "gsattn.scaling:build_case"

#: Methods of :func:`os_peak_bytes`: the high-water mark reset through
#: ``/proc/self/clear_refs`` (Linux), or ``ru_maxrss`` (a peak over the child's life).
RSS_METHODS = ("VmHWM after clear_refs", "ru_maxrss")

_CHILD = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from gsattn.measure import _child_main; _child_main(sys.argv[2])"
)


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


def _proc_status_kib(field: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``), or None without procfs."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _maxrss_bytes() -> int:
    """``ru_maxrss`` of this process in bytes (KiB on Linux, bytes on macOS)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(maxrss if sys.platform == "darwin" else maxrss * 1024)


def _reset_high_water_mark() -> bool:
    """Reset ``VmHWM`` to the current RSS (write ``5`` to ``/proc/self/clear_refs``); True if it did."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux >= 4.0; EINVAL before
    except OSError:
        return False
    return _proc_status_kib("VmHWM") is not None


def _release_free_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS (glibc ``malloc_trim``; no-op elsewhere)."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def resident_peak_of(run_pass) -> dict:
    """Extra resident memory of ``run_pass()`` in this process, from the high-water mark.

    Resets ``VmHWM`` to the current RSS, reads the RSS, runs the pass and returns
    ``VmHWM − VmRSS_before``. Without ``/proc/self/clear_refs`` it falls back to
    ``ru_maxrss`` after the pass minus the RSS before it (``VmRSS``, or
    ``ru_maxrss`` before the pass without procfs), which is only a peak over the
    whole process life: in a fresh process whose set-up is smaller than the pass
    it is the pass's peak.

    Parameters
    ----------
    run_pass : callable
        Called once with no arguments.

    Returns
    -------
    dict
        ``peak_rss_bytes`` (int, >= 0), ``rss_method`` (one of :data:`RSS_METHODS`),
        ``rss_before_bytes`` and ``pid``.
    """
    _release_free_memory()
    if _reset_high_water_mark():
        before = _proc_status_kib("VmRSS") * 1024
        run_pass()
        peak, method = _proc_status_kib("VmHWM") * 1024, RSS_METHODS[0]
    else:
        rss = _proc_status_kib("VmRSS")
        before = rss * 1024 if rss is not None else _maxrss_bytes()
        run_pass()
        peak, method = _maxrss_bytes(), RSS_METHODS[1]
    return {
        "peak_rss_bytes": max(0, int(peak - before)),
        "rss_method": method,
        "rss_before_bytes": int(before),
        "pid": os.getpid(),
    }


def _load_builder(spec: str):
    """The function named by ``"module:function"``."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _child_main(payload: str) -> None:
    """Entry point of the child process of :func:`os_peak_bytes` (prints one JSON line)."""
    job = json.loads(payload)
    sys.path[1:1] = job["sys_path"]
    torch.set_num_threads(max(1, int(job["threads"])))
    build = _load_builder(job["builder"])
    if job["warmup_case"] is not None:
        _warm_up(*build(**job["warmup_case"]), job["warmup"])
    model, inputs = build(**job["case"])
    if job["warmup_case"] is None:
        _warm_up(model, inputs, job["warmup"])
    with evaluating(model):
        result = resident_peak_of(lambda: model(inputs))
    print(json.dumps(result), flush=True)


def _warm_up(model: nn.Module, inputs: torch.Tensor, passes: int) -> None:
    """``passes`` unmeasured inference passes."""
    with evaluating(model):
        for _ in range(passes):
            model(inputs)


def os_peak_bytes(
    case: dict,
    *,
    threads: int = 1,
    warmup: int = 1,
    warmup_case: dict | None = None,
    builder: str = DEFAULT_BUILDER,
    sys_path: list[str] | None = None,
    timeout: float = 1800.0,
) -> dict:
    """Extra resident memory of one inference pass, measured in a fresh Python process.

    The child (``sys.executable -c``, this checkout's ``gsattn`` first on its
    ``sys.path``) sets ``torch.set_num_threads(threads)``, runs ``warmup``
    unmeasured passes, calls ``builder(**case)`` to build the model and its inputs
    on CPU, returns freed heap pages to the OS, and measures one pass with
    :func:`resident_peak_of` (``VmHWM − VmRSS_before``).

    The warm-up passes run on ``warmup_case`` (e.g. the same model at a small
    length) when given, else on ``case`` itself. Either way one-time set-up
    (library code paged in, thread pools, oneDNN initialisation: about 7 MB on
    CPU) is not counted. Warming up on ``case`` itself hides memory that kernels
    keep resident after a pass and reuse (oneDNN's scratchpad and primitive cache:
    at L = 16,384 the sparse model's measured pass then shows 6.8 MB instead of
    about 19 MB); a smaller ``warmup_case`` leaves that growth in. All passes run in
    ``eval()`` under ``torch.no_grad()``. The figure includes everything the pass
    makes resident: tensors, kernels' scratch buffers outside the c10 allocator
    and allocator overhead; it is rounded to pages and includes the pass's output.

    Parameters
    ----------
    case : dict
        JSON-serialisable keyword arguments of ``builder`` (e.g. the method,
        length, rho, model configs and seed of :func:`gsattn.scaling.build_case`),
        so the child rebuilds the very same case; no tensors are passed.
    threads : int
        Torch threads in the child.
    warmup : int
        Unmeasured passes before the measured one.
    warmup_case : dict, optional
        ``builder`` arguments of the warm-up passes (default: ``case``).
    builder : str
        ``"module:function"`` returning ``(model, inputs)``; default
        :data:`DEFAULT_BUILDER`.
    sys_path : list of str, optional
        Further folders the child needs to import ``builder`` (after the checkout's).
    timeout : float
        Seconds before the child is killed (``subprocess.TimeoutExpired``).

    Returns
    -------
    dict
        ``peak_rss_bytes`` (int), ``rss_method`` (one of :data:`RSS_METHODS`),
        ``rss_before_bytes`` (the child's RSS before the pass) and ``pid`` (the child's).

    Raises
    ------
    RuntimeError
        If the child fails (its stderr is in the message).
    """
    if warmup < 0:
        raise ValueError(f"need warmup >= 0, got {warmup}")
    job = {
        "case": case,
        "threads": int(threads),
        "warmup": int(warmup),
        "warmup_case": warmup_case,
        "builder": builder,
        "sys_path": [str(p) for p in sys_path or []],
    }
    command = [sys.executable, "-c", _CHILD, str(SCRIPTS), json.dumps(job)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"os_peak_bytes child failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    log.debug("os peak of %s: %s", case, result)
    return result
