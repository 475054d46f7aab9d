"""Peak memory and throughput of one inference batch (CPU)."""

import math

import pytest

from gsattn.inference import example_tokens
from gsattn.measure import peak_memory_bytes, throughput
from gsattn.models import ModelConfig, build_model


def test_peak_memory_positive_and_grows_with_batch_and_length():
    model = build_model(ModelConfig(), 0)
    small = peak_memory_bytes(model, example_tokens(1, 50))
    assert small > 0
    assert peak_memory_bytes(model, example_tokens(4, 50)) > small
    assert peak_memory_bytes(model, example_tokens(1, 100)) > small
    # The 4 fp32 attention maps of one 100-token sequence must fit in the peak.
    assert peak_memory_bytes(model, example_tokens(1, 100)) >= 4 * 100 * 100 * 4


def test_throughput_positive_and_finite():
    model = build_model(ModelConfig(), 0)
    result = throughput(model, example_tokens(4, 32), warmup=1, repeats=3)
    for key in ("median_s", "iqr_s", "sequences_per_second"):
        assert math.isfinite(result[key]), key
    assert result["median_s"] > 0 and result["sequences_per_second"] > 0 and result["iqr_s"] >= 0
    assert result["sequences_per_second"] == pytest.approx(4 / result["median_s"])
    with pytest.raises(ValueError):
        throughput(model, example_tokens(1, 8), repeats=0)
