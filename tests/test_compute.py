"""Profile rows of the Phase 1 and Phase 2 models (CPU)."""

import math

from gsattn.compute import profile_model, profile_sparse
from gsattn.flops import attention_flops, sparse_block_flops, sparse_flops
from gsattn.models import ModelConfig, build_model, count_parameters
from gsattn.sparse import SparseApproximator, SparseConfig, count_trainable


def test_profile_model_rows():
    config = ModelConfig(stem="conv", positional="sinusoidal")
    model = build_model(config, 0)
    rows = profile_model(model, config, length=40, batch_size=2, device="cpu")
    again = profile_model(model, config, length=40, batch_size=2, device="cpu")
    assert all(set(row) == {"metric", "value", "unit", "method"} for row in rows)
    by_metric = {row["metric"]: row for row in rows}
    assert len(by_metric) == len(rows)
    assert by_metric["parameters"]["value"] == count_parameters(model)
    assert by_metric["flops_analytical"]["value"] == attention_flops(config, 40)["total"]
    flops = attention_flops(config, 40)
    block = ("positional", "qkv_projection", "scores", "softmax", "weighted_sum", "out_projection", "pooling")
    assert by_metric["flops_analytical_attention_block"]["value"] == sum(flops[name] for name in block)
    assert (
        by_metric["flops_analytical_attention_block"]["value"]
        == flops["total"] - flops["stem"] - flops["classifier"]
    )
    assert (
        by_metric["flops_counted_unfused"]["value"] == attention_flops(config, 40, matmul_only=True)["total"]
    )
    assert by_metric["peak_memory"]["value"] > 0 and by_metric["throughput"]["value"] > 0
    timing = {"time_per_batch_median", "time_per_batch_iqr", "throughput"}
    assert [r for r in rows if r["metric"] not in timing] == [r for r in again if r["metric"] not in timing]


def test_profile_sparse_rows():
    config = SparseConfig(rho=0.1, max_len=120)
    model = SparseApproximator(config)
    rows = profile_sparse(model, config, length=120, batch_size=2, device="cpu", warmup=1, repeats=3)
    assert all(set(row) == {"metric", "value", "unit", "method"} for row in rows)
    by_metric = {row["metric"]: row for row in rows}
    assert len(by_metric) == len(rows)
    for row in rows:
        assert math.isfinite(row["value"]), row["metric"]
    positive = (
        "parameters",
        "parameters_frozen",
        "selected_positions",
        "flops_analytical",
        "flops_counted",
        "top_k_comparisons",
        "peak_memory",
        "time_per_batch_median",
        "throughput",
    )
    for metric in positive:
        assert by_metric[metric]["value"] > 0, metric
    assert by_metric["time_per_batch_iqr"]["value"] >= 0
    assert by_metric["parameters"]["value"] == count_trainable(model)
    assert by_metric["parameters_frozen"]["value"] == 16 + 1  # the classifier Linear(16, 1)
    assert by_metric["selected_positions"]["value"] == 12
    assert by_metric["flops_analytical"]["value"] == sparse_flops(config, 120)["total"]
    assert by_metric["flops_counted"]["value"] == by_metric["flops_analytical_matmul"]["value"]
    assert by_metric["flops_analytical_attention_block"]["value"] == sparse_block_flops(config, 120)
    assert by_metric["flops_analytical"]["value"] > by_metric["flops_counted"]["value"]
