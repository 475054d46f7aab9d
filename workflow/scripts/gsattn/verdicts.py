"""The study's verdict rules: which of two models a comparison declares, and when it may.

Model A is traditional attention, model B the joint pipeline; the rows read
here are those of :func:`gsattn.compare.compare_dataset`
(:data:`gsattn.compare.ROW_KEYS`), one per metric and test, with ``seed``
:data:`ALL_SEEDS` for the across-seed tests.

* :func:`adjust_families` fills ``p_adjusted`` (Holm per test, the primary
  metric in its own family); :func:`adjust_across_datasets` re-adjusts the
  rows of every data set together.
* :func:`verdict` is a fixed rule over the rows of one data set;
  :func:`declare_verdicts` applies it to the re-adjusted rows of every data
  set: that is the declared verdict of the study.
* :func:`check_primary_reachable` refuses a primary test that cannot reach
  ``alpha`` with the configured seeds and family
  (:func:`smallest_p_value`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from math import nan

import numpy as np

from gsattn.paired import check_alpha
from gsattn.stats import adjust_pvalues

log = logging.getLogger(__name__)

PRIMARY_METRIC = "accuracy"
PRIMARY_TESTS = ("paired_t", "wilcoxon")
"""Tests the verdict may use as its primary test (config ``phase3.primary_test``); paired t by default."""
ALL_SEEDS = "all"
"""``seed`` of a row that covers every seed (McNemar rows name their one seed)."""
VERDICT_B = "joint pipeline superior"
VERDICT_A = "traditional attention superior"
VERDICT_EQUIVALENT = "equivalent"
VERDICT_INCONCLUSIVE = "inconclusive"
VERDICTS = (VERDICT_B, VERDICT_A, VERDICT_EQUIVALENT, VERDICT_INCONCLUSIVE)
ADJUSTMENTS = ("holm", "fdr_bh")


# --------------------------------------------------------------------------- can the primary test reach α?
def smallest_p_value(test: str, n_seeds: int) -> float:
    """The smallest two-sided p-value ``test`` can return with ``n_seeds`` paired seeds.

    * ``paired_t``: 0 for ``S >= 2``: the t statistic grows without bound as
      the spread of the per-seed differences shrinks relative to their mean.
    * ``wilcoxon``: ``2 / 2**S`` for ``S >= 2``, the exact two-sided p-value
      when every difference has the same sign (scipy's exact distribution,
      used for small samples without ties or zero differences).
    * With ``S < 2`` neither test is defined: 1.

    Parameters
    ----------
    test : str
        One of :data:`PRIMARY_TESTS`.
    n_seeds : int
        Number of paired seeds ``S``.

    Returns
    -------
    float
        The bound, in ``[0, 1]``.
    """
    if test not in PRIMARY_TESTS:
        raise ValueError(f"primary test must be one of {PRIMARY_TESTS}, got {test!r}")
    if n_seeds < 2:
        return 1.0
    return 0.0 if test == "paired_t" else 2.0 / 2.0**n_seeds


def check_primary_reachable(n_seeds: int, n_datasets: int, alpha: float, test: str = "paired_t") -> float:
    """Refuse a primary test that cannot reach ``alpha`` with these seeds and this family.

    The verdict's family is the primary metric across data sets (one
    hypothesis per data set, :func:`adjust_families`). For one data set to be
    declared on its own, its adjusted p-value must fall below ``alpha`` while
    the others are not significant; under Holm (and Benjamini-Hochberg) that
    adjusted value is ``n_datasets * p``. The check therefore asks
    ``n_datasets *`` :func:`smallest_p_value` ``< alpha``. Example at ``alpha =
    0.05``: the exact Wilcoxon needs ``S >= 6`` seeds for one data set and
    ``S >= 7`` for two; the paired t-test only ``S >= 2``.

    With ``S = 1`` (smoke-test configs) no across-seed test exists: a warning
    is logged instead of an error, and every verdict is ``"inconclusive"``.

    Parameters
    ----------
    n_seeds : int
        Number of paired seeds ``S``, ``>= 1``.
    n_datasets : int
        Number of data sets in the verdict's family, ``>= 1``.
    alpha : float
        Significance level, in ``(0, 1)``.
    test : str
        The primary test, one of :data:`PRIMARY_TESTS`.

    Returns
    -------
    float
        The smallest adjusted p-value the primary test can reach.

    Raises
    ------
    ValueError
        When that value is ``>= alpha`` (``S >= 2``), naming the seeds needed.
    """
    alpha = check_alpha(alpha)
    if n_seeds < 1 or n_datasets < 1:
        raise ValueError(f"need at least one seed and one data set, got {n_seeds} and {n_datasets}")
    bound = min(1.0, n_datasets * smallest_p_value(test, n_seeds))
    if n_seeds < 2:
        log.warning("one seed: no across-seed test is possible, every Phase 3 verdict is 'inconclusive'")
        return bound
    if bound >= alpha:
        needed = next(s for s in range(2, 64) if n_datasets * smallest_p_value(test, s) < alpha)
        raise ValueError(
            f"phase3.primary_test {test!r} cannot reach alpha = {alpha:g} with {n_seeds} seeds and "
            f"{n_datasets} data set(s): its smallest p-value {smallest_p_value(test, n_seeds):.4g} "
            f"times the family of {n_datasets} data set(s) is {bound:.4g}. Use primary_test 'paired_t' "
            f"or at least {needed} seeds."
        )
    return bound


# --------------------------------------------------------------------------- verdict
def _accuracy_row(rows: Sequence[Mapping], test: str) -> Mapping:
    found = [
        r for r in rows if r["metric"] == PRIMARY_METRIC and r["test"] == test and r["seed"] == ALL_SEEDS
    ]
    if len(found) != 1:
        raise ValueError(
            f"rows must hold exactly one {PRIMARY_METRIC!r} row of test {test!r} over all seeds, "
            f"got {len(found)}"
        )
    return found[0]


def verdict(rows: Sequence[Mapping], alpha: float = 0.05, primary_test: str = "paired_t") -> str:
    """The fixed verdict of one data set from the rows of :func:`gsattn.compare.compare_dataset`.

    Only the primary metric (accuracy) decides; its p-values are adjusted in
    a family of their own (accuracy across data sets, :func:`adjust_families`),
    AUROC and AUPRC are secondary (their own family, reported only). Let
    ``T``, ``P``, ``E``, ``B`` and ``Q`` be the accuracy rows over all seeds:
    ``T`` the paired t-test (its ``estimate``, the mean over seeds of B - A,
    gives the direction), ``P`` the primary test (``primary_test``: the paired
    t-test by default, at every ``S >= 2``; the Wilcoxon row is a robustness
    column unless it is chosen), ``E`` the TOST, ``B`` the two-level bootstrap
    at ``1 - alpha`` and ``Q`` the two-level bootstrap at ``1 - 2 alpha``
    (seeds, then test sequences; ``Q["margin"]`` the equivalence margin). The
    rules, applied in this order, the first that holds wins:

    1. ``"joint pipeline superior"`` if ``P["p_adjusted"] < alpha`` and
       ``T["estimate"] > 0`` and ``B["ci_low"] > 0``;
    2. ``"traditional attention superior"`` if ``P["p_adjusted"] < alpha`` and
       ``T["estimate"] < 0`` and ``B["ci_high"] < 0``;
    3. ``"equivalent"`` if ``E["p_adjusted"] < alpha`` (the seeds' TOST) and
       ``-margin < Q["ci_low"]`` and ``Q["ci_high"] < margin`` (the
       uncertainty of the finite test set fits inside the margin too);
    4. ``"inconclusive"`` otherwise.

    Why the paired t-test: its p-value can reach any ``alpha`` from ``S = 2``
    on, whereas the exact Wilcoxon p-value is at least ``2 / 2**S``, which
    times a family of ``D`` data sets stays above ``alpha`` unless ``S >=
    log2(2 D / alpha)`` (:func:`check_primary_reachable`). The bootstrap
    intervals make the claims hold for the test set as well as for the seeds.

    NaN p-values or bounds never satisfy a rule. Superiority is checked before
    equivalence, so a significant difference smaller than the margin is
    called superiority. McNemar (per seed) and the AUROC/AUPRC rows are
    reported but do not enter the verdict. ``p_adjusted`` is read as given, so
    a caller that re-adjusts across data sets should overwrite it before
    calling.

    Parameters
    ----------
    rows : sequence of mapping
        Rows with :data:`gsattn.compare.ROW_KEYS` of one data set (if rows carry a
        ``dataset`` key, it must take one value).
    alpha : float
        Significance level, in ``(0, 1)``.
    primary_test : str
        One of :data:`PRIMARY_TESTS`.

    Returns
    -------
    str
        One of :data:`VERDICTS`.
    """
    alpha = check_alpha(alpha)
    if primary_test not in PRIMARY_TESTS:
        raise ValueError(f"primary_test must be one of {PRIMARY_TESTS}, got {primary_test!r}")
    datasets = {r["dataset"] for r in rows if "dataset" in r}
    if len(datasets) > 1:
        raise ValueError(f"verdict takes the rows of one data set, got {sorted(map(str, datasets))}")
    t_row, p_row = _accuracy_row(rows, "paired_t"), _accuracy_row(rows, primary_test)
    e_row, b_row = _accuracy_row(rows, "tost"), _accuracy_row(rows, "bootstrap")
    q_row = _accuracy_row(rows, "bootstrap_equivalence")
    significant = bool(p_row["p_adjusted"] < alpha)
    if significant and t_row["estimate"] > 0 and b_row["ci_low"] > 0:
        return VERDICT_B
    if significant and t_row["estimate"] < 0 and b_row["ci_high"] < 0:
        return VERDICT_A
    inside = bool(-q_row["margin"] < q_row["ci_low"] and q_row["ci_high"] < q_row["margin"])
    if e_row["p_adjusted"] < alpha and inside:
        return VERDICT_EQUIVALENT
    return VERDICT_INCONCLUSIVE


# --------------------------------------------------------------------------- adjustment
def adjust_families(rows: Sequence[dict], method: str = "holm") -> None:
    """Fill every row's ``p_adjusted`` in place, one family per test and metric class.

    A family is one test (``paired_t``, ``wilcoxon``, ``tost``, ``mcnemar``)
    on either the primary metric (accuracy: the verdict's family; McNemar's
    per-seed rows all belong to it) or the secondary metrics (AUROC and AUPRC
    together), over every data set in ``rows``. NaN p-values stay NaN and do
    not count; bootstrap rows have none.

    Parameters
    ----------
    rows : sequence of dict
        Rows with ``metric``, ``test`` and ``p_value``.
    method : str
        A ``statsmodels`` ``multipletests`` method (``holm``, ``fdr_bh``).
    """
    families: dict[tuple[str, bool], list[dict]] = {}
    for row in rows:
        families.setdefault((row["test"], row["metric"] == PRIMARY_METRIC), []).append(row)
    for members in families.values():
        adjusted = adjust_pvalues(np.array([r["p_value"] for r in members], dtype=np.float64), method)
        for row, p in zip(members, adjusted, strict=True):
            row["p_adjusted"] = float(p)


# --------------------------------------------------------------------------- all data sets
def adjust_across_datasets(rows: Sequence[Mapping], method: str = "holm") -> list[dict]:
    """Re-adjust the p-values of several data sets' comparisons, the families of :func:`adjust_families`.

    Parameters
    ----------
    rows : sequence of mapping
        Rows of :func:`gsattn.compare.compare_dataset` of every data set, each with a
        ``dataset`` key and ``p_value``.
    method : str
        ``"holm"`` (family-wise error) or ``"fdr_bh"`` (Benjamini-Hochberg).

    Returns
    -------
    list of dict
        Copies of ``rows``; the within-data-set adjustment moves to
        ``p_adjusted_within_dataset`` and ``p_adjusted`` becomes ``method``
        across data sets: for each test, the accuracy rows of every data set
        form one family (the verdict's), the AUROC and AUPRC rows another.
        With one data set the two columns are equal (Holm).
    """
    if method not in ADJUSTMENTS:
        raise ValueError(f"method must be one of {ADJUSTMENTS}, got {method!r}")
    out = []
    for row in rows:
        if "dataset" not in row:
            raise ValueError("rows need a 'dataset' key to be adjusted across data sets")
        copy = dict(row)
        copy["p_adjusted_within_dataset"] = copy.get("p_adjusted", nan)
        out.append(copy)
    adjust_families(out, method)
    return out


def _n_seeds(rows: Sequence[Mapping]) -> int:
    return int(_accuracy_row(rows, "paired_t")["n"])


def declare_verdicts(
    rows: Sequence[Mapping], alpha: float = 0.05, method: str = "holm", primary_test: str = "paired_t"
) -> tuple[list, dict]:
    """Adjust across data sets (:func:`adjust_across_datasets`), then :func:`verdict` per data set.

    :func:`check_primary_reachable` first refuses a ``primary_test`` that
    cannot reach ``alpha`` with a data set's seeds and the number of data sets.

    Returns
    -------
    rows : list of dict
        The re-adjusted rows.
    verdicts : dict
        ``{dataset: verdict}`` in the order the data sets first appear.
    """
    adjusted = adjust_across_datasets(rows, method)
    names = list(dict.fromkeys(r["dataset"] for r in adjusted))
    by_name = {name: [r for r in adjusted if r["dataset"] == name] for name in names}
    for n_seeds in sorted({_n_seeds(found) for found in by_name.values()}):
        check_primary_reachable(n_seeds, len(names), alpha, primary_test)
    verdicts = {name: verdict(by_name[name], alpha, primary_test) for name in names}
    for name, outcome in verdicts.items():
        log.info("%s: %s (%s across %d data sets, %s)", name, outcome, method, len(names), primary_test)
    return adjusted, verdicts
