"""Compute cost of the Phase 2 SparseApproximator: analytical FLOPs against
FlopCounterMode and linear scaling in L (CPU)."""

import math

import pytest

from gsattn.flops import (
    ATTENTION_BLOCK,
    SPARSE_BLOCK,
    SPARSE_COMPONENTS,
    attention_block_flops,
    attention_flops,
    counted_flops,
    sparse_block_flops,
    sparse_flop_comparison,
    sparse_flops,
)
from gsattn.inference import example_tokens
from gsattn.models import ModelConfig
from gsattn.sparse import SparseApproximator, SparseConfig

BATCH = 3
LENGTHS = (100, 256)
RHOS = (0.05, 0.2)


def _model(rho: float, length: int) -> tuple[SparseConfig, SparseApproximator]:
    config = SparseConfig(rho=rho, max_len=length)
    return config, SparseApproximator(config)


def test_analytical_flops_by_hand():
    config = SparseConfig(rho=0.1, max_len=100)  # k = 10
    flops = sparse_flops(config, 100, matmul_only=True)
    assert flops["selector_context"] == 2 * 16 * 16 * 15 * 100 == 768_000
    assert flops["selector_score"] == 2 * 16 * 100
    assert flops["approximator"] == 2 * 10 * (48 * 8 + 8 * 16) == 10_240
    assert flops["classifier"] == 2 * 16
    assert flops["total"] == 768_000 + 3_200 + 10_240 + 32
    full = sparse_flops(config, 100)
    assert full["selector_relu"] == 16 * 100
    assert full["weights_softmax"] == 10 + 5 * 10
    assert full["weighted_sum"] == 10 * 16 + 9 * 16
    # The top-k's comparisons are reported, but in no FLOP total.
    assert full["top_k_comparisons"] == math.ceil(100 * math.log2(10)) == 333
    assert full["top_k"] == 0
    assert full["total"] == sum(full[name] for name in SPARSE_COMPONENTS)
    assert sparse_flops(SparseConfig(rho=0.01), 50)["top_k_comparisons"] == 49  # k = 1: a maximum


SELECTORS = (
    {"selector_separable": True},
    {"selector_channels": 1},
    {"selector_kernel": 7},
    {"selector_kernel": 1},
)


@pytest.mark.parametrize("selector", SELECTORS)
def test_selector_variants_count_like_the_counter(selector):
    """The frontier's selectors: closed form equal to FlopCounterMode, per component."""
    config = SparseConfig(rho=0.1, max_len=100, **selector)
    model = SparseApproximator(config)
    rows = {row["component"]: row for row in sparse_flop_comparison(config, model, 100, batch_size=2)}
    for name in (*SPARSE_COMPONENTS, "other", "total"):
        assert rows[name]["analytical"] == rows[name]["counted"], name


def test_separable_selector_by_hand():
    config = SparseConfig(rho=0.1, max_len=100, selector_separable=True)
    flops = sparse_flops(config, 100, matmul_only=True)
    assert flops["selector_context"] == 2 * 16 * 15 * 100 + 2 * 16 * 16 * 100 == 99_200
    assert sparse_flops(config, 100)["selector_context"] == 99_200 + (16 + 16) * 100


def test_sparse_flops_rejects_bad_length():
    with pytest.raises(ValueError, match="length"):
        sparse_flops(SparseConfig(), 0)


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("rho", RHOS)
def test_analytical_matmuls_equal_counter_per_op(rho, length):
    config, model = _model(rho, length)
    flops = sparse_flops(config, length, matmul_only=True)
    counted = counted_flops(model, example_tokens(BATCH, length))
    assert counted["aten.convolution"] == BATCH * (flops["selector_context"] + flops["selector_score"])
    assert counted["aten.addmm"] == BATCH * (flops["approximator"] + flops["classifier"])
    assert set(counted) == {"total", "aten.convolution", "aten.addmm"}
    assert counted["total"] == BATCH * flops["total"]
    assert BATCH * sparse_flops(config, length)["total"] > counted["total"]


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("rho", RHOS)
def test_flop_comparison_rows_line_up(rho, length):
    config, model = _model(rho, length)
    rows = {row["component"]: row for row in sparse_flop_comparison(config, model, length, batch_size=2)}
    assert set(rows) == {*SPARSE_COMPONENTS, "other", "total", "top_k_comparisons"}
    for name in (*SPARSE_COMPONENTS, "other", "total"):
        assert rows[name]["analytical"] == rows[name]["counted"], name
    assert rows["selector_context"]["counted"] > 0 and rows["approximator"]["counted"] > 0
    assert rows["other"]["counted"] == 0
    assert rows["top_k_comparisons"]["counted"] == 0 and rows["top_k_comparisons"]["analytical"] > 0
    total = rows["total"]
    assert total["analytical_all"] > total["analytical"]
    for op in ("aten.topk", "aten.gather", "aten._softmax", "aten.relu", "aten.index"):
        assert op in total["note"], op
    assert all(row["note"] for row in rows.values())


