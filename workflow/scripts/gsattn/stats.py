"""General statistics: metrics, bootstraps, multiple testing, one-sample intervals and tests.

The paired tests of two models (t, Wilcoxon, TOST, McNemar) are in
:mod:`gsattn.paired`; everything else statistical is here.

:func:`paired_bootstrap` compares two models scored on the *same* test
sequences: every resample draws sequence indices with replacement and applies
them to both models, so the interval of the difference accounts for the
correlation between the two models' errors. Metrics are plain callables
``metric(y, score) -> float``; :func:`accuracy_from_logits`, :func:`auroc` and
:func:`average_precision` are provided (numpy only: scipy is imported by the
functions that need it, so a training job that scores its splits loads neither
scipy nor scikit-learn). A metric may return NaN for a resample where it is undefined
(e.g. AUROC of a resample holding one class only); such resamples are skipped
and counted.

:func:`two_level_bootstrap` does the same for models trained with several seeds:
each resample draws seeds with replacement, then sequences, so its interval
covers training variation and the finite test set together.

:func:`seed_sequence_bootstrap` is the one-model counterpart: the interval of a
seed-averaged metric over seeds, then sequences.

:func:`adjust_pvalues` wraps ``statsmodels.stats.multitest.multipletests`` and
keeps NaN p-values (untested rows) as NaN, out of the correction.

One sample: :func:`mean_ci` (t-interval of a mean), :func:`proportion_ci`
(Clopper-Pearson), :func:`wilcoxon_greater` (one-sided signed-rank test) and
:func:`hit_rate_test` (hits against per-sequence chance rates, exact
Poisson-binomial tail from :func:`poisson_binomial_pmf`), used by motif
recovery (:mod:`gsattn.recovery`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from math import nan

import numpy as np

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
    """Area under the ROC curve, as ``sklearn.metrics.roc_auc_score`` returns it.

    Computed by the tie-aware rank sum of the bootstrap's AUROC
    (``_weighted_auroc_columns`` with every sequence counted once; the tests
    compare it with scikit-learn's), so that a rule importing this module does
    not import scikit-learn (about 0.7 s per job here).

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
    column = score.astype(np.float64)[:, None]
    return float(_weighted_auroc_columns(y, column)(np.ones(y.size))[0])


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision, as ``sklearn.metrics.average_precision_score`` returns it.

    ``sum_n (R_n - R_{n-1}) P_n`` over the distinct scores taken as thresholds in
    decreasing order (tied scores enter together), without scikit-learn's import.

    Parameters
    ----------
    y : numpy.ndarray
        ``(N,)`` binary labels (0/1).
    score : numpy.ndarray
        ``(N,)`` finite scores, larger = more likely class 1.

    Returns
    -------
    float
        AP; NaN when ``y`` holds one class only (the callers' rule for AUROC too).
    """
    y = _binary_labels(y)
    score = _real_scores("score", score, y.size)
    if np.unique(y).size < 2:
        return float("nan")
    order = np.argsort(-score, kind="mergesort")
    ranked, hits = score[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]  # last row of each tie group
    true_pos = np.cumsum(hits)[last]
    precision = true_pos / (last + 1.0)
    recall = true_pos / true_pos[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


# --------------------------------------------------------------------------- bootstrap
def _check_resampling(n_boot: int, level: float) -> None:
    if int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")


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


def _bootstrap_summary(
    metric_a: float,
    metric_b: float,
    boot_a: np.ndarray,
    boot_b: np.ndarray,
    level: float,
    sizes: dict[str, int],
    name: str,
) -> dict:
    """Difference and ratio of two models' metrics with percentile CIs from ``(n_boot,)`` resamples.

    ``sizes`` (e.g. ``{"n": N}``) go in after ``level``. Resamples where either
    metric is not finite are skipped and counted.
    """
    kept = np.isfinite(boot_a) & np.isfinite(boot_b)
    n_skipped = int((~kept).sum())
    if n_skipped:
        log.info("%s: %d of %d resamples skipped (metric undefined)", name, n_skipped, boot_a.size)
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
        **sizes,
        "n_boot": int(boot_a.size),
        "n_skipped": n_skipped,
    }


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
    _check_resampling(n_boot, level)
    rng = np.random.default_rng(seed)

    metric_a, metric_b = float(metric(y, score_a)), float(metric(y, score_b))
    boot_a = np.full(int(n_boot), np.nan)
    boot_b = np.full(int(n_boot), np.nan)
    for b in range(int(n_boot)):
        index = rng.integers(0, n, size=n)
        boot_a[b] = metric(y[index], score_a[index])
        boot_b[b] = metric(y[index], score_b[index])
    return _bootstrap_summary(metric_a, metric_b, boot_a, boot_b, level, {"n": int(n)}, "paired bootstrap")


def _check_seed_columns(y: np.ndarray, score_a: np.ndarray, score_b: np.ndarray) -> tuple[np.ndarray, ...]:
    """``y`` ``(N,)`` and two ``(N, S)`` score matrices of one shape, else ``ValueError``."""
    y, score_a, score_b = np.asarray(y), np.asarray(score_a), np.asarray(score_b)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be 1-D and non-empty, got shape {y.shape}")
    for name, score in (("score_a", score_a), ("score_b", score_b)):
        if score.ndim != 2 or score.shape[0] != y.size or score.shape[1] == 0:
            raise ValueError(f"{name} must be (N={y.size}, S>=1): one column per seed, got {score.shape}")
    if score_a.shape != score_b.shape:
        raise ValueError(
            f"score_a and score_b must be paired by seed, got {score_a.shape} and {score_b.shape}"
        )
    return y, score_a, score_b


def _seed_list(name: str, values, n_seeds: int | None = None) -> list[np.ndarray]:
    """``values`` as a list of ``S`` non-empty 1-D arrays: a list as given, a 2-D array by column."""
    if isinstance(values, np.ndarray) and values.ndim == 2:
        values = [values[:, c] for c in range(values.shape[1])]
    columns = [np.asarray(v) for v in values]
    if not columns or any(c.ndim != 1 or c.size == 0 for c in columns):
        raise ValueError(f"{name}: one non-empty 1-D array per seed expected")
    if n_seeds is not None and len(columns) != n_seeds:
        raise ValueError(f"{name}: {len(columns)} seeds, expected {n_seeds}")
    return columns


def per_seed_labels(y) -> bool:
    """Whether ``y`` gives each seed its own test labels (``(N, S)`` or a list), not one ``(N,)`` set."""
    return isinstance(y, list | tuple) or np.asarray(y).ndim == 2


def _shared_or_per_seed(
    y, scores: Sequence, own_test_sets: bool | None = None
) -> tuple[np.ndarray | list[np.ndarray], list]:
    """Labels and score sets in the form the resampling uses.

    ``y`` ``(N,)``: one shared test set, returned as it is (scores ``(N, S)``).
    ``y`` ``(N, S)`` or a list of ``S`` arrays: each seed's own test set.
    Labels identical in every seed (same length, same values) are taken as one
    shared test set (the ``data_seeds: false`` case), so the result equals the
    shared-label bootstrap exactly, unless ``own_test_sets`` is true (the sets
    are known to be different draws); otherwise a list of ``S`` label arrays
    and, per model, a list of ``S`` score arrays of matching lengths is returned.
    """
    if not per_seed_labels(y):
        return y, list(scores)
    labels = _seed_list("y", y)
    sets = [_seed_list("scores", score, len(labels)) for score in scores]
    for score in sets:
        for s, (yc, sc) in enumerate(zip(labels, score, strict=True)):
            if yc.size != sc.size:
                raise ValueError(f"seed column {s}: {yc.size} labels but {sc.size} scores")
            if not np.all(np.isfinite(sc.astype(np.float64))):
                raise ValueError(f"seed column {s}: scores must be finite")
    same = all(c.shape == labels[0].shape and np.array_equal(c, labels[0]) for c in labels)
    if same and not own_test_sets:
        return labels[0], [np.stack(score, axis=1) for score in sets]
    return labels, sets


ColumnMetric = Callable[[np.ndarray], np.ndarray]


def _weighted_auroc_columns(y: np.ndarray, scores: np.ndarray) -> ColumnMetric:
    """AUROC of every column of ``scores`` ``(N, S)`` on a resample given by sequence counts.

    A resample that holds sequence ``i`` ``w_i`` times has AUROC ``sum_{pos i,
    neg j} w_i w_j [s_i > s_j] + 0.5 [s_i = s_j]`` over ``W_pos W_neg``, which is
    what ``roc_auc_score`` returns on the resampled rows. Sorting and tie groups
    are computed once here, so one resample costs ``O(N S)``.
    """
    n, n_seeds = scores.shape
    groups = np.empty((n, n_seeds), dtype=np.int64)
    starts = np.empty(n_seeds, dtype=np.int64)
    offset = 0
    for c in range(n_seeds):
        _, inverse = np.unique(scores[:, c], return_inverse=True)
        starts[c] = offset
        groups[:, c] = inverse + offset
        offset += int(inverse.max()) + 1
    flat_groups, positive = groups.ravel(), (y == 1).astype(np.float64)

    def column_auroc(counts: np.ndarray) -> np.ndarray:
        w_pos, w_neg = counts * positive, counts * (1.0 - positive)
        total_pos, total_neg = w_pos.sum(), w_neg.sum()
        if total_pos == 0 or total_neg == 0:
            return np.full(n_seeds, np.nan)
        pos = np.bincount(flat_groups, weights=np.repeat(w_pos, n_seeds), minlength=offset)
        neg = np.bincount(flat_groups, weights=np.repeat(w_neg, n_seeds), minlength=offset)
        below = np.cumsum(neg) - neg
        below -= np.repeat(below[starts], np.diff(np.append(starts, offset)))
        return np.add.reduceat(pos * (below + 0.5 * neg), starts) / (total_pos * total_neg)

    return column_auroc


def _column_metric(y: np.ndarray, scores: np.ndarray, metric: Metric) -> ColumnMetric:
    """``counts (N,) -> (S,)``: ``metric`` of every column of ``scores`` ``(N, S)`` on a resample.

    The resample holds sequence ``i`` ``counts[i]`` times. For
    :func:`accuracy_from_logits` and :func:`auroc` the value is computed from
    the counts directly (the same as on the resampled rows, without copying
    them); any other metric is called on the resampled rows (in sorted order,
    so it must not depend on the order of the rows). The caller validates the
    scores first, e.g. by calling ``metric`` on every full column.
    """
    if metric is accuracy_from_logits:
        correct = ((scores > 0).astype(np.int64) == y[:, None]).astype(np.float64)
        return lambda counts: (counts @ correct) / counts.sum()
    if metric is auroc:
        return _weighted_auroc_columns(y, scores)

    def generic(counts: np.ndarray) -> np.ndarray:
        index = np.repeat(np.arange(y.size), counts.astype(np.int64))
        return np.array([metric(y[index], scores[index, c]) for c in range(scores.shape[1])])

    return generic


def _seed_sequence_resamples(
    y: np.ndarray | list[np.ndarray],
    scores: Sequence,
    metric: Metric,
    n_boot: int,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Seed-averaged ``metric`` of each model's scores over two-level resamples.

    Shared test set (``y`` ``(N,)``, each score an ``(N, S)`` matrix): each
    resample draws ``S`` seed columns with replacement, then ``N`` test
    sequences with replacement, shared by every drawn seed and every matrix
    (paired models). Per-seed test sets (``y`` a list of ``S`` arrays ``(N_s,)``,
    each score a list of ``S`` arrays): each resample draws ``S`` seed columns
    with replacement, then, for every drawn column ``s``, ``N_s`` sequences
    with replacement from seed ``s``'s own test set (shared by the models,
    which are paired within a seed; independent between drawn columns, whose
    test sets are independent draws).

    Returns
    -------
    list of numpy.ndarray
        One ``(n_boot,)`` array per model of ``scores``.
    """
    if isinstance(y, list):
        return _own_test_set_resamples(y, scores, metric, n_boot, rng)
    n, n_seeds = scores[0].shape
    columns_metric = [_column_metric(y, score, metric) for score in scores]
    boots = [np.full(n_boot, np.nan) for _ in scores]
    for b in range(n_boot):
        columns = rng.integers(0, n_seeds, size=n_seeds)
        counts = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)
        for boot, column_metric in zip(boots, columns_metric, strict=True):
            boot[b] = np.mean(column_metric(counts)[columns])
    return boots


def _own_test_set_resamples(
    y: list[np.ndarray],
    scores: Sequence[list[np.ndarray]],
    metric: Metric,
    n_boot: int,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """:func:`_seed_sequence_resamples` with each seed's own test set (``y[s]`` ``(N_s,)``)."""
    n_seeds = len(y)
    metrics = [
        [_column_metric(y[s], score[s][:, None].astype(np.float64), metric) for s in range(n_seeds)]
        for score in scores
    ]
    boots = [np.full(n_boot, np.nan) for _ in scores]
    for b in range(n_boot):
        columns = rng.integers(0, n_seeds, size=n_seeds)
        values = np.zeros((len(scores), n_seeds))
        for j, s in enumerate(columns):
            n = y[s].size
            counts = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)
            for m, model in enumerate(metrics):
                values[m, j] = model[s](counts)[0]
        for m, boot in enumerate(boots):
            boot[b] = np.mean(values[m])
    return boots


def two_level_bootstrap(
    y: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    metric: Metric,
    n_boot: int = 2000,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
    own_test_sets: bool | None = None,
) -> dict:
    """Two-level (seeds, then sequences) bootstrap of a seed-averaged metric of two models.

    The models were trained with ``S`` seeds (seed ``s`` of A paired with seed
    ``s`` of B) and scored on one shared test set of ``N`` sequences. Each of
    the ``n_boot`` resamples first draws ``S`` seed columns with replacement
    (training variation), then ``N`` sequence indices with replacement
    (sampling of the test set), applies the same indices to every drawn seed
    of both models, and computes ``mean_s metric_b(s) - mean_s metric_a(s)``
    and the ratio of the two means. The interval therefore covers both the
    seed-to-seed spread and the finite test set, which a bootstrap over
    sequences of seed-averaged metrics (:func:`paired_bootstrap`) or a
    t-interval over seeds alone each miss. With ``S = 1`` it reduces to the
    paired bootstrap over sequences.

    Parameters
    ----------
    y : numpy.ndarray or list of numpy.ndarray
        ``(N,)`` labels of the shared test set; or, where every seed has its
        own draw of the data (``data_seeds``), ``(N, S)`` or a list of ``S``
        arrays ``(N_s,)``: seed ``s``'s own test labels. Per-seed sequences are
        then resampled within each seed's own test set (identical labels in
        every seed are taken as one shared set: the shared-label result).
    score_a, score_b : numpy.ndarray or list of numpy.ndarray
        ``(N, S)`` scores (e.g. logits) of models A (reference) and B, column
        ``s`` from seed ``s``; with per-seed labels also a list of ``S``
        arrays ``(N_s,)``.
    metric : callable
        ``metric(y, score) -> float`` on one column, e.g.
        :func:`accuracy_from_logits` or :func:`auroc`; NaN where undefined.
    n_boot : int
        Number of resamples, ``>= 1``.
    seed : int or numpy.random.Generator
        Source of the resampling indices.
    level : float
        Confidence level of the percentile intervals, in ``(0, 1)``.
    own_test_sets : bool or None
        With per-seed labels: true resamples each seed's own test set even
        where the labels of every seed are identical (different draws).

    Returns
    -------
    dict
        Keys :data:`BOOTSTRAP_KEYS` as :func:`paired_bootstrap` (``metric_a``
        and ``metric_b`` are the means over seeds on the full test set) plus
        ``n_seeds``. Resamples with a non-finite metric are skipped and
        counted in ``n_skipped``.
    """
    y, (score_a, score_b) = _shared_or_per_seed(y, (score_a, score_b), own_test_sets)
    if isinstance(y, list):
        return _two_level_own_test_sets(y, score_a, score_b, metric, n_boot, seed, level)
    y, score_a, score_b = _check_seed_columns(y, score_a, score_b)
    if not callable(metric):
        raise ValueError("metric must be callable: metric(y, score) -> float")
    _check_resampling(n_boot, level)
    rng = np.random.default_rng(seed)
    n, n_seeds = score_a.shape
    # the point estimates also validate every column through the metric itself
    metric_a = float(np.mean([metric(y, score_a[:, c]) for c in range(n_seeds)]))
    metric_b = float(np.mean([metric(y, score_b[:, c]) for c in range(n_seeds)]))
    boot_a, boot_b = _seed_sequence_resamples(y, (score_a, score_b), metric, int(n_boot), rng)
    sizes = {"n": int(n), "n_seeds": int(n_seeds)}
    return _bootstrap_summary(metric_a, metric_b, boot_a, boot_b, level, sizes, "two-level bootstrap")


def _two_level_own_test_sets(
    y: list[np.ndarray],
    score_a: list[np.ndarray],
    score_b: list[np.ndarray],
    metric: Metric,
    n_boot: int,
    seed: int | np.random.Generator,
    level: float,
) -> dict:
    """:func:`two_level_bootstrap` where seed ``s`` has its own test set ``y[s]`` (``data_seeds``).

    ``n`` is the mean test-set size over seeds.
    """
    if not callable(metric):
        raise ValueError("metric must be callable: metric(y, score) -> float")
    _check_resampling(n_boot, level)
    rng = np.random.default_rng(seed)
    metric_a = float(np.mean([metric(yc, sc) for yc, sc in zip(y, score_a, strict=True)]))
    metric_b = float(np.mean([metric(yc, sc) for yc, sc in zip(y, score_b, strict=True)]))
    boot_a, boot_b = _seed_sequence_resamples(y, (score_a, score_b), metric, int(n_boot), rng)
    sizes = {"n": int(round(np.mean([c.size for c in y]))), "n_seeds": len(y)}
    return _bootstrap_summary(metric_a, metric_b, boot_a, boot_b, level, sizes, "two-level bootstrap")


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
        values = p[tested]
        if method == "holm":
            adjusted[tested] = _holm(values)
        else:
            # imported here: about 1 s of import that every rule importing this module would pay
            from statsmodels.stats.multitest import multipletests

            adjusted[tested] = multipletests(values, method=method)[1]
    return adjusted


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted ``(m,)`` p-values, as ``multipletests(p, method="holm")[1]``.

    Written out because statsmodels runs ``gc.collect()`` on every Holm call,
    which costs a tenth of a second in a large process (e.g. a test session).
    """
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * np.arange(p.size, 0, -1))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


# --------------------------------------------------------------------------- one model, several seeds
def seed_sequence_bootstrap(
    y: np.ndarray,
    scores: np.ndarray,
    metric: Metric,
    n_boot: int = 2000,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
    own_test_sets: bool | None = None,
) -> dict:
    """Two-level (seeds, then sequences) percentile bootstrap of one model's seed-averaged metric.

    The resamples are those of :func:`two_level_bootstrap` (seed columns, then
    test sequences), for one model.

    Parameters
    ----------
    y : numpy.ndarray or list of numpy.ndarray
        ``(N,)`` labels of the shared test set, or per-seed labels (``(N, S)``
        or a list of ``S`` arrays ``(N_s,)``) as :func:`two_level_bootstrap`.
    scores : numpy.ndarray or list of numpy.ndarray
        ``(N, S)`` scores (e.g. logits), column ``s`` from seed ``s``; with
        per-seed labels also a list of ``S`` arrays ``(N_s,)``.
    metric : callable
        ``metric(y, score) -> float`` on one column.
    n_boot, seed, level
        Resamples, source of the indices, confidence level in ``(0, 1)``.
    own_test_sets : bool or None
        As :func:`two_level_bootstrap`.

    Returns
    -------
    dict
        ``mean`` (mean over seeds on the full test set), ``ci_low``, ``ci_high``,
        ``level``, ``n``, ``n_seeds``, ``n_boot``, ``n_skipped``.
    """
    y, (scores,) = _shared_or_per_seed(y, (scores,), own_test_sets)
    _check_resampling(n_boot, level)
    rng = np.random.default_rng(seed)
    if isinstance(y, list):
        n, n_seeds = int(round(np.mean([c.size for c in y]))), len(y)
        mean = float(np.mean([metric(yc, sc) for yc, sc in zip(y, scores, strict=True)]))
    else:
        y, scores, _ = _check_seed_columns(y, scores, scores)
        n, n_seeds = scores.shape
        mean = float(np.mean([metric(y, scores[:, c]) for c in range(n_seeds)]))
    (boot,) = _seed_sequence_resamples(y, (scores,), metric, int(n_boot), rng)
    low, high = _percentile_ci(boot, level)
    return {
        "mean": mean,
        "ci_low": low,
        "ci_high": high,
        "level": float(level),
        "n": int(n),
        "n_seeds": int(n_seeds),
        "n_boot": int(n_boot),
        "n_skipped": int((~np.isfinite(boot)).sum()),
    }


# --------------------------------------------------------------------------- hit-rate test
def poisson_binomial_pmf(probabilities: np.ndarray) -> np.ndarray:
    """Distribution of the number of successes of independent Bernoulli trials.

    Parameters
    ----------
    probabilities : numpy.ndarray
        ``(n,)`` success probabilities in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray
        ``(n + 1,)`` float64, ``pmf[j] = P(X = j)``.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 1:
        raise ValueError("probabilities must be 1-D")
    if not np.isfinite(probabilities).all() or (probabilities < 0).any() or (probabilities > 1).any():
        raise ValueError("probabilities must lie in [0, 1]")
    pmf = np.zeros(probabilities.size + 1)
    pmf[0] = 1.0
    for i, p in enumerate(probabilities):
        head = pmf[: i + 2].copy()
        pmf[: i + 2] *= 1.0 - p
        pmf[1 : i + 2] += head[: i + 1] * p
    return pmf


def hit_rate_test(hits: np.ndarray, chance: np.ndarray) -> dict:
    """One-sided test that more sequences are hit than their chance rates predict.

    The null number of hits is Poisson-binomial (one Bernoulli trial per
    sequence with its own chance rate); the p-value is the exact tail
    ``P(X >= observed)``, by dynamic programming. Sequences with NaN chance are
    left out.

    Parameters
    ----------
    hits : numpy.ndarray
        ``(N,)`` bool.
    chance : numpy.ndarray
        ``(N,)`` chance rates in ``[0, 1]`` or NaN.

    Returns
    -------
    dict
        ``observed`` (int hits), ``expected`` (float sum of chance rates),
        ``n`` (int sequences used), ``p_value`` (float, NaN when ``n == 0``)
        and ``method``.
    """
    hits = np.asarray(hits)
    chance = np.asarray(chance, dtype=np.float64)
    if hits.ndim != 1 or chance.shape != hits.shape:
        raise ValueError(f"hits and chance must be 1-D of equal length, got {hits.shape} and {chance.shape}")
    if hits.dtype != bool:
        raise ValueError(f"hits must be boolean, got dtype {hits.dtype}")
    used = ~np.isnan(chance)
    probabilities = chance[used]
    observed = int(hits[used].sum())
    n = int(used.sum())
    if n == 0:
        p_value = float("nan")
    else:
        tail = poisson_binomial_pmf(probabilities)[observed:].sum()
        p_value = float(min(max(tail, 0.0), 1.0))
    return {
        "observed": observed,
        "expected": float(probabilities.sum()),
        "n": n,
        "p_value": p_value,
        "method": "poisson-binomial exact, one-sided",
    }


# --------------------------------------------------------------------------- one sample
CI_LEVEL = 0.95


def mean_ci(values: np.ndarray, level: float = CI_LEVEL) -> dict:
    """Mean, sample SD and t confidence interval of the finite values.

    Returns
    -------
    dict
        ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``; spread and interval
        are NaN for fewer than two values.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        return {"n": 0, "mean": nan, "sd": nan, "ci_low": nan, "ci_high": nan}
    mean = float(values.mean())
    if n < 2:
        return {"n": 1, "mean": mean, "sd": nan, "ci_low": nan, "ci_high": nan}
    sd = float(values.std(ddof=1))
    from scipy import stats  # here, not at the top: training jobs import this module for auroc

    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * sd / np.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": float(mean - half), "ci_high": float(mean + half)}


def proportion_ci(hits: np.ndarray, level: float = CI_LEVEL) -> dict:
    """Hit rate, SD of the hit indicator and Clopper-Pearson interval."""
    hits = np.asarray(hits, dtype=bool)
    n = int(hits.size)
    if n == 0:
        return {"n": 0, "mean": nan, "sd": nan, "ci_low": nan, "ci_high": nan}
    from scipy import stats

    interval = stats.binomtest(int(hits.sum()), n).proportion_ci(level, method="exact")
    sd = float(hits.std(ddof=1)) if n > 1 else nan
    return {
        "n": n,
        "mean": float(hits.mean()),
        "sd": sd,
        "ci_low": float(interval.low),
        "ci_high": float(interval.high),
    }


def wilcoxon_greater(differences: np.ndarray) -> float:
    """One-sided Wilcoxon signed-rank p-value that the differences exceed 0.

    NaN when there is no non-zero difference to rank.
    """
    differences = np.asarray(differences, dtype=np.float64)
    differences = differences[np.isfinite(differences)]
    if not (differences != 0).any():
        return float("nan")
    from scipy import stats

    return float(stats.wilcoxon(differences, alternative="greater").pvalue)
