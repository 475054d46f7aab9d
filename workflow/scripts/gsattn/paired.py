"""Paired tests of two models scored on the same seeds or the same test sequences.

Every difference is **B - A**, so a positive estimate favours model B.

* **seeds** (``S`` runs per model, paired by seed): :func:`paired_seed_tests`
  (paired t-test, and the Wilcoxon signed-rank test as a robustness column)
  and :func:`tost_paired` (two one-sided t-tests of equivalence within
  ``+-margin``);
* **one run**: :func:`mcnemar_test` of the predictions of one seed of each
  model on the same test sequences.

The paired bootstraps (over sequences, and over seeds then sequences) live in
:mod:`gsattn.stats`; the study's use of these tests in :mod:`gsattn.compare`
(rows) and :mod:`gsattn.verdicts` (the verdict rules).
"""

from __future__ import annotations

import warnings
from math import nan

import numpy as np
from scipy import stats

from gsattn.stats import accuracy_from_logits

MCNEMAR_EXACT_BELOW = 25
"""McNemar is exact (binomial) when the discordant pairs number fewer than this."""


# --------------------------------------------------------------------------- validation
def check_alpha(alpha: float) -> float:
    """``alpha`` as a float if it lies in ``(0, 1)``, else ``ValueError``."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    return float(alpha)


def _check_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two finite 1-D float arrays of one non-zero length ``(S,)``, else ``ValueError``."""
    a, b = np.asarray(a), np.asarray(b)
    for name, x in (("a", a), ("b", b)):
        if x.ndim != 1 or x.size == 0:
            raise ValueError(f"{name} must be 1-D and non-empty (S,), got shape {x.shape}")
        if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
            raise ValueError(f"{name} must be real numbers, got dtype {x.dtype}")
        if not np.isfinite(x).all():
            raise ValueError(f"{name} must be finite")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have one shape (paired by seed), got {a.shape} and {b.shape}")
    return a.astype(np.float64), b.astype(np.float64)


