"""Peak memory and throughput of one inference batch (CPU)."""

import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gsattn import measure
from gsattn.inference import example_tokens
from gsattn.measure import RSS_METHODS, os_peak_bytes, peak_memory_bytes, throughput
from gsattn.models import ModelConfig, build_model

TESTS = str(Path(__file__).resolve().parent)
BUILDER = "test_measure:allocating_case"  # imported by os_peak_bytes' child from TESTS
MB = 10**6


class Allocates(nn.Module):
    """A module whose forward allocates and touches ``n_bytes`` of NumPy memory (not c10's)."""

    def __init__(self, n_bytes: int):
        super().__init__()
        self.n_bytes = n_bytes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        buffer = np.ones(max(1, self.n_bytes // 8))  # float64, every page written
        return x + float(buffer[-1])


def allocating_case(n_bytes: int) -> tuple[nn.Module, torch.Tensor]:
    return Allocates(n_bytes), torch.zeros(1, 4)


_SCRATCH: list[np.ndarray] = []


class KeepsScratch(Allocates):
    """Like :class:`Allocates`, but the buffer is kept and reused while big enough (a scratchpad)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _SCRATCH or _SCRATCH[0].nbytes < self.n_bytes:
            _SCRATCH[:] = [np.ones(max(1, self.n_bytes // 8))]
        return x + float(_SCRATCH[0][-1])


def scratch_case(n_bytes: int) -> tuple[nn.Module, torch.Tensor]:
    return KeepsScratch(n_bytes), torch.zeros(1, 4)


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


def test_os_peak_sees_a_large_allocation_the_profiler_misses():
    big = os_peak_bytes({"n_bytes": 200 * MB}, builder=BUILDER, sys_path=[TESTS])
    tiny = os_peak_bytes({"n_bytes": 8}, builder=BUILDER, sys_path=[TESTS])
    assert big["rss_method"] in RSS_METHODS and tiny["rss_method"] in RSS_METHODS
    if sys.platform.startswith("linux"):
        assert big["rss_method"] == "VmHWM after clear_refs"
    assert big["peak_rss_bytes"] >= 150 * MB
    assert 0 <= tiny["peak_rss_bytes"] < 20 * MB
    # the same allocation is outside the c10 allocator: the profiler does not see it
    assert peak_memory_bytes(Allocates(200 * MB), torch.zeros(1, 4)) < 1 * MB


def test_os_peak_runs_in_a_fresh_process_each_time():
    first = os_peak_bytes({"n_bytes": 8}, builder=BUILDER, sys_path=[TESTS], warmup=0)
    second = os_peak_bytes({"n_bytes": 8}, builder=BUILDER, sys_path=[TESTS], warmup=0)
    assert len({first["pid"], second["pid"], os.getpid()}) == 3
    assert first["rss_before_bytes"] > 0


def test_os_peak_of_a_scaling_case_and_child_errors():
    result = os_peak_bytes({"method": "sparse", "length": 64, "rho": 0.1})
    assert result["peak_rss_bytes"] >= 0 and result["rss_method"] in RSS_METHODS
    with pytest.raises(RuntimeError, match="unknown method"):
        os_peak_bytes({"method": "nope", "length": 64})
    with pytest.raises(ValueError):
        os_peak_bytes({"n_bytes": 8}, builder=BUILDER, sys_path=[TESTS], warmup=-1)


def test_resident_peak_falls_back_to_ru_maxrss(monkeypatch):
    monkeypatch.setattr(measure, "_reset_high_water_mark", lambda: False)
    result = measure.resident_peak_of(lambda: np.ones(1000))
    assert result["rss_method"] == "ru_maxrss" and result["peak_rss_bytes"] >= 0
    assert result["pid"] == os.getpid()


def test_a_small_warm_up_case_leaves_persistent_scratch_in_the_figure():
    big, small = {"n_bytes": 200 * MB}, {"n_bytes": 8}
    kwargs = {"builder": "test_measure:scratch_case", "sys_path": [TESTS]}
    warm_on_itself = os_peak_bytes(big, **kwargs)
    warm_on_small = os_peak_bytes(big, warmup_case=small, **kwargs)
    assert warm_on_itself["peak_rss_bytes"] < 20 * MB  # the kept buffer is already resident
    assert warm_on_small["peak_rss_bytes"] >= 150 * MB
