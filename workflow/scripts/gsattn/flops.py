"""FLOPs of the Phase 1 and Phase 2 models: closed form and as PyTorch counts them.

* :func:`attention_flops` – analytical FLOPs of one forward pass per sequence
  of :class:`~gsattn.models.AttentionClassifier`, by component (closed-form
  formulas, see its docstring); :func:`attention_block_flops` the attention
  block's part (:data:`ATTENTION_BLOCK`).
* :func:`counted_flops` / :func:`flop_comparison` – what
  ``torch.utils.flop_counter.FlopCounterMode`` reports for the same pass, and
  the analytical matmul/conv parts lined up against it. The counter has FLOP
  formulas only for matmul-like ops (``mm``, ``addmm``, ``bmm``, ``baddbmm``,
  convolutions, the CUDA SDPA kernels, …); everything else counts 0.

The Phase 2 :class:`~gsattn.sparse.SparseApproximator` has the same pair:
:func:`sparse_flops` (closed form; the top-k's comparisons are reported apart,
outside the FLOP total; :func:`sparse_block_flops` the part that replaces the
attention block, :data:`SPARSE_BLOCK`) and :func:`sparse_flop_comparison`
(against ``FlopCounterMode``, which sees only its convolutions and ``addmm``).
Memory and speed are measured in :mod:`gsattn.measure`; :mod:`gsattn.compute`
combines both into the profile rows.

Which kernel ``nn.MultiheadAttention`` runs matters for the counter. In
``eval()`` mode without autograd (``torch.no_grad()``), with an even number of
heads, batch-first self-attention and ``torch.backends.mha`` fast path enabled
(the default), PyTorch (checked on 2.13, CPU) dispatches the whole layer as one
``aten._native_multi_head_attention`` op, for which ``FlopCounterMode`` has no
formula: the attention layer counts 0 FLOPs. With the fast path off, the Python
path runs ``aten.mm`` (in-projection) + ``aten.addmm`` (out-projection) and
either ``aten._scaled_dot_product_flash_attention_for_cpu`` (``need_weights=False``;
no formula on CPU, so QKᵀ and the weighted sum count 0) or, with
``need_weights=True``, ``aten.baddbmm`` (QKᵀ) + ``aten._softmax`` + ``aten.bmm``
(weights·V), all matmuls counted. :func:`flop_comparison` therefore reports the
counter both on the model's own ``forward(tokens)`` path and on that fully
unfused path.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry

from gsattn.inference import evaluating, example_tokens
from gsattn.models import ModelConfig
from gsattn.sparse import SparseConfig

#: Components of :func:`attention_flops`, in forward order ("total" is added).
COMPONENTS = (
    "embedding",
    "stem",
    "positional",
    "qkv_projection",
    "scores",
    "softmax",
    "weighted_sum",
    "out_projection",
    "pooling",
    "classifier",
)

#: The teacher's attention block: the components between its stem (or embedding)
#: and its classifier, i.e. what maps the per-position features to the pooled
#: vector. The compute reduction "attention block only" compares these with
#: :data:`SPARSE_BLOCK`; the whole-model reduction compares the totals.
ATTENTION_BLOCK = (
    "positional",
    "qkv_projection",
    "scores",
    "softmax",
    "weighted_sum",
    "out_projection",
    "pooling",
)

#: FLOPs per attention weight for a numerically stable softmax: max, subtract,
#: exp (counted as one FLOP), sum, divide.
SOFTMAX_FLOPS_PER_ELEMENT = 5

# Components whose counted FLOPs are read from one op of the attention module
# (on the unfused Python path); the others from a whole submodule.
_ATTENTION_OPS = {
    "qkv_projection": "aten.mm",
    "scores": "aten.baddbmm",
    "weighted_sum": "aten.bmm",
    "out_projection": "aten.addmm",
}
_MODULE_OF = {"stem": "stem", "classifier": "classifier"}

_NOTES = {
    "embedding": "aten.embedding is a table lookup: 0 FLOPs, not counted",
    "stem": "aten.convolution counted (2*d*C*k, + 2*C*d for the 1x1 conv, per position); bias, relu not",
    "positional": "encoding add (aten.add) not counted",
    "qkv_projection": "unfused: aten.mm (in_proj on the transposed 3-D input); its bias aten.add not counted",
    "scores": "unfused: aten.baddbmm (Q K^T + mask); q scaling aten.mul and the mask add not counted",
    "softmax": "aten._softmax has no FLOP formula",
    "weighted_sum": "unfused: aten.bmm (weights V)",
    "out_projection": "unfused: aten.addmm (out_proj); bias add not counted",
    "pooling": "mean: aten.mul/aten.sum/aten.div not counted; cls: aten.select, 0 FLOPs",
    "classifier": "aten.addmm counted; bias add not counted",
}


# --------------------------------------------------------------------- analytical
def _flop_terms(config: ModelConfig, length: int) -> dict[str, tuple[int, int]]:
    """``component -> (matmul/conv FLOPs, elementwise FLOPs)`` for one sequence."""
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    if config.d_model % config.n_heads:
        raise ValueError(f"d_model {config.d_model} is not divisible by n_heads {config.n_heads}")
    if config.stem not in ("none", "conv") or config.pooling not in ("mean", "cls"):
        raise ValueError(f"unknown stem {config.stem!r} or pooling {config.pooling!r}")
    if config.positional not in ("none", "sinusoidal", "learned"):
        raise ValueError(f"unknown positional {config.positional!r}")
    d, h, k, c = config.d_model, config.n_heads, config.stem_kernel, config.stem_channels
    n = length + (1 if config.pooling == "cls" else 0)  # tokens entering attention
    terms = dict.fromkeys(COMPONENTS, (0, 0))
    if config.stem == "conv":
        out_len = length + 2 * (k // 2) - k + 1  # padding=k//2, stride 1
        conv, elementwise = 2 * d * c * k * out_len, 2 * c * out_len  # Conv1d(d, c, k): bias + ReLU
        if c != d:  # Conv1d(c, d, 1) back to d, + bias
            conv, elementwise = conv + 2 * c * d * out_len, elementwise + d * out_len
        terms["stem"] = (conv, elementwise)
    if config.positional != "none":
        terms["positional"] = (0, d * length)
    terms["qkv_projection"] = (2 * n * d * 3 * d, 3 * d * n)
    terms["scores"] = (2 * n * n * d, n * d + h * n * n)  # scale q, add mask
    terms["softmax"] = (0, SOFTMAX_FLOPS_PER_ELEMENT * h * n * n)
    terms["weighted_sum"] = (2 * n * n * d, 0)
    terms["out_projection"] = (2 * n * d * d, d * n)
    if config.pooling == "mean":
        terms["pooling"] = (0, 2 * d * length + length - 1)
    terms["classifier"] = (2 * d * config.n_out, config.n_out)
    return terms


def attention_flops(config: ModelConfig, length: int, *, matmul_only: bool = False) -> dict[str, int]:
    """Analytical FLOPs of one ``AttentionClassifier`` forward pass, per sequence.

    Convention: one multiply-add is 2 FLOPs (as ``FlopCounterMode`` counts
    matmuls and convolutions); an add, multiply, comparison, ``exp`` or divide
    is 1 FLOP; lookups, copies, concatenation, masking by selection and views
    are 0. PAD positions are computed like any other (dense kernels), so the
    count depends on ``length`` only, not on the padding.

    With ``d = d_model``, ``h = n_heads``, ``k = stem_kernel``, ``C = stem_channels``, ``L = length``,
    ``n = L + 1`` under ``pooling="cls"`` (CLS token prepended) else ``L``, and
    ``L_s = L + 2*(k//2) - k + 1`` the stem's output length (``L`` for odd k):

    ============== ======================= =====================================
    component      matmul/conv part        elementwise part
    ============== ======================= =====================================
    embedding      0                       0 (lookup)
    stem           2·d·C·k·L_s             2·C·L_s (bias, ReLU); 0 without stem;
                   + 2·C·d·L_s if C ≠ d    + d·L_s (1x1 conv back to d, bias)
    positional     0                       d·L (add); 0 with ``"none"``
    qkv_projection 2·n·d·3d                3d·n (bias)
    scores         2·n²·d  (= 2·h·n²·d/h)  n·d (scale q by 1/√(d/h)) + h·n² (mask)
    softmax        0                       5·h·n² (max, subtract, exp, sum, divide)
    weighted_sum   2·n²·d                  0
    out_projection 2·n·d²                  d·n (bias)
    pooling        0                       mean: 2·d·L + L − 1 (mask, sum, count,
                                           divide, ≈); cls: 0 (selection)
    classifier     2·d·n_out               n_out (bias)
    ============== ======================= =====================================

    Parameters
    ----------
    config : ModelConfig
        Model hyper-parameters.
    length : int
        Sequence length ``L`` (tokens per sequence, before any CLS token).
    matmul_only : bool
        Only the matmul/conv parts (what ``FlopCounterMode`` has formulas for).

    Returns
    -------
    dict[str, int]
        FLOPs per sequence for each name in :data:`COMPONENTS` and ``"total"``.
    """
    terms = _flop_terms(config, length)
    flops = {
        name: matmul if matmul_only else matmul + elementwise for name, (matmul, elementwise) in terms.items()
    }
    flops["total"] = sum(flops.values())
    return flops


def attention_block_flops(config: ModelConfig, length: int) -> int:
    """FLOPs per sequence of the teacher's attention block (:data:`ATTENTION_BLOCK`).

    Elementwise FLOPs included: positional add, QKV projection, scores,
    softmax, weighted sum, out-projection and pooling; the embedding, the conv
    stem and the classifier are left out. With ``n = L (+1 with CLS)``:
    ``d·L + 8·n·d² + 4·n²·d + 5·n·d + 6·h·n² + pooling`` (1,114,216 for the default
    ``attention`` variant at L = 100: d = 16, h = 4, CLS, n = 101).
    """
    flops = attention_flops(config, length)
    return sum(flops[name] for name in ATTENTION_BLOCK)


# ------------------------------------------------------------------------ counted
def _forward(model: nn.Module, tokens: torch.Tensor, need_weights: bool) -> None:
    """One forward pass; ``need_weights`` calls ``forward(tokens, return_attention=True)``."""
    if need_weights:
        model(tokens, return_attention=True)
    else:
        model(tokens)


def _counts_by_module(
    model: nn.Module, tokens: torch.Tensor, *, fastpath: bool = True, need_weights: bool = False
) -> dict[str, dict[str, int]]:
    """``FlopCounterMode.get_flop_counts()`` of one pass, with op names as strings."""
    counter = FlopCounterMode(display=False)
    with evaluating(model, fastpath), counter:
        _forward(model, tokens, need_weights)
    return {
        module: {str(op): int(value) for op, value in ops.items()}
        for module, ops in counter.get_flop_counts().items()
    }


def counted_flops(
    model: nn.Module, tokens: torch.Tensor, *, fastpath: bool = True, need_weights: bool = False
) -> dict[str, int]:
    """FLOPs of one inference forward pass as counted by ``FlopCounterMode``.

    The pass runs in ``eval()`` mode under ``torch.no_grad()`` (the model's
    training flag is restored afterwards). With the defaults this is exactly
    what ``model(tokens)`` executes at inference, i.e. on CPU the fused
    ``aten._native_multi_head_attention`` kernel, which the counter does not
    count.

    Parameters
    ----------
    model : nn.Module
        Usually an :class:`~gsattn.models.AttentionClassifier`.
    tokens : torch.Tensor
        ``(N, L)`` int64 token ids on the model's device.
    fastpath : bool
        Value of ``torch.backends.mha.set_fastpath_enabled`` during the pass
        (restored afterwards). ``False`` forces the Python MHA path.
    need_weights : bool
        Call ``model(tokens, return_attention=True)``; with ``fastpath=False``
        this makes MHA compute QKᵀ and weights·V with ``baddbmm``/``bmm``.

    Returns
    -------
    dict[str, int]
        ``"total"`` for the whole batch and one entry per counted op
        (e.g. ``"aten.addmm"``).
    """
    per_op = _counts_by_module(model, tokens, fastpath=fastpath, need_weights=need_weights).get("Global", {})
    return {"total": sum(per_op.values()), **per_op}


class _OpRecorder(TorchDispatchMode):
    """Record the ATen ops (overload packets) dispatched, in first-seen order."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: dict[str, None] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.setdefault(str(func.overloadpacket), None)
        return func(*args, **(kwargs or {}))


def dispatched_ops(
    model: nn.Module, tokens: torch.Tensor, *, fastpath: bool = True, need_weights: bool = False
) -> list[str]:
    """ATen ops one inference forward pass dispatches (unique, first-seen order).

    Same pass as :func:`counted_flops` with the same arguments.

    Returns
    -------
    list[str]
        Op names such as ``"aten._native_multi_head_attention"``.
    """
    recorder = _OpRecorder()
    with evaluating(model, fastpath), recorder:
        _forward(model, tokens, need_weights)
    return list(recorder.ops)


def _module_total(counts: dict[str, dict[str, int]], name: str) -> dict[str, int]:
    """Per-op counts of submodule ``name`` (keys look like ``"AttentionClassifier.stem"``)."""
    for module, ops in counts.items():
        if module.split(".", 1)[-1] == name and "." in module:
            return ops
    return {}


def _component_counts(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """Attribute counted FLOPs (whole batch) to components; the rest of the attention
    module's counts (e.g. an SDPA kernel on CUDA) go to ``"attention_other"``."""
    attention = _module_total(counts, "attention")
    out = dict.fromkeys(COMPONENTS, 0)
    for component, module in _MODULE_OF.items():
        out[component] = sum(_module_total(counts, module).values())
    for component, op in _ATTENTION_OPS.items():
        out[component] = attention.get(op, 0)
    out["attention_other"] = sum(v for op, v in attention.items() if op not in _ATTENTION_OPS.values())
    out["total"] = sum(counts.get("Global", {}).values())
    return out


def _describe_ops(ops: list[str]) -> str:
    """``"aten.x (counted), aten.y (no formula)"`` for the attention-related ops in ``ops``."""
    registry = {str(op) for op in flop_registry}
    relevant = [
        op
        for op in ops
        if "attention" in op or op in {"aten.mm", "aten.baddbmm", "aten.bmm", "aten._softmax"}
    ]
    return ", ".join(f"{op} ({'counted' if op in registry else 'no formula'})" for op in relevant) or "none"


def flop_comparison(config: ModelConfig, model: nn.Module, length: int, batch_size: int = 1) -> list[dict]:
    """Analytical matmul/conv FLOPs next to ``FlopCounterMode``'s, per sequence.

    Parameters
    ----------
    config : ModelConfig
        Configuration of ``model`` (used for the analytical side).
    model : nn.Module
        An :class:`~gsattn.models.AttentionClassifier` built from ``config``.
    length : int
        Sequence length ``L``.
    batch_size : int
        Sequences in the counted batch (counts are divided by it).

    Returns
    -------
    list[dict]
        One row per component of :data:`COMPONENTS`, then ``attention_other``
        (counted attention-module FLOPs not attributable to one component, e.g.
        an SDPA kernel) and ``total``, each with keys ``component``,
        ``analytical`` (matmul/conv part), ``analytical_all`` (with elementwise
        FLOPs), ``counted`` (``model(tokens)`` in eval/no-grad: the path the
        model really uses), ``counted_unfused`` (MHA fast path off and
        ``need_weights=True``: every matmul as ``mm``/``addmm``/``baddbmm``/``bmm``)
        and ``note``.
    """
    device = next(model.parameters()).device
    tokens = example_tokens(batch_size, length, device=device)
    matmul = attention_flops(config, length, matmul_only=True)
    full = attention_flops(config, length)
    counted = _component_counts(_counts_by_module(model, tokens))
    unfused = _component_counts(_counts_by_module(model, tokens, fastpath=False, need_weights=True))
    forward_ops = _describe_ops(dispatched_ops(model, tokens))
    sdpa_ops = _describe_ops(dispatched_ops(model, tokens, fastpath=False))
    attention_note = f"forward path runs {forward_ops}"
    rows = []
    for component in (*COMPONENTS, "attention_other", "total"):
        note = _NOTES.get(component, "")
        if component in _ATTENTION_OPS or component == "softmax":
            note = f"{note}; {attention_note}"
        elif component == "attention_other":
            note = "attention-module ops outside mm/addmm/baddbmm/bmm (e.g. a counted SDPA kernel)"
        elif component == "total":
            note = (
                f"counted: {attention_note}; unfused need_weights=False path runs {sdpa_ops}; "
                "softmax, ReLU, masking, bias/positional adds and pooling are never counted"
            )
        rows.append(
            {
                "component": component,
                "analytical": matmul.get(component, 0),
                "analytical_all": full.get(component, 0),
                "counted": counted[component] // batch_size,
                "counted_unfused": unfused[component] // batch_size,
                "note": note,
            }
        )
    return rows


# ------------------------------------------------------------------- sparse model
#: Components of :func:`sparse_flops`, in forward order ("total" and the separate
#: "top_k_comparisons" are added).
SPARSE_COMPONENTS = (
    "embedding",
    "selector_context",
    "selector_relu",
    "selector_score",
    "top_k",
    "gather",
    "approximator",
    "weights_softmax",
    "weighted_sum",
    "classifier",
)

#: What the student computes to replace the teacher's attention block
#: (:data:`ATTENTION_BLOCK`): everything from its embedding to the pooled
#: vector; the embedding lookup (0 FLOPs) and the frozen classifier, the same
#: layer as the teacher's, are left out.
SPARSE_BLOCK = tuple(name for name in SPARSE_COMPONENTS if name not in ("embedding", "classifier"))

# Component -> submodule of SparseApproximator whose counted FLOPs it is compared with.
_SPARSE_MODULE_OF = {
    "selector_context": "selector.context",
    "selector_score": "selector.score",
    "approximator": "approximator",
    "classifier": "classifier",
    "weighted_sum": "head",  # joint-pipeline student only: the frozen head's einsum (bmm)
}

_SPARSE_NOTES = {
    "embedding": "aten.embedding (lookup) and the PAD aten.masked_fill: 0 FLOPs, not counted",
    "selector_context": "aten.convolution counted (2*d*c*kernel per position); its bias is not",
    "selector_relu": "aten.relu not counted",
    "selector_score": "aten.convolution counted (1x1 conv, 2*c per position); its bias is not",
    "top_k": (
        "aten.topk has no FLOP formula; its ~L*log2(k) comparisons are the separate "
        "top_k_comparisons row, not in any total"
    ),
    "gather": "aten.gather/aten.index (positions[index])/aten.cat/aten.expand: data movement, 0 FLOPs",
    "approximator": "aten.addmm counted (2*k*(F*H + H*v), 48*8 + 8*16 by default); biases, aten.relu not",
    "weights_softmax": "aten.div (temperature), aten.masked_fill, aten._softmax: none counted",
    "weighted_sum": (
        "aten.mul + aten.sum (not a matmul): not counted; joint-pipeline student: the frozen head's "
        "einsum over the k selected blocks (aten.bmm, counted without bias and ReLU)"
    ),
    "classifier": "aten.addmm counted; bias add not counted",
}


def _sparse_flop_terms(config: SparseConfig, length: int, n_out: int) -> dict[str, tuple[int, int]]:
    """``component -> (matmul/conv FLOPs, elementwise FLOPs)`` of one sequence."""
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    if config.selector_kernel % 2 == 0:
        raise ValueError(f"selector kernel must be odd, got {config.selector_kernel}")
    d, c, kernel, hidden = config.d_model, config.selector_channels, config.selector_kernel, config.hidden
    k = config.k(length)
    out_len = length + 2 * (kernel // 2) - kernel + 1  # padding=kernel//2, stride 1: = length
    terms = dict.fromkeys(SPARSE_COMPONENTS, (0, 0))
    if config.selector_separable:
        # depthwise Conv1d(d, d, K, groups=d) + bias, then pointwise Conv1d(d, c, 1) + bias
        terms["selector_context"] = (2 * d * kernel * out_len + 2 * d * c * out_len, (d + c) * out_len)
    else:
        terms["selector_context"] = (2 * d * c * kernel * out_len, c * out_len)  # + bias
    terms["selector_relu"] = (0, c * out_len)
    terms["selector_score"] = (2 * c * out_len, out_len)  # Conv1d(c, 1, 1) + bias
    v = config.value_dim
    # Linear(F, hidden) + bias, ReLU, Linear(hidden, v) + bias on each of the k positions.
    terms["approximator"] = (2 * k * (config.n_features * hidden + hidden * v), k * (2 * hidden + v))
    terms["weights_softmax"] = (0, k + SOFTMAX_FLOPS_PER_ELEMENT * k)  # / temperature, softmax
    if config.teacher == "joint_pipeline":
        h = config.head_hidden
        # gates k * weights (k), gated values (k v); frozen head on k blocks: 2 k v h, bias h, ReLU h
        terms["weighted_sum"] = (2 * k * v * h, k + k * v + 2 * h)
        terms["classifier"] = (2 * h * n_out, n_out)
    else:
        terms["weighted_sum"] = (0, k * d + (k - 1) * d)  # weights * values, sum over k
        terms["classifier"] = (2 * d * n_out, n_out)
    return terms


def top_k_comparisons(config: SparseConfig, length: int) -> int:
    """Comparisons of a heap-style top-k over ``length`` scores: ``ceil(L·log2 k)``
    (``L − 1`` for ``k = 1``, a plain maximum). An estimate: the kernel's real count
    depends on the algorithm and the data."""
    k = config.k(length)
    return length - 1 if k == 1 else math.ceil(length * math.log2(k))


def sparse_flops(
    config: SparseConfig, length: int, *, matmul_only: bool = False, n_out: int = 1
) -> dict[str, int]:
    """Analytical FLOPs of one ``SparseApproximator`` forward pass, per sequence.

    Same convention as :func:`attention_flops` (1 multiply-add = 2 FLOPs;
    add, multiply, comparison, ``exp``, divide = 1; lookups, gathers,
    concatenation, masking and views = 0). Every position passes the selector
    (dense convolutions, PAD included); the approximator runs on
    ``k = config.k(L) = ceil(rho·L)`` positions.

    With ``d = d_model``, ``c = selector_channels``, ``K = selector_kernel``,
    ``F = n_features`` (48), ``H = hidden`` (8), ``L = length`` (the
    convolutions keep the length, ``K`` odd):

    ================ ========================= ==================================
    component        matmul/conv part          elementwise part
    ================ ========================= ==================================
    embedding        0                         0 (lookup, PAD masking)
    selector_context 2·d·c·K·L                 c·L (bias)
     (separable)     2·d·K·L + 2·d·c·L         (d + c)·L (biases)
    selector_relu    0                         c·L
    selector_score   2·c·L                     L (bias)
    top_k            0                         0 (comparisons reported apart)
    gather           0                         0 (gather, index, cat)
    approximator     2·k·(F·H + H·d)           k·(2H + d) (biases, ReLU)
    weights_softmax  0                         k (÷ temperature) + 5·k
    weighted_sum     0                         k·d + (k − 1)·d
    classifier       2·d·n_out                 n_out (bias)
    ================ ========================= ==================================

    With a joint-pipeline teacher (``config.teacher``), the MLP's values have
    ``v = out_dim`` (8) instead of ``d`` entries, ``weighted_sum`` is the frozen
    head on the k selected blocks, ``2·k·v·h`` + ``k + k·v + 2h`` (gates, gating,
    bias, ReLU) with ``h = head_hidden`` (32), and the classifier is
    ``Linear(h, n_out)``.

    Everything but ``top_k`` is affine in ``L`` and ``k``, so for a fixed
    ``rho`` the total is exactly affine in ``L`` wherever ``rho·L`` is an
    integer (and within one position's approximator cost of it elsewhere).

    Parameters
    ----------
    config : SparseConfig
        Model hyper-parameters (``rho`` sets ``k``).
    length : int
        Padded sequence length ``L``.
    matmul_only : bool
        Only the matmul/conv parts (what ``FlopCounterMode`` has formulas for).
    n_out : int
        Outputs of the frozen classifier (the teacher's ``Linear(d, 1)``).

    Returns
    -------
    dict[str, int]
        FLOPs per sequence for each name in :data:`SPARSE_COMPONENTS`,
        ``"total"`` (their sum) and ``"top_k_comparisons"``
        (:func:`top_k_comparisons`; reported, **not** part of ``total``).
    """
    terms = _sparse_flop_terms(config, length, n_out)
    flops = {
        name: matmul if matmul_only else matmul + elementwise for name, (matmul, elementwise) in terms.items()
    }
    flops["total"] = sum(flops.values())
    flops["top_k_comparisons"] = top_k_comparisons(config, length)
    return flops


def sparse_block_flops(config: SparseConfig, length: int, n_out: int = 1) -> int:
    """FLOPs per sequence of the student's part that replaces the attention block (:data:`SPARSE_BLOCK`).

    Elementwise FLOPs included (selector convolutions, ReLU, top-k's 0, MLP on
    the ``k`` positions, softmax weights, weighted sum); the top-k comparisons
    stay outside, as in :func:`sparse_flops`.
    """
    flops = sparse_flops(config, length, n_out=n_out)
    return sum(flops[name] for name in SPARSE_BLOCK)


def n_outputs(model: nn.Module) -> int:
    """Outputs of the model's ``classifier`` (a ``nn.Linear``), else 1."""
    classifier = getattr(model, "classifier", None)
    return int(classifier.out_features) if isinstance(classifier, nn.Linear) else 1


def sparse_flop_comparison(
    config: SparseConfig, model: nn.Module, length: int, batch_size: int = 1
) -> list[dict]:
    """Analytical FLOPs of ``SparseApproximator.forward`` next to ``FlopCounterMode``'s.

    ``FlopCounterMode`` counts only ``aten.convolution`` (the selector's two
    convolutions, without bias) and ``aten.addmm`` (the approximator's two
    linears and the classifier, without bias). ``aten.topk``, ``aten.gather``,
    ``aten.index``, ``aten.cat``, ``aten.embedding``, ``aten.masked_fill``,
    ``aten.relu``, ``aten.div``, ``aten._softmax``, ``aten.mul`` and
    ``aten.sum`` have no formula and count 0; the total row's note lists every
    dispatched op without one.

    Parameters
    ----------
    config : SparseConfig
        Configuration of ``model``.
    model : nn.Module
        A :class:`~gsattn.sparse.SparseApproximator` built from ``config``
        (``max_len >= length``).
    length : int
        Sequence length ``L``.
    batch_size : int
        Sequences in the counted batch (counts are divided by it).

    Returns
    -------
    list[dict]
        One row per component of :data:`SPARSE_COMPONENTS`, then ``other``
        (counted FLOPs outside the attributed submodules; 0 expected),
        ``total`` and ``top_k_comparisons`` (comparisons, outside every
        total), each with keys ``component``, ``analytical`` (matmul/conv
        part), ``analytical_all`` (with elementwise FLOPs), ``counted``
        (``model(tokens)``, eval + no_grad) and ``note``.
    """
    device = next(model.parameters()).device
    tokens = example_tokens(batch_size, length, device=device)
    n_out = n_outputs(model)
    matmul = sparse_flops(config, length, matmul_only=True, n_out=n_out)
    full = sparse_flops(config, length, n_out=n_out)
    counts = _counts_by_module(model, tokens)
    counted = dict.fromkeys(SPARSE_COMPONENTS, 0)
    for component, module in _SPARSE_MODULE_OF.items():
        counted[component] = sum(_module_total(counts, module).values())
    counted["total"] = sum(counts.get("Global", {}).values())
    counted["other"] = counted["total"] - sum(counted[name] for name in SPARSE_COMPONENTS)
    registry = {str(op) for op in flop_registry}
    uncounted = [op for op in dispatched_ops(model, tokens) if op not in registry]
    notes = {
        **_SPARSE_NOTES,
        "other": "counted FLOPs outside selector.context/selector.score/approximator/classifier",
        "total": f"k = {config.k(length)}; dispatched ops without a FLOP formula: {', '.join(uncounted)}",
        "top_k_comparisons": "comparisons (~L*log2(k)), not FLOPs: in no total, not counted",
    }
    rows = []
    for component in (*SPARSE_COMPONENTS, "other", "total"):
        rows.append(
            {
                "component": component,
                "analytical": matmul.get(component, 0),
                "analytical_all": full.get(component, 0),
                "counted": counted[component] // batch_size,
                "note": notes[component],
            }
        )
    rows.append(
        {
            "component": "top_k_comparisons",
            "analytical": full["top_k_comparisons"],
            "analytical_all": full["top_k_comparisons"],
            "counted": 0,
            "note": notes["top_k_comparisons"],
        }
    )
    return rows