# --------------------------------------------------------------------------- seed-level tests
def paired_seed_tests(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> dict:
    """Paired t-test and Wilcoxon signed-rank test of per-seed metrics of two models.

    Both tests are two-sided and test a zero location of ``d = b - a``:

    * paired t: ``scipy.stats.ttest_rel(b, a)``; the t statistic is positive when
      B is larger. With zero spread of ``d`` it is ``+-inf`` (p = 0) unless every
      ``d`` is 0 (NaN). Needs ``S >= 2``, else NaN.
    * Wilcoxon: ``scipy.stats.wilcoxon(b, a)`` with scipy's defaults
      (``zero_method="wilcox"``: zero differences are dropped; ``method="auto"``:
      exact for small samples without ties). The p-value is **NaN** (and a
      note says why) when fewer than 2 differences are non-zero, which
      includes all differences zero and ``S < 2``: scipy would return an
      uninformative p = 1 there. Note that with ``S <= 5`` the two-sided exact
      p-value cannot fall below 0.0625.

    Parameters
    ----------
    a, b : numpy.ndarray
        ``(S,)`` finite metrics of models A and B, entry ``s`` of both from seed ``s``.
    level : float
        Confidence level of the t-based interval of the mean difference, in ``(0, 1)``.

    Returns
    -------
    dict
        ``n_seeds``; ``mean_difference`` (mean of ``b - a``) with its t-based
        ``ci_low``/``ci_high`` at ``level`` (NaN when ``S < 2``);
        ``t_statistic``, ``t_p_value``, ``df``; ``wilcoxon_statistic``,
        ``wilcoxon_p_value``, ``wilcoxon_note`` (``""`` when tested).
    """
    a, b = _check_pair(a, b)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    d = b - a
    n = int(d.size)
    out = {
        "n_seeds": n,
        "mean_difference": float(d.mean()),
        "level": float(level),
        "ci_low": nan,
        "ci_high": nan,
        "t_statistic": nan,
        "t_p_value": nan,
        "df": n - 1,
        "wilcoxon_statistic": nan,
        "wilcoxon_p_value": nan,
        "wilcoxon_note": "",
    }
    if n >= 2:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            t = stats.ttest_rel(b, a)
            ci = t.confidence_interval(level)
        out.update(
            t_statistic=float(t.statistic),
            t_p_value=float(t.pvalue),
            ci_low=float(ci.low),
            ci_high=float(ci.high),
        )
    n_nonzero = int(np.count_nonzero(d))
    if n_nonzero == 0:
        out["wilcoxon_note"] = "all differences zero: not tested"
    elif n_nonzero < 2:
        out["wilcoxon_note"] = f"{n_nonzero} non-zero difference(s) of {n} seeds: too few to test"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            w = stats.wilcoxon(b, a)
        out.update(wilcoxon_statistic=float(w.statistic), wilcoxon_p_value=float(w.pvalue))
    return out


def tost_paired(a: np.ndarray, b: np.ndarray, margin: float, alpha: float = 0.05) -> dict:
    """Equivalence (TOST) of paired per-seed metrics within ``+-margin``.

    Null hypothesis: ``mean(b - a) <= -margin`` or ``mean(b - a) >= margin``;
    alternative: ``-margin < mean(b - a) < margin``. Computed by
    ``statsmodels.stats.weightstats.ttost_paired(b, a, -margin, margin)``, which
    tests the mean of ``x1 - x2`` (here ``b - a``) with two one-sided t-tests
    (``S - 1`` degrees of freedom): ``p_lower`` of H0 ``mean <= -margin`` and
    ``p_upper`` of H0 ``mean >= margin``. The TOST p-value is the larger one, and
    ``p_value < alpha`` iff the ``1 - 2 alpha`` t-interval of the mean
    difference lies inside ``(-margin, margin)``. With zero spread of the
    differences the one-sided p-values are 0 or 1. Needs ``S >= 2``, else NaN.

    Parameters
    ----------
    a, b : numpy.ndarray
        ``(S,)`` finite metrics of models A and B, paired by seed.
    margin : float
        Equivalence margin in metric units, ``> 0`` (e.g. 0.01 = one accuracy point).
    alpha : float
        Level of the test, in ``(0, 1)``.

    Returns
    -------
    dict
        ``p_value``, ``p_lower``, ``p_upper``, ``t_lower``, ``t_upper``, ``df``,
        ``mean_difference``, ``ci_low``/``ci_high`` (the ``1 - 2 alpha``
        t-interval), ``margin``, ``alpha``, ``n_seeds`` and ``equivalent``
        (``p_value < alpha``; False when NaN).
    """
    a, b = _check_pair(a, b)
    if not (np.isfinite(margin) and margin > 0):
        raise ValueError(f"margin must be a positive finite number, got {margin}")
    alpha = check_alpha(alpha)
    d = b - a
    n = int(d.size)
    out = {
        "p_value": nan,
        "p_lower": nan,
        "p_upper": nan,
        "t_lower": nan,
        "t_upper": nan,
        "df": n - 1,
        "mean_difference": float(d.mean()),
        "ci_low": nan,
        "ci_high": nan,
        "margin": float(margin),
        "alpha": alpha,
        "n_seeds": n,
        "equivalent": False,
    }
    if n < 2:
        return out
    # imported here, as mcnemar below: statsmodels costs about 1 s of import, which
    # every rule importing this module for its other tests would pay
    from statsmodels.stats.weightstats import ttost_paired

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        p, (t_low, p_low, _), (t_upp, p_upp, _) = ttost_paired(b, a, -float(margin), float(margin))
        ci = stats.ttest_rel(b, a).confidence_interval(1.0 - 2.0 * alpha)
    out.update(
        p_value=float(p),
        p_lower=float(p_low),
        p_upper=float(p_upp),
        t_lower=float(t_low),
        t_upper=float(t_upp),
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        equivalent=bool(p < alpha),
    )
    return out


# --------------------------------------------------------------------------- sequence-level tests
def mcnemar_test(y: np.ndarray, logits_a: np.ndarray, logits_b: np.ndarray) -> dict:
    """McNemar test of two models' predictions on one shared test set.

    Predictions are ``logit > 0`` (class 1), as in
    :func:`gsattn.stats.accuracy_from_logits`. The 2x2 table is::

                       B correct   B wrong
        A correct    [[ n11,        b01 ],
        A wrong       [ b10,        n00 ]]

    so ``b01`` counts sequences only A gets right and ``b10`` those only B gets
    right. ``statsmodels.stats.contingency_tables.mcnemar`` is exact (binomial,
    statistic ``min(b01, b10)``) when ``b01 + b10 <`` :data:`MCNEMAR_EXACT_BELOW`,
    else chi-square with continuity correction (statistic
    ``(|b01 - b10| - 1)**2 / (b01 + b10)``). No discordant pairs give p = 1.

    Parameters
    ----------
    y : numpy.ndarray
        ``(N,)`` binary labels (0/1), ``N >= 1``.
    logits_a, logits_b : numpy.ndarray
        ``(N,)`` finite logits of class 1 of models A and B.

    Returns
    -------
    dict
        ``table`` (``(2, 2)`` int64 array above), ``b01``, ``b10``,
        ``n_discordant``, ``n``, ``exact`` (bool), ``method`` (text),
        ``statistic``, ``p_value`` and ``accuracy_difference`` (``(b10 - b01) / N``,
        accuracy of B minus A).
    """
    y = np.asarray(y)
    # accuracy_from_logits validates labels and logits (shape, finite, binary)
    accuracy_from_logits(y, logits_a)
    accuracy_from_logits(y, logits_b)
    correct_a = (np.asarray(logits_a) > 0).astype(np.int64) == y
    correct_b = (np.asarray(logits_b) > 0).astype(np.int64) == y
    table = np.array(
        [
            [np.sum(correct_a & correct_b), np.sum(correct_a & ~correct_b)],
            [np.sum(~correct_a & correct_b), np.sum(~correct_a & ~correct_b)],
        ],
        dtype=np.int64,
    )
    b01, b10 = int(table[0, 1]), int(table[1, 0])
    exact = b01 + b10 < MCNEMAR_EXACT_BELOW
    from statsmodels.stats.contingency_tables import mcnemar

    result = mcnemar(table, exact=exact, correction=True)
    return {
        "table": table,
        "b01": b01,
        "b10": b10,
        "n_discordant": b01 + b10,
        "n": int(y.size),
        "exact": bool(exact),
        "method": "exact binomial" if exact else "chi-square with continuity correction",
        "statistic": float(result.statistic),
        "p_value": float(result.pvalue),
        "accuracy_difference": (b10 - b01) / y.size,
    }
