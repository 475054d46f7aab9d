"""General statistics: paired bootstrap of model metrics, multiple-testing correction.

:func:`paired_bootstrap` compares two models scored on the *same* test
sequences: every resample draws sequence indices with replacement and applies
them to both models, so the interval of the difference accounts for the
correlation between the two models' errors. Metrics are plain callables
``metric(y, score) -> float``; :func:`accuracy_from_logits` and :func:`auroc`
are provided. A metric may return NaN for a resample where it is undefined
(e.g. AUROC of a resample holding one class only); such resamples are skipped
and counted.

:func:`adjust_pvalues` wraps ``statsmodels.stats.multitest.multipletests`` and
keeps NaN p-values (untested rows) as NaN, out of the correction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from sklearn.metrics import roc_auc_score
from statsmodels.stats.multitest import multipletests

log = logging.getLogger(__name__)

Metric = Callable[[np.ndarray, np.ndarray], float]

BOOTSTRAP_KEYS = (
    "metric_a",
    "metric_b",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "difference_ci",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "ratio_ci",
    "level",
    "n",
    "n_boot",
    "n_skipped",
)


# --------------------------------------------------------------------------- metrics
def _binary_labels(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (N,), got shape {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must be binary (0/1)")
    return y.astype(np.int64)


def _real_scores(name: str, score: np.ndarray, n: int) -> np.ndarray:
    score = np.asarray(score)
    if score.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {score.shape}")
    if not np.issubdtype(score.dtype, np.number) or np.iscomplexobj(score):
        raise ValueError(f"{name} must be real numbers, got dtype {score.dtype}")
    if not np.isfinite(score).all():
        raise ValueError(f"{name} must be finite")
    return score.astype(np.float64)


def accuracy_from_logits(y: np.ndarray, score: np.ndarray) -> float:
    """Accuracy of the decision ``score > 0`` (logits of class 1).

    Parameters
    ----------
    y : numpy.ndarray
        ``(N,)`` binary labels (0/1), ``N >= 1``.
    score : numpy.ndarray
        ``(N,)`` finite logits; a logit of exactly 0 predicts class 0.

    Returns
    -------
    float
        Fraction of correct predictions.
    """
    y = _binary_labels(y)
    if y.size == 0:
        raise ValueError("accuracy needs at least one sequence")
    score = _real_scores("score", score, y.size)
    return float(np.mean((score > 0).astype(np.int64) == y))


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (``sklearn.metrics.roc_auc_score``).

    Parameters
    ----------
    y : numpy.ndarray
        ``(N,)`` binary labels (0/1).
    score : numpy.ndarray
        ``(N,)`` finite scores, larger = more likely class 1.

    Returns
    -------
    float
        AUROC; NaN when ``y`` holds one class only (undefined).
    """
    y = _binary_labels(y)
    score = _real_scores("score", score, y.size)
    if np.unique(y).size < 2:
        return float("nan")
    return float(roc_auc_score(y, score))


