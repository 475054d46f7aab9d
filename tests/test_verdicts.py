"""The verdict rules on hand-made rows, and when a primary test can reach alpha."""

import logging
import math

import numpy as np
import pytest
from scipy import stats

from conftest import accuracy_row
from gsattn.verdicts import (
    VERDICT_A,
    VERDICT_B,
    VERDICT_EQUIVALENT,
    VERDICT_INCONCLUSIVE,
    check_primary_reachable,
    smallest_p_value,
    verdict,
)


# --------------------------------------------------------------------------- verdict (hand-made rows)
def verdict_rows(n, p_primary, estimate, boot_ci, p_tost, equivalence_ci=(-0.005, 0.005), margin=0.01):
    """Accuracy rows of one data set: the tests the verdict reads plus a per-seed McNemar row it ignores."""
    rows = [
        {"metric": "accuracy", "test": test, "seed": "all", "p_adjusted": p, "estimate": estimate, "n": n}
        for test, p in (("paired_t", p_primary), ("wilcoxon", p_primary), ("tost", p_tost))
    ]
    for test, (low, high) in (("bootstrap", boot_ci), ("bootstrap_equivalence", equivalence_ci)):
        rows.append(
            {
                "metric": "accuracy",
                "test": test,
                "seed": "all",
                "p_adjusted": math.nan,
                "ci_low": low,
                "ci_high": high,
                "margin": margin if test == "bootstrap_equivalence" else math.nan,
                "n": 500,
            }
        )
    rows.append(
        {"metric": "accuracy", "test": "mcnemar", "seed": 1, "p_adjusted": 1e-9, "estimate": 0.3, "n": 500}
    )
    return rows


def test_verdict_four_outcomes():
    assert verdict(verdict_rows(5, 0.01, 0.03, (0.01, 0.05), 0.9)) == VERDICT_B
    assert verdict(verdict_rows(5, 0.01, -0.03, (-0.05, -0.01), 0.9)) == VERDICT_A
    assert verdict(verdict_rows(5, 0.6, 0.001, (-0.01, 0.01), 0.01)) == VERDICT_EQUIVALENT
    assert verdict(verdict_rows(5, 0.2, 0.02, (-0.01, 0.04), 0.3)) == VERDICT_INCONCLUSIVE
    # significant seed test but the bootstrap interval covers 0 -> not superior
    assert verdict(verdict_rows(5, 0.01, 0.03, (-0.01, 0.05), 0.9)) == VERDICT_INCONCLUSIVE
    # NaN never satisfies a rule
    assert verdict(verdict_rows(5, math.nan, 0.03, (0.01, 0.05), math.nan)) == VERDICT_INCONCLUSIVE
    with pytest.raises(ValueError, match="bootstrap_equivalence"):
        verdict(
            [
                r
                for r in verdict_rows(5, 0.01, 0.03, (0.01, 0.05), 0.9)
                if r["test"] != "bootstrap_equivalence"
            ]
        )


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ((-0.0099, 0.0099), VERDICT_EQUIVALENT),
        ((-0.0100, 0.0050), VERDICT_INCONCLUSIVE),  # the edge: a bound on the margin is not inside
        ((-0.0050, 0.0101), VERDICT_INCONCLUSIVE),
        ((-0.0300, 0.0300), VERDICT_INCONCLUSIVE),  # TOST passes, the test set's uncertainty does not fit
        ((math.nan, math.nan), VERDICT_INCONCLUSIVE),
    ],
)
def test_equivalence_needs_the_two_level_interval_inside_the_margin(interval, expected):
    rows = verdict_rows(5, 0.6, 0.001, (-0.01, 0.01), 0.001, equivalence_ci=interval)
    assert verdict(rows) == expected


@pytest.mark.parametrize("n_seeds", [2, 5, 6, 7, 10])
def test_verdict_uses_the_paired_t_test_at_every_number_of_seeds(n_seeds):
    rows = verdict_rows(n_seeds, 0.01, 0.03, (0.01, 0.05), 0.9)
    accuracy_row(rows, "wilcoxon")["p_adjusted"] = 0.2  # the robustness column does not decide
    assert verdict(rows) == VERDICT_B
    assert verdict(rows, primary_test="wilcoxon") == VERDICT_INCONCLUSIVE
    accuracy_row(rows, "paired_t")["p_adjusted"], accuracy_row(rows, "wilcoxon")["p_adjusted"] = 0.2, 0.01
    assert verdict(rows) == VERDICT_INCONCLUSIVE
    assert verdict(rows, primary_test="wilcoxon") == VERDICT_B
    with pytest.raises(ValueError, match="primary_test"):
        verdict(rows, primary_test="sign")


# --------------------------------------------------------------------------- can the primary test reach α?
def test_smallest_p_values_match_scipy():
    for n_seeds in (5, 6, 7):
        all_positive = stats.wilcoxon(np.arange(1.0, n_seeds + 1))  # exact, no ties: the smallest p
        assert smallest_p_value("wilcoxon", n_seeds) == pytest.approx(all_positive.pvalue) == 2 / 2**n_seeds
    assert smallest_p_value("paired_t", 2) == 0.0
    assert smallest_p_value("paired_t", 1) == smallest_p_value("wilcoxon", 1) == 1.0
    with pytest.raises(ValueError, match="primary"):
        smallest_p_value("sign", 5)


@pytest.mark.parametrize(
    ("n_seeds", "n_datasets", "bound"), [(6, 1, 2 / 64), (7, 2, 4 / 128), (10, 25, 50 / 1024)]
)
def test_wilcoxon_primary_is_accepted_where_it_can_reach_alpha(n_seeds, n_datasets, bound):
    assert check_primary_reachable(n_seeds, n_datasets, 0.05, "wilcoxon") == pytest.approx(bound)


@pytest.mark.parametrize(("n_seeds", "n_datasets", "needed"), [(5, 1, 6), (6, 2, 7), (7, 4, 8), (10, 26, 11)])
def test_wilcoxon_primary_is_refused_where_it_cannot_reach_alpha(n_seeds, n_datasets, needed):
    with pytest.raises(ValueError, match=f"cannot reach alpha.*at least {needed} seeds"):
        check_primary_reachable(n_seeds, n_datasets, 0.05, "wilcoxon")


def test_paired_t_reaches_alpha_from_two_seeds_and_one_seed_only_warns(caplog):
    assert check_primary_reachable(2, 100, 0.05) == 0.0
    with caplog.at_level(logging.WARNING, logger="gsattn.verdicts"):
        assert check_primary_reachable(1, 1, 0.05) == 1.0
    assert "one seed" in caplog.text
    with pytest.raises(ValueError, match="at least one"):
        check_primary_reachable(5, 0, 0.05)
