"""The selector-cost frontier (gsattn.frontier): the design-point rule, the lengths from which a
reduction holds, and the frontier's own criteria rows, on inputs whose answer is known."""

import numpy as np
import pytest

from gsattn.frontier import (
    choose_design_points,
    length_row,
    passes_from,
    reduction,
    target_row,
    validation_fraction,
)
from gsattn.models import ModelConfig
from gsattn.sparse import SparseConfig

TEACHER = ModelConfig(positional="sinusoidal", stem="conv", pooling="cls", max_len=100)


def _first_passing(sparse, teacher, threshold, max_length, block=False):
    for length in range(1, max_length + 1):
        if reduction(sparse, teacher, length, block) >= threshold:
            return length
    return None


@pytest.mark.parametrize(
    "options",
    [{}, {"selector_separable": True}, {"selector_channels": 1}, {"selector_kernel": 1}],
)
@pytest.mark.parametrize("block", [False, True])
def test_passes_from_is_the_first_length_a_brute_force_scan_finds(options, block):
    sparse = SparseConfig(rho=0.1, **options)
    found = passes_from(sparse, TEACHER, 0.9, 3000, block)
    assert found == _first_passing(sparse, TEACHER, 0.9, 3000, block)
    assert found is not None and reduction(sparse, TEACHER, found, block) >= 0.9
    assert found == 1 or reduction(sparse, TEACHER, found - 1, block) < 0.9


def test_passes_from_flips_at_the_threshold_and_the_longest_length():
    sparse = SparseConfig(rho=0.1)
    found = passes_from(sparse, TEACHER, 0.9, 100_000)
    exact = reduction(sparse, TEACHER, found)
    assert passes_from(sparse, TEACHER, exact, 100_000) == found  # reached exactly: still passes there
    assert passes_from(sparse, TEACHER, exact + 1e-9, 100_000) > found
    assert passes_from(sparse, TEACHER, 0.9, found) == found  # the longest length searched counts
    assert passes_from(sparse, TEACHER, 0.9, found - 1) is None
    assert passes_from(sparse, TEACHER, 1.0, 10_000) is None  # a reduction never reaches 1


def test_the_default_selector_costs_more_than_the_separable_one_and_passes_later():
    default, separable = SparseConfig(rho=0.1), SparseConfig(rho=0.1, selector_separable=True)
    assert reduction(separable, TEACHER, 100) > reduction(default, TEACHER, 100)
    assert passes_from(separable, TEACHER, 0.9, 10**6) < passes_from(default, TEACHER, 0.9, 10**6)


def test_validation_fraction_by_hand():
    y = [np.array([1, 0, 1, 0]), np.array([1, 1, 0, 0])]
    full = [np.array([2.0, -1, 3, -2]), np.array([1.0, 1, -1, 1])]  # accuracy 1.0 and 0.75
    sparse = [np.array([2.0, 1, 3, -2]), np.array([1.0, -1, -1, -1])]  # accuracy 0.75 and 0.75
    assert validation_fraction(y, full, sparse) == pytest.approx(0.75 / 0.875)
    with pytest.raises(ValueError, match="no seeds"):
        validation_fraction([], [], [])


def _point(selector, rho, val, flops):
    return {"selector": selector, "rho": rho, "val_accuracy_fraction": val, "flops": flops}


def test_design_point_is_the_cheapest_within_tolerance_of_the_best():
    points = [
        _point("design", 0.1, 0.99, 800),
        _point("separable", 0.1, 0.985, 150),
        _point("pwm", 0.1, 0.90, 50),
        _point("design", 0.2, 0.97, 900),
        _point("separable", 0.2, 0.95, 160),
    ]
    chosen = choose_design_points(points, 0.01)
    assert chosen[0.1]["selector"] == "separable"  # within 0.01 of 0.99 and cheaper
    assert chosen[0.1]["eligible"] == ["design", "separable"]
    assert chosen[0.2]["selector"] == "design"  # 0.95 is 0.02 below the best
    assert chosen[0.1]["best_val_accuracy_fraction"] == 0.99


def test_design_point_rule_flips_at_the_tolerance_edge():
    best = _point("design", 0.1, 0.96, 800)
    at_edge = choose_design_points([best, _point("cheap", 0.1, 0.95, 100)], 0.01)
    assert at_edge[0.1]["selector"] == "cheap"  # exactly tolerance below: eligible
    below = choose_design_points([best, _point("cheap", 0.1, 0.9499, 100)], 0.01)
    assert below[0.1]["selector"] == "design"
    tie = choose_design_points([_point("a", 0.1, 0.9, 100), _point("b", 0.1, 0.9, 100)], 0.0)
    assert tie[0.1]["selector"] == "a"  # equal FLOPs: the earlier in the grid
    nan = choose_design_points([_point("a", 0.1, float("nan"), 1), _point("b", 0.1, 0.5, 9)], 0.1)
    assert nan[0.1]["selector"] == "b"  # a point without a validation fraction is never chosen


def _row(selector, rho, fraction, verdict, cut):
    return {
        "selector": selector,
        "rho": rho,
        "accuracy_fraction": fraction,
        "accuracy_fraction_verdict": verdict,
        "compute_reduction": cut,
    }


CRITERIA = {"accuracy_fraction": 0.95, "compute_reduction": 0.9}


@pytest.mark.parametrize(
    ("rows", "verdict", "measured"),
    [
        ([_row("a", 0.1, 0.97, "holds", 0.91), _row("b", 0.1, 0.99, "holds", 0.8)], "holds", 1),
        ([_row("a", 0.1, 0.97, "inconclusive", 0.91)], "inconclusive", 1),
        (
            [_row("a", 0.1, 0.97, "holds", 0.8999), _row("b", 0.1, 0.9499, "does not hold", 0.95)],
            "does not hold",
            0,
        ),
        ([_row("a", 0.1, 0.95, "holds", 0.9)], "holds", 1),  # both thresholds met exactly
    ],
)
def test_frontier_target_row(rows, verdict, measured):
    row = target_row(rows, CRITERIA)
    assert row["verdict"] == verdict and row["measured"] == measured and row["criterion"] == "frontier_target"


def test_length_row_holds_when_the_reduction_passes_by_the_trained_length():
    point = {"selector": "s", "rho": 0.1, "trained_length": 100, "passes_from_length_attention_block": 90}
    assert length_row(point | {"passes_from_length": 100}, 0.9, 10**6)["verdict"] == "holds"
    late = length_row(point | {"passes_from_length": 101}, 0.9, 10**6)
    assert late["verdict"] == "does not hold" and late["measured"] == 101 and "L = 101" in late["evidence"]
    never = length_row(point | {"passes_from_length": None}, 0.9, 4096)
    assert (
        never["verdict"] == "does not hold" and np.isnan(never["measured"]) and "4,096" in never["evidence"]
    )