# --------------------------------------------------------------------------- bootstrap
def _percentile_ci(values: np.ndarray, level: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def _ratio(b: np.ndarray | float, a: np.ndarray | float) -> np.ndarray:
    """``b / a``, NaN where ``a == 0``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(a != 0, b / np.where(a != 0, a, 1.0), np.nan)


def paired_bootstrap(
    y: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    metric: Metric,
    n_boot: int = 2000,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
) -> dict:
    """Paired percentile bootstrap of a metric of two models on the same sequences.

    Each of the ``n_boot`` resamples draws ``N`` sequence indices with
    replacement and evaluates ``metric`` on that resample for both models
    (the same indices). Resamples where either metric is not finite are
    skipped and counted in ``n_skipped``; ratios of resamples where model A's
    metric is 0 are left out of the ratio interval.

    Parameters
    ----------
    y : numpy.ndarray
        ``(N,)`` labels, ``N >= 1``.
    score_a, score_b : numpy.ndarray
        ``(N, ...)`` scores of models A (reference, e.g. full attention) and B
        (e.g. sparse), row ``i`` for sequence ``i``.
    metric : callable
        ``metric(y, score) -> float``, e.g. :func:`accuracy_from_logits` or
        :func:`auroc`; may return NaN where undefined.
    n_boot : int
        Number of resamples, ``>= 1``.
    seed : int or numpy.random.Generator
        Source of the resampling indices.
    level : float
        Confidence level of the percentile intervals, in ``(0, 1)``.

    Returns
    -------
    dict
        Keys :data:`BOOTSTRAP_KEYS`: ``metric_a``, ``metric_b`` (on the full
        data), ``difference`` (``b - a``) and ``ratio`` (``b / a``, NaN when
        ``a == 0``) with percentile ``*_ci_low``/``*_ci_high`` (also as
        ``(low, high)`` tuples ``difference_ci`` and ``ratio_ci``), ``level``,
        ``n``, ``n_boot`` and ``n_skipped``.
    """
    y = np.asarray(y)
    score_a, score_b = np.asarray(score_a), np.asarray(score_b)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be 1-D and non-empty, got shape {y.shape}")
    n = y.shape[0]
    for name, score in (("score_a", score_a), ("score_b", score_b)):
        if score.ndim < 1 or score.shape[0] != n:
            raise ValueError(f"{name} must have {n} rows (one per sequence), got shape {score.shape}")
    if not callable(metric):
        raise ValueError("metric must be callable: metric(y, score) -> float")
    if int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    rng = np.random.default_rng(seed)

    metric_a, metric_b = float(metric(y, score_a)), float(metric(y, score_b))
    boot_a = np.full(int(n_boot), np.nan)
    boot_b = np.full(int(n_boot), np.nan)
    for b in range(int(n_boot)):
        index = rng.integers(0, n, size=n)
        boot_a[b] = metric(y[index], score_a[index])
        boot_b[b] = metric(y[index], score_b[index])
    kept = np.isfinite(boot_a) & np.isfinite(boot_b)
    n_skipped = int((~kept).sum())
    if n_skipped:
        log.info("paired bootstrap: %d of %d resamples skipped (metric undefined)", n_skipped, n_boot)
    diff_low, diff_high = _percentile_ci(boot_b[kept] - boot_a[kept], level)
    ratio_low, ratio_high = _percentile_ci(_ratio(boot_b[kept], boot_a[kept]), level)
    return {
        "metric_a": metric_a,
        "metric_b": metric_b,
        "difference": metric_b - metric_a,
        "difference_ci_low": diff_low,
        "difference_ci_high": diff_high,
        "difference_ci": (diff_low, diff_high),
        "ratio": float(_ratio(metric_b, metric_a)),
        "ratio_ci_low": ratio_low,
        "ratio_ci_high": ratio_high,
        "ratio_ci": (ratio_low, ratio_high),
        "level": float(level),
        "n": int(n),
        "n_boot": int(n_boot),
        "n_skipped": n_skipped,
    }


# --------------------------------------------------------------------------- multiple testing
def adjust_pvalues(p: np.ndarray, method: str = "fdr_bh") -> np.ndarray:
    """Multiple-testing adjusted p-values; NaN entries stay NaN and are not counted.

    Parameters
    ----------
    p : numpy.ndarray
        p-values of any shape, each in ``[0, 1]`` or NaN (untested).
    method : str
        Any ``method`` of ``statsmodels.stats.multitest.multipletests``
        (``fdr_bh``, ``holm``, ``bonferroni``, ...).

    Returns
    -------
    numpy.ndarray
        float64 adjusted p-values, same shape as ``p``.
    """
    p = np.asarray(p, dtype=np.float64)
    tested = ~np.isnan(p)
    if np.isinf(p).any() or (p[tested] < 0).any() or (p[tested] > 1).any():
        raise ValueError("p-values must lie in [0, 1] (NaN for untested)")
    adjusted = np.full(p.shape, np.nan)
    if tested.any():
        adjusted[tested] = multipletests(p[tested], method=method)[1]
    return adjusted
