"""FLOPs of AttentionClassifier: analytical formulas against FlopCounterMode (CPU)."""

import pytest
import torch

from gsattn.flops import COMPONENTS, attention_flops, counted_flops, dispatched_ops, flop_comparison
from gsattn.inference import example_tokens
from gsattn.models import ModelConfig, build_model, count_parameters
from gsattn.seq import PAD_TOKEN

CONFIGS = {
    "seed": ModelConfig(),
    "conv_sinusoidal": ModelConfig(stem="conv", positional="sinusoidal"),
    "cls": ModelConfig(pooling="cls", positional="learned"),
}


LENGTHS = (17, 64)


BATCH = 3


MATMUL_COMPONENTS = ("stem", "qkv_projection", "scores", "weighted_sum", "out_projection", "classifier")


@pytest.fixture(params=sorted(CONFIGS))
def config(request) -> ModelConfig:
    return CONFIGS[request.param]


def test_seed_parameter_count_by_hand():
    # embedding 6*16 + in_proj 16*48 + 48 + out_proj 16*16 + 16 + linear 16 + 1
    assert count_parameters(build_model(ModelConfig(), seed=0)) == 96 + 768 + 48 + 256 + 16 + 17 == 1201


def test_seed_analytical_flops_by_hand():
    d, length = 16, 200
    flops = attention_flops(ModelConfig(), length, matmul_only=True)
    assert flops["qkv_projection"] == 2 * length * d * 3 * d == 307_200
    assert flops["scores"] == flops["weighted_sum"] == 2 * 4 * length * length * (d // 4) == 1_280_000
    assert flops["out_projection"] == 2 * length * d * d == 102_400
    assert flops["classifier"] == 2 * d
    assert flops["stem"] == flops["positional"] == flops["embedding"] == flops["softmax"] == 0
    assert flops["total"] == 2_969_632
    full = attention_flops(ModelConfig(), length)
    assert full["softmax"] == 5 * 4 * length * length
    assert full["total"] == sum(full[name] for name in COMPONENTS) > flops["total"]


def test_cls_token_adds_one_position():
    mean = attention_flops(ModelConfig(), 50, matmul_only=True)
    cls = attention_flops(ModelConfig(pooling="cls"), 50, matmul_only=True)
    assert cls["scores"] == 2 * 51 * 51 * 16 and mean["scores"] == 2 * 50 * 50 * 16
    assert cls["qkv_projection"] == 2 * 51 * 16 * 48


def test_attention_flops_rejects_bad_input():
    with pytest.raises(ValueError, match="length"):
        attention_flops(ModelConfig(), 0)
    with pytest.raises(ValueError, match="divisible"):
        attention_flops(ModelConfig(n_heads=3), 10)


@pytest.mark.parametrize("length", LENGTHS)
def test_analytical_matmuls_equal_counter_per_op(config, length):
    """Unfused MHA path (fast path off, need_weights=True): every matmul is visible."""
    model = build_model(config, seed=0)
    tokens = example_tokens(BATCH, length)
    flops = attention_flops(config, length, matmul_only=True)
    counted = counted_flops(model, tokens, fastpath=False, need_weights=True)
    assert counted["aten.mm"] == BATCH * flops["qkv_projection"]
    assert counted["aten.baddbmm"] == BATCH * flops["scores"]
    assert counted["aten.bmm"] == BATCH * flops["weighted_sum"]
    assert counted["aten.addmm"] == BATCH * (flops["out_projection"] + flops["classifier"])
    assert counted.get("aten.convolution", 0) == BATCH * flops["stem"]
    assert counted["total"] == BATCH * flops["total"]
    assert BATCH * attention_flops(config, length)["total"] >= counted["total"]


@pytest.mark.parametrize("length", LENGTHS)
def test_forward_path_is_fused_and_uncounted(config, length):
    """model(tokens) in eval/no_grad dispatches the fused MHA kernel, which counts 0."""
    model = build_model(config, seed=0)
    tokens = example_tokens(BATCH, length)
    assert "aten._native_multi_head_attention" in dispatched_ops(model, tokens)
    flops = attention_flops(config, length, matmul_only=True)
    counted = counted_flops(model, tokens)
    assert counted["total"] == BATCH * (flops["stem"] + flops["classifier"])
    assert BATCH * attention_flops(config, length)["total"] >= counted["total"]


def test_odd_heads_take_python_path_with_uncounted_cpu_sdpa():
    config = ModelConfig(n_heads=1)
    model = build_model(config, seed=0)
    tokens = example_tokens(2, 20)
    ops = dispatched_ops(model, tokens)
    assert "aten._native_multi_head_attention" not in ops
    assert "aten._scaled_dot_product_flash_attention_for_cpu" in ops
    flops = attention_flops(config, 20, matmul_only=True)
    expected = flops["qkv_projection"] + flops["out_projection"] + flops["classifier"]
    assert counted_flops(model, tokens)["total"] == 2 * expected


@pytest.mark.parametrize("length", LENGTHS)
def test_flop_comparison_rows_line_up(config, length):
    rows = {
        row["component"]: row for row in flop_comparison(config, build_model(config, 0), length, batch_size=2)
    }
    assert set(rows) == {*COMPONENTS, "attention_other", "total"}
    for component in MATMUL_COMPONENTS:
        assert rows[component]["analytical"] == rows[component]["counted_unfused"], component
    for component in ("stem", "classifier"):
        assert rows[component]["analytical"] == rows[component]["counted"], component
    total = rows["total"]
    assert total["analytical"] == total["counted_unfused"]
    assert total["analytical_all"] >= total["analytical"] >= total["counted"]
    assert "aten._native_multi_head_attention" in total["note"]
    assert all(row["note"] for row in rows.values())


def test_counting_restores_model_and_backend_state():
    model = build_model(ModelConfig(), 0).train()
    fastpath = torch.backends.mha.get_fastpath_enabled()
    counted_flops(model, example_tokens(1, 8), fastpath=not fastpath, need_weights=True)
    assert model.training
    assert torch.backends.mha.get_fastpath_enabled() == fastpath


def test_padding_does_not_change_counted_flops():
    model = build_model(ModelConfig(), 0)
    tokens = example_tokens(2, 30)
    padded = tokens.clone()
    padded[0, 10:] = PAD_TOKEN
    assert counted_flops(model, tokens, fastpath=False, need_weights=True) == counted_flops(
        model, padded, fastpath=False, need_weights=True
    )
