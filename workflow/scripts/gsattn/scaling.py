"""Long-sequence benchmark: time and peak memory of full attention and of the sparse model against L.

At batch 1, ``d = 16`` and 4 heads, for each length ``L``:

* ``mha_weights`` – ``nn.MultiheadAttention(16, 4, batch_first=True)`` self-attention on
  random ``(1, L, 16)`` inputs, ``need_weights=True, average_attn_weights=False`` (the
  per-head maps Phase 1 saves);
* ``mha`` – the same layer with ``need_weights=False``;
* ``sdpa`` – ``torch.nn.functional.scaled_dot_product_attention`` on ``(1, 4, L, 4)``
  q, k, v;
* ``phase1_model`` – a whole forward pass of the Phase 1 reference
  :class:`~gsattn.models.AttentionClassifier` (conv stem, sinusoidal positions, CLS);
* ``sparse`` – a whole forward pass of an (untrained) :class:`~gsattn.sparse.SparseApproximator`,
  once per ``rho``.

Every pass runs in ``eval()`` under ``torch.no_grad()`` with PyTorch's defaults (the MHA
fast path on: on CPU both MHA variants and the Phase 1 model dispatch the fused
``aten._native_multi_head_attention``, which materialises the ``h·L²`` weights even
with ``need_weights=False``; SDPA dispatches the blocked
``aten._scaled_dot_product_flash_attention_for_cpu``, linear in memory). The dispatched
kernel is recorded in each row's note.

Peak memory is measured twice. ``peak_bytes`` is :func:`gsattn.measure.peak_memory_bytes`
(CPU: the profiler's allocator events; CUDA: allocator statistics), which does not see
scratch memory that kernels allocate outside the c10 allocator (on CPU the sparse model's
oneDNN convolution above L ≈ 1,024). ``peak_rss_bytes`` is
:func:`gsattn.measure.os_peak_bytes`: the extra resident memory of one pass as the
operating system sees it (the high-water mark ``VmHWM`` reset before the pass, minus the
RSS before it; ``rss_method`` names the method), measured in a fresh Python subprocess
that rebuilds the same case (:func:`case_description`: the same :func:`build_case`
arguments and seed) with the same number of threads, after a warm-up pass of the same
method at ``min(L, WARMUP_LENGTH)`` (a warm-up at ``L`` itself would hide the scratch
memory oneDNN keeps and reuses after a pass). Time is :func:`gsattn.measure.throughput`
(warm-up, then the median and IQR of timed passes). The number of timed passes adapts:
one probe pass sets it to about ``target_seconds`` of timing, between ``min(3, repeats)``
and ``repeats``, so that large ``L`` costs a few passes and small ``L`` gets ``repeats``.

A method is skipped at a length where :func:`estimate_peak_bytes` exceeds the memory
budget; the row says so (``status = "skipped"``) and why.

The whole models' rows also carry closed-form FLOPs per sequence (:func:`closed_form_flops`,
skipped or not): ``flops`` of the whole forward pass and ``flops_attention_block`` of the
attention block only (:data:`gsattn.flops.ATTENTION_BLOCK` for the Phase 1 model,
:data:`gsattn.flops.SPARSE_BLOCK` for the sparse one); :func:`speedups` turns them into
the two compute reductions ``1 − sparse / Phase 1`` at every length.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
from collections.abc import Iterable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gsattn.flops import (
    attention_block_flops,
    attention_flops,
    dispatched_ops,
    sparse_block_flops,
    sparse_flops,
)
from gsattn.inference import example_tokens
from gsattn.measure import os_peak_bytes, peak_memory_bytes, throughput
from gsattn.models import AttentionClassifier, ModelConfig
from gsattn.seeding import seeded
from gsattn.sparse import SparseApproximator, SparseConfig

log = logging.getLogger(__name__)

#: Benchmarked methods, in table and legend order (``sparse`` once per rho).
METHODS = ("mha_weights", "mha", "sdpa", "phase1_model", "sparse")

#: Full-attention methods the sparse model is compared with in :func:`speedups`.
REFERENCES = ("sdpa", "mha", "mha_weights", "phase1_model")

#: The Phase 1 reference variant (``max_len`` is set to each benchmarked length).
REFERENCE_VARIANT = {
    "positional": "sinusoidal",
    "stem": "conv",
    "stem_kernel": 15,
    "stem_channels": 64,
    "pooling": "cls",
}

#: Columns of :func:`benchmark`'s rows.
COLUMNS = (
    "method",
    "rho",
    "length",
    "median_s",
    "iqr_s",
    "peak_bytes",
    "peak_rss_bytes",
    "rss_method",
    "repeats",
    "status",
    "estimated_bytes",
    "flops",
    "flops_attention_block",
    "note",
)

LABELS = {
    "mha_weights": "MHA, need_weights=True",
    "mha": "MHA, need_weights=False",
    "sdpa": "SDPA",
    "phase1_model": "Phase 1 model (MHA + conv stem)",
}

_DESCRIPTIONS = {
    "mha_weights": "nn.MultiheadAttention(d, h) self-attention, need_weights=True, per-head maps",
    "mha": "nn.MultiheadAttention(d, h) self-attention, need_weights=False",
    "sdpa": "F.scaled_dot_product_attention, q/k/v (1, h, L, d/h)",
    "phase1_model": "AttentionClassifier forward (phase1.models[reference]; default conv 64x15, CLS)",
    "sparse": "SparseApproximator forward (untrained), k = ceil(rho*L)",
}

_FLOAT_BYTES = 4

#: Length of the OS measurement's warm-up passes (the same method at a short length:
#: one-time set-up is done, scratch memory that grows with ``L`` is left to the pass).
WARMUP_LENGTH = 64


class SelfAttention(nn.Module):
    """``nn.MultiheadAttention`` self-attention on ``(N, L, d)`` inputs, returning its outputs."""

    def __init__(self, d_model: int, n_heads: int, need_weights: bool):
        super().__init__()
        self.attention = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.need_weights = need_weights

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.attention(x, x, x, need_weights=self.need_weights, average_attn_weights=False)


class ScaledDotProduct(nn.Module):
    """``F.scaled_dot_product_attention`` on q, k, v stacked as ``(N, 3, h, L, d/h)``."""

    def forward(self, qkv: torch.Tensor) -> torch.Tensor:
        q, k, v = qkv.unbind(1)
        return F.scaled_dot_product_attention(q, k, v)


def phase1_config(length: int, d_model: int, n_heads: int, phase1_model: dict | None) -> ModelConfig:
    """The Phase 1 reference model's config at ``length``: :data:`REFERENCE_VARIANT`
    overridden by ``phase1_model`` (e.g. the config's ``phase1.models[reference]``)."""
    fields = {"d_model": d_model, "n_heads": n_heads, **REFERENCE_VARIANT, **(phase1_model or {})}
    return ModelConfig(**(fields | {"max_len": length}))


def build_case(
    method: str,
    length: int,
    *,
    rho: float | None = None,
    d_model: int = 16,
    n_heads: int = 4,
    sparse_model: dict | None = None,
    phase1_model: dict | None = None,
    seed: int = 0,
) -> tuple[nn.Module, torch.Tensor]:
    """The module and the batch-1 input of one method at length ``length`` (CPU).

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    length : int
        Sequence length ``L``.
    rho : float, optional
        Fraction kept; required for ``sparse``.
    d_model, n_heads : int
        Attention width and heads (the sparse model's ``d_model`` too).
    sparse_model : dict, optional
        Further :class:`~gsattn.sparse.SparseConfig` fields (selector sizes, hidden, …).
    phase1_model : dict, optional
        :class:`~gsattn.models.ModelConfig` fields of the Phase 1 reference variant.
    seed : int
        Seed of the weights and of the random inputs.

    Returns
    -------
    module : nn.Module
    inputs : torch.Tensor
        ``(1, L, d)`` floats (MHA), ``(1, 3, h, L, d/h)`` floats (SDPA) or ``(1, L)``
        token ids (whole models).
    """
    generator = torch.Generator().manual_seed(seed)
    if method in ("mha_weights", "mha"):
        with seeded(seed):
            module = SelfAttention(d_model, n_heads, need_weights=method == "mha_weights")
        return module, torch.randn(1, length, d_model, generator=generator)
    if method == "sdpa":
        qkv = torch.randn(1, 3, n_heads, length, d_model // n_heads, generator=generator)
        return ScaledDotProduct(), qkv
    if method == "phase1_model":
        config = phase1_config(length, d_model, n_heads, phase1_model)
        with seeded(seed):
            module = AttentionClassifier(config)
        return module, example_tokens(1, length, seed=seed)
    if method == "sparse":
        if rho is None:
            raise ValueError("the sparse method needs rho")
        config = SparseConfig(rho=rho, d_model=d_model, max_len=length, **(sparse_model or {}))
        with seeded(seed):
            module = SparseApproximator(config)
        return module, example_tokens(1, length, seed=seed)
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")


def case_description(method: str, length: int, **options) -> dict:
    """The JSON-serialisable :func:`build_case` keyword arguments of one case.

    ``options`` are :func:`build_case`'s keyword arguments (bound against its
    signature, defaults filled in, so the two cannot drift apart).
    :func:`gsattn.measure.os_peak_bytes` passes the result to its child process,
    which calls ``build_case(**description)`` and so rebuilds the very same module
    and inputs (same weights and random inputs from ``seed``).
    """
    bound = inspect.signature(build_case).bind(method, length, **options)
    bound.apply_defaults()
    case = bound.arguments
    return case | {
        "length": int(case["length"]),
        "rho": None if case["rho"] is None else float(case["rho"]),
        "d_model": int(case["d_model"]),
        "n_heads": int(case["n_heads"]),
        "sparse_model": dict(case["sparse_model"] or {}),
        "phase1_model": dict(case["phase1_model"] or {}),
        "seed": int(case["seed"]),
    }


def estimate_peak_bytes(
    method: str,
    length: int,
    *,
    d_model: int = 16,
    n_heads: int = 4,
    sparse_model: dict | None = None,
    phase1_model: dict | None = None,
) -> int:
    """A generous estimate of what :func:`~gsattn.measure.peak_memory_bytes` will report.

    Quadratic terms are what the kernels materialise (checked against measurements
    on CPU, PyTorch 2.13): the fused MHA kernel holds the ``h·L²`` fp32 weights once
    (with or without ``need_weights``); the Phase 1 model, with its key-padding mask,
    holds them twice over ``L + 1`` tokens (CLS). SDPA's CPU flash kernel and the
    sparse model are linear in ``L`` (the sparse model's context convolution uses an
    ``im2col`` buffer of ``d·kernel`` floats per position at small ``L``). Linear
    terms are a wide margin over the measured per-position memory so that a skip
    decision errs towards skipping.

    Returns
    -------
    int
        Bytes (fp32).
    """
    d, h, n = d_model, n_heads, length
    if method in ("mha_weights", "mha"):
        return _FLOAT_BYTES * (h * n * n + 32 * n * d)
    if method == "sdpa":
        return _FLOAT_BYTES * 32 * n * d
    if method == "phase1_model":
        channels = phase1_config(length, d_model, n_heads, phase1_model).stem_channels
        return _FLOAT_BYTES * (2 * h * (n + 1) ** 2 + 8 * n * (channels + d))
    if method == "sparse":
        config = SparseConfig(d_model=d, max_len=max(1, n), **(sparse_model or {}))
        # im2col buffer of the context convolution (small L) + activations, per position
        per_position = d * config.selector_kernel + 8 * (d + config.selector_channels)
        return _FLOAT_BYTES * n * per_position
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")


def closed_form_flops(
    method: str,
    length: int,
    *,
    rho: float | None = None,
    d_model: int = 16,
    n_heads: int = 4,
    sparse_model: dict | None = None,
    phase1_model: dict | None = None,
) -> tuple[int | float, int | float]:
    """Closed-form FLOPs per sequence of a whole model: (whole forward pass, attention block).

    ``phase1_model``: :func:`gsattn.flops.attention_flops` total and
    :func:`~gsattn.flops.attention_block_flops`; ``sparse``:
    :func:`~gsattn.flops.sparse_flops` total and
    :func:`~gsattn.flops.sparse_block_flops`; NaN for the bare attention
    layers (``mha*``, ``sdpa``), which are not whole models. Exact integers otherwise (so
    that the TSV keeps every digit).
    """
    if method == "phase1_model":
        config = phase1_config(length, d_model, n_heads, phase1_model)
        return int(attention_flops(config, length)["total"]), int(attention_block_flops(config, length))
    if method == "sparse":
        if rho is None:
            raise ValueError("the sparse method needs rho")
        config = SparseConfig(rho=rho, d_model=d_model, max_len=length, **(sparse_model or {}))
        return int(sparse_flops(config, length)["total"]), int(sparse_block_flops(config, length))
    if method in METHODS:
        return math.nan, math.nan
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")


def _kernels(module: nn.Module, inputs: torch.Tensor) -> str:
    """The attention / convolution / top-k ATen ops one pass dispatches."""
    keep = {"aten.bmm", "aten.baddbmm", "aten.convolution", "aten.topk", "aten.addmm"}
    ops = [op for op in dispatched_ops(module, inputs) if "attention" in op or op in keep]
    return ", ".join(ops) or "none"


def measure(
    module: nn.Module,
    inputs: torch.Tensor,
    *,
    repeats: int,
    target_seconds: float,
    warmup: int = 1,
    case: dict | None = None,
    threads: int = 1,
) -> dict:
    """Peak memory and timing of ``module(inputs)``, batch as given.

    One :func:`~gsattn.measure.peak_memory_bytes` pass, then a probe
    (``warmup`` untimed passes + one timed) that sets the number of timed passes to
    ``clamp(target_seconds / probe, min(3, repeats), repeats)``, then those passes
    (:func:`~gsattn.measure.throughput`, no further warm-up). With ``case`` (the
    :func:`case_description` of ``module`` and ``inputs``), the OS figure too:
    :func:`~gsattn.measure.os_peak_bytes` in a fresh subprocess with ``threads``
    threads, after ``max(1, warmup)`` warm-up passes of the same case at
    ``min(L, WARMUP_LENGTH)`` (so that kernels' scratch memory that persists after
    a pass, e.g. oneDNN's scratchpad, is counted at ``L``).

    Returns
    -------
    dict
        ``median_s``, ``iqr_s``, ``peak_bytes``, ``peak_rss_bytes`` and ``rss_method``
        (NaN and ``""`` without ``case``), ``repeats``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    peak = peak_memory_bytes(module, inputs)
    probe = throughput(module, inputs, warmup=warmup, repeats=1)["median_s"]
    wanted = int(target_seconds / probe) if probe > 0 else repeats
    n = max(min(3, repeats), min(repeats, wanted))
    timing = throughput(module, inputs, warmup=0, repeats=n)
    resident = {"peak_rss_bytes": math.nan, "rss_method": ""}
    if case is not None:
        small = case | {"length": min(int(case["length"]), WARMUP_LENGTH)}
        found = os_peak_bytes(case, threads=threads, warmup=max(1, warmup), warmup_case=small)
        resident = {key: found[key] for key in resident}
    return {
        "median_s": timing["median_s"],
        "iqr_s": timing["iqr_s"],
        "peak_bytes": peak,
        **resident,
        "repeats": n,
    }


def _cases(rhos: Sequence[float]) -> Iterator[tuple[str, float | None]]:
    for method in METHODS:
        if method == "sparse":
            for rho in rhos:
                yield method, float(rho)
        else:
            yield method, None


def benchmark(
    lengths: Iterable[int],
    rhos: Sequence[float],
    *,
    memory_budget_bytes: float,
    repeats: int,
    target_seconds: float = 2.0,
    warmup: int = 1,
    d_model: int = 16,
    n_heads: int = 4,
    sparse_model: dict | None = None,
    phase1_model: dict | None = None,
    seed: int = 0,
    os_memory: bool = True,
) -> list[dict]:
    """Time and peak memory of every method (:data:`METHODS`, ``sparse`` per rho) at every length.

    Runs on CPU with the current ``torch.get_num_threads()``.

    Parameters
    ----------
    lengths : iterable of int
        Sequence lengths, benchmarked in increasing order.
    rhos : sequence of float
        Fractions kept by the sparse model.
    memory_budget_bytes : float
        A method whose :func:`estimate_peak_bytes` exceeds this at a length is skipped there.
    repeats : int
        Most timed passes per point (see :func:`measure`).
    target_seconds : float
        Timing time aimed at per point.
    warmup : int
        Untimed passes before the probe.
    d_model, n_heads : int
        Model width and heads.
    phase1_model : dict, optional
        Fields of the Phase 1 reference variant (default :data:`REFERENCE_VARIANT`).
    sparse_model : dict, optional
        Further ``SparseConfig`` fields.
    seed : int
        Seed of weights and inputs.
    os_memory : bool
        Also measure ``peak_rss_bytes`` (:func:`~gsattn.measure.os_peak_bytes`, one fresh
        subprocess per measured row, about 2 s each for the torch import); False leaves
        it NaN.

    Returns
    -------
    list[dict]
        One row per method, rho and length with the keys of :data:`COLUMNS`; ``rho`` is
        NaN except for ``sparse``; ``median_s``, ``iqr_s``, ``peak_bytes``,
        ``peak_rss_bytes`` are NaN, ``rss_method`` is ``""`` and ``repeats`` 0 for
        skipped rows; ``flops`` and ``flops_attention_block``
        (:func:`closed_form_flops`) are set for the whole models, skipped or not.
    """
    lengths = sorted({int(length) for length in lengths})
    if not lengths or lengths[0] < 1:
        raise ValueError(f"need positive lengths, got {lengths}")
    threads = torch.get_num_threads()
    kernels: dict[tuple[str, float | None], str] = {}
    rows = []
    for length in lengths:
        for method, rho in _cases(rhos):
            estimate = estimate_peak_bytes(
                method,
                length,
                d_model=d_model,
                n_heads=n_heads,
                sparse_model=sparse_model,
                phase1_model=phase1_model,
            )
            flops, block = closed_form_flops(
                method,
                length,
                rho=rho,
                d_model=d_model,
                n_heads=n_heads,
                sparse_model=sparse_model,
                phase1_model=phase1_model,
            )
            row = {
                "method": method,
                "rho": math.nan if rho is None else rho,
                "length": length,
                "median_s": math.nan,
                "iqr_s": math.nan,
                "peak_bytes": math.nan,
                "peak_rss_bytes": math.nan,
                "rss_method": "",
                "repeats": 0,
                "status": "skipped",
                "estimated_bytes": estimate,
                "flops": flops,
                "flops_attention_block": block,
                "note": "",
            }
            if estimate > memory_budget_bytes:
                row["note"] = (
                    f"estimated {estimate / 2**30:.2f} GiB exceeds the budget "
                    f"{memory_budget_bytes / 2**30:.2f} GiB"
                )
                log.info("skip %s rho=%s at L=%d: %s", method, rho, length, row["note"])
                rows.append(row)
                continue
            case = case_description(
                method,
                length,
                rho=rho,
                d_model=d_model,
                n_heads=n_heads,
                sparse_model=sparse_model,
                phase1_model=phase1_model,
                seed=seed,
            )
            module, inputs = build_case(**case)
            if (method, rho) not in kernels:  # first (smallest) length: cheap
                kernels[method, rho] = _kernels(module, inputs)
            result = measure(
                module,
                inputs,
                repeats=repeats,
                target_seconds=target_seconds,
                warmup=warmup,
                case=case if os_memory else None,
                threads=threads,
            )
            row.update(result, status="ok")
            row["note"] = f"{_DESCRIPTIONS[method]}; kernels: {kernels[method, rho]}; threads={threads}"
            log.info(
                "%s rho=%s L=%d: median %.4g s (IQR %.2g, %d repeats), peak %d bytes (profiler), %s (OS)",
                method,
                rho,
                length,
                row["median_s"],
                row["iqr_s"],
                row["repeats"],
                row["peak_bytes"],
                row["peak_rss_bytes"],
            )
            rows.append(row)
            del module, inputs
    return rows


def speedups(rows: Sequence[dict], references: Sequence[str] = REFERENCES) -> list[dict]:
    """Speed-ups and memory ratios of each sparse rho over each full-attention method, per length.

    Parameters
    ----------
    rows : sequence of dict
        :func:`benchmark` rows.
    references : sequence of str
        Methods compared with (default :data:`REFERENCES`).

    Returns
    -------
    list[dict]
        One row per sparse rho and length (wide): ``rho``, ``length``, ``sparse_s``,
        ``sparse_peak_bytes``, ``sparse_peak_rss_bytes``, then ``speedup_vs_<ref>``
        (reference median time / sparse median time) for each reference, then
        ``memory_ratio_vs_<ref>`` (reference peak / sparse peak, the profiler's figure),
        then ``rss_ratio_vs_<ref>`` (the same on the OS figure ``peak_rss_bytes``);
        NaN where either side was skipped or not measured; then
        ``flops_reduction_vs_phase1_model`` (``1 − sparse / Phase 1`` closed-form
        FLOPs of the whole forward passes) and
        ``flops_reduction_attention_block_vs_phase1_model`` (the same for the
        attention blocks), NaN where a row has no FLOPs.
    """
    by_key = {(row["method"], row["length"]): row for row in rows if row["method"] != "sparse"}
    out = []
    for sparse in (row for row in rows if row["method"] == "sparse"):
        found = {ref: by_key.get((ref, sparse["length"]), {}) for ref in references}
        out.append(
            {
                "rho": sparse["rho"],
                "length": sparse["length"],
                "sparse_s": sparse["median_s"],
                "sparse_peak_bytes": sparse["peak_bytes"],
                "sparse_peak_rss_bytes": sparse.get("peak_rss_bytes", math.nan),
                **{
                    f"speedup_vs_{ref}": _ratio(row.get("median_s", math.nan), sparse["median_s"])
                    for ref, row in found.items()
                },
                **{
                    f"memory_ratio_vs_{ref}": _ratio(row.get("peak_bytes", math.nan), sparse["peak_bytes"])
                    for ref, row in found.items()
                },
                **{
                    f"rss_ratio_vs_{ref}": _ratio(
                        row.get("peak_rss_bytes", math.nan), sparse.get("peak_rss_bytes", math.nan)
                    )
                    for ref, row in found.items()
                },
                **_reductions(sparse, by_key.get(("phase1_model", sparse["length"]), {})),
            }
        )
    return out


def _reductions(sparse: dict, phase1: dict) -> dict[str, float]:
    """``1 − sparse / Phase 1`` FLOPs, whole model and attention block (NaN where missing)."""
    out = {}
    for suffix, key in (("", "flops"), ("_attention_block", "flops_attention_block")):
        ratio = _ratio(sparse.get(key, math.nan), phase1.get(key, math.nan))
        out[f"flops_reduction{suffix}_vs_phase1_model"] = 1.0 - ratio
    return out


def _ratio(numerator: float, denominator: float) -> float:
    if math.isnan(numerator) or math.isnan(denominator) or denominator <= 0:
        return math.nan
    return float(numerator) / float(denominator)


def _label(method: str, rho: float) -> str:
    return f"sparse, rho={rho:g}" if method == "sparse" else LABELS[method]


def scaling_figure(rows: Sequence[dict], path: str, title: str = "") -> None:
    """Log-log time and peak memory against ``L``, one colour per method (PNG).

    Left: median time. Right: peak memory, the OS figure (``peak_rss_bytes``, solid)
    and the profiler's (``peak_bytes``, dashed) in the method's colour. Skipped,
    unmeasured and zero points (log axes) are left out; dotted grey guides show slopes 1 (∝ L) and 2 (∝ L²).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[dict]] = {}
    for row in rows:
        if row["status"] == "ok":
            series.setdefault(_label(row["method"], row["rho"]), []).append(row)
    colours = {label: f"C{i % 10}" for i, label in enumerate(series)}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    panels = (
        (axes[0], (("median_s", "-", ""),), "time per forward pass (s, median)"),
        (
            axes[1],
            (("peak_rss_bytes", "-", ""), ("peak_bytes", "--", " (profiler)")),
            "peak memory (bytes): OS solid, profiler dashed",
        ),
    )
    ok = [row for row in rows if row["status"] == "ok"]
    for ax, lines, ylabel in panels:
        for key, style, suffix in lines:
            for label, points in series.items():
                _plot_series(ax, points, key, label + suffix, colour=colours[label], style=style)
        _guides(ax, ok, lines[0][0])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sequence length L")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", lw=0.3)
    if series:
        axes[0].legend(fontsize=7)
    fig.suptitle(
        title or "Full attention vs sparse model, batch 1 (missing points: over memory budget)", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def _plot_series(ax, points: Sequence[dict], key: str, label: str, *, colour: str, style: str) -> None:
    """One method's line of ``key`` against ``L`` on a log axis: NaN points and points
    at or below 0 (an OS figure under one page reads 0 bytes) are left out."""
    points = sorted(
        (row for row in points if not _missing(row.get(key)) and float(row[key]) > 0),
        key=lambda row: row["length"],
    )
    if not points:
        return
    x = [row["length"] for row in points]
    y = [float(row[key]) for row in points]
    ax.plot(x, y, marker="o" if style == "-" else "", ms=3, lw=1.2, ls=style, color=colour, label=label)


def _missing(value) -> bool:
    """True for None, NaN or a non-number (e.g. ``""``)."""
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def _guides(ax, rows: Sequence[dict], key: str) -> None:
    """Dotted slope-1 and slope-2 lines through the median point of the smallest length."""
    if not rows:
        return
    lengths = sorted({row["length"] for row in rows})
    if len(lengths) < 2:
        return
    start = [
        float(row[key])
        for row in rows
        if row["length"] == lengths[0] and not _missing(row.get(key)) and float(row[key]) > 0
    ]
    if not start:
        return
    y0 = sorted(start)[len(start) // 2]
    x = [lengths[0], lengths[-1]]
    for power, text in ((1, "∝ L"), (2, "∝ L²")):
        y = [y0, y0 * (lengths[-1] / lengths[0]) ** power]
        ax.plot(x, y, color="grey", lw=0.7, ls=":")
        ax.annotate(text, (x[1], y[1]), fontsize=7, color="grey", ha="right", va="bottom")


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """``torch.set_num_threads(threads)`` for the block, restored afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(threads)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