@pytest.mark.parametrize("rho", (0.05, 0.1, 0.2))
@pytest.mark.parametrize("matmul_only", (False, True))
def test_total_is_affine_in_length(rho, matmul_only):
    """With rho*L integral, k = rho*L exactly, so every term is a*L + b*k + c: exactly affine."""
    config = SparseConfig(rho=rho)
    f = {n: sparse_flops(config, n, matmul_only=matmul_only)["total"] for n in (100, 200, 400, 800)}
    assert f[400] - f[200] == 2 * (f[200] - f[100])
    assert f[800] - f[400] == 2 * (f[400] - f[200])
    # Only the length-independent terms (classifier, the sum's -d) are left over, here
    # and, up to one position's approximator cost from ceil(), at any L.
    constant = 2 * f[100] - f[200]
    assert 0 < constant < 100
    for n in (333, 1001, 4097):
        flops = sparse_flops(config, n, matmul_only=matmul_only)
        per_position = sum(flops[name] for name in ("approximator", "weights_softmax", "weighted_sum"))
        per_position = per_position / config.k(n) + 16  # the sum's -d over k
        g = sparse_flops(config, 2 * n, matmul_only=matmul_only)["total"]
        assert abs(g - 2 * flops["total"]) <= per_position + constant < 1e-3 * g
    # ... while full attention is quadratic.
    attention = [attention_flops(ModelConfig(), n)["total"] for n in (400, 800)]
    assert attention[1] > 3 * attention[0]


@pytest.mark.parametrize("rho", RHOS)
def test_pipeline_student_flops_equal_the_counter(rho):
    length = 100
    config = SparseConfig(rho=rho, max_len=length, teacher="joint_pipeline", out_dim=8, head_hidden=32)
    model = SparseApproximator(config)
    rows = {row["component"]: row for row in sparse_flop_comparison(config, model, length, batch_size=2)}
    for name in (*SPARSE_COMPONENTS, "other", "total"):
        assert rows[name]["analytical"] == rows[name]["counted"], name
    k = config.k(length)
    assert rows["weighted_sum"]["analytical"] == 2 * k * 8 * 32  # the head on k blocks, not on L
    assert rows["classifier"]["analytical"] == 2 * 32


def test_attention_block_flops_against_the_closed_form():
    """The two compute reductions of the issue at L = 100: whole model 0.82, attention block 0.29."""
    d, h, length = 16, 4, 100
    teacher = ModelConfig(positional="sinusoidal", stem="conv", pooling="cls", max_len=length)  # `attention`
    n = length + 1  # CLS
    by_hand = d * length + 8 * n * d * d + 4 * n * n * d + 5 * n * d + 6 * h * n * n
    assert attention_block_flops(teacher, length) == by_hand == 1_114_216
    mean = ModelConfig(positional="sinusoidal", stem="conv", pooling="mean", max_len=length)
    n = length
    pooling = 2 * d * length + length - 1
    by_hand = d * length + 8 * n * d * d + 4 * n * n * d + 5 * n * d + 6 * h * n * n + pooling
    assert attention_block_flops(mean, length) == by_hand
    assert set(ATTENTION_BLOCK) == set(attention_flops(teacher, length)) - {
        "embedding",
        "stem",
        "classifier",
        "total",
    }
    # The student's whole path to the pooled vector: everything but the frozen classifier.
    student = SparseConfig(rho=0.1, max_len=length)
    selector = (2 * 16 * 16 * 15 + 16) * length + 16 * length + (2 * 16 + 1) * length
    approximator = 2 * 10 * (48 * 8 + 8 * 16) + 10 * (2 * 8 + 16)
    softmax_and_sum = 10 + 5 * 10 + 10 * 16 + 9 * 16
    assert sparse_block_flops(student, length) == selector + approximator + softmax_and_sum == 785_424
    assert sparse_block_flops(student, length) == sparse_flops(student, length)["total"] - (2 * 16 + 1)
    assert set(SPARSE_BLOCK) == set(SPARSE_COMPONENTS) - {"embedding", "classifier"}
    whole = 1 - sparse_flops(student, length)["total"] / attention_flops(teacher, length)["total"]
    block = 1 - sparse_block_flops(student, length) / attention_block_flops(teacher, length)
    assert whole == pytest.approx(0.8217, abs=1e-4) and block == pytest.approx(0.2951, abs=1e-4)
    # Most of the whole-model saving is the teacher's conv stem (75 % of its FLOPs at L = 100).
    assert attention_flops(teacher, length)["stem"] / attention_flops(teacher, length)["total"] > 0.74
