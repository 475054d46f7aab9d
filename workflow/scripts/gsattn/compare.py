"""Head-to-head comparison of two models trained on the same data, splits and seeds.

Model A is traditional attention (``"attention"``), model B the joint pipeline
(``"joint_pipeline"``). Every difference is **B - A**, so a positive estimate
favours the joint pipeline.

Two levels of replication are used:

* **seeds** (``S`` runs per model, paired by seed): :func:`paired_seed_tests`
  (paired t-test and Wilcoxon signed-rank test of the per-seed test metrics)
  and :func:`tost_paired` (two one-sided t-tests of equivalence within
  ``+-margin``);
* **test sequences** (``N``, shared by every run): a paired bootstrap of the
  seed-averaged metric (:func:`gsattn.stats.paired_bootstrap`) and
  :func:`mcnemar_test` of one seed's predictions.

:func:`compare_dataset` runs all of them for one data set, Holm-adjusts the
p-values across metrics and returns long-format rows (:data:`ROW_KEYS`) plus
the :func:`verdict`, a fixed rule over those rows. :func:`adjust_across_datasets`
re-adjusts the rows of every data set together (Holm across metrics *and* data
sets, separately for each test) and :func:`declare_verdicts` applies the same
rule to the re-adjusted rows: that is the declared verdict of the study.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from math import nan

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.weightstats import ttost_paired

from gsattn.stats import Metric, accuracy_from_logits, adjust_pvalues, auroc, paired_bootstrap

log = logging.getLogger(__name__)

MODEL_A = "attention"
MODEL_B = "joint_pipeline"
MODELS = (MODEL_A, MODEL_B)
METRICS = ("accuracy", "auroc", "auprc")
PRIMARY_METRIC = "accuracy"
BOOTSTRAP_METRICS = {"accuracy": accuracy_from_logits, "auroc": auroc}
TESTS = ("paired_t", "wilcoxon", "tost", "bootstrap", "mcnemar")
ROW_KEYS = (
    "metric",
    "test",
    "statistic",
    "p_value",
    "p_adjusted",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "note",
)
VERDICT_B = "joint pipeline superior"
VERDICT_A = "traditional attention superior"
VERDICT_EQUIVALENT = "equivalent"
VERDICT_INCONCLUSIVE = "inconclusive"
VERDICTS = (VERDICT_B, VERDICT_A, VERDICT_EQUIVALENT, VERDICT_INCONCLUSIVE)
WILCOXON_MIN_SEEDS = 6
"""From this many seeds on, :func:`verdict` uses the Wilcoxon test instead of the paired t-test.

With ``S <= 5`` the exact two-sided Wilcoxon p-value is at least ``2 / 2**S =
0.0625`` and can never fall below 0.05.
"""
MCNEMAR_EXACT_BELOW = 25
"""McNemar is exact (binomial) when the discordant pairs number fewer than this."""


# --------------------------------------------------------------------------- validation
def _check_alpha(alpha: float) -> float:
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
    alpha = _check_alpha(alpha)
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


# --------------------------------------------------------------------------- verdict
def _accuracy_row(rows: Sequence[Mapping], test: str) -> Mapping:
    found = [r for r in rows if r["metric"] == PRIMARY_METRIC and r["test"] == test]
    if len(found) != 1:
        raise ValueError(
            f"rows must hold exactly one {PRIMARY_METRIC!r} row of test {test!r}, got {len(found)}"
        )
    return found[0]


def verdict(rows: Sequence[Mapping], alpha: float = 0.05) -> str:
    """The fixed verdict of one data set from the rows of :func:`compare_dataset`.

    Only the primary metric (accuracy) decides. Let ``T``, ``W``, ``E`` and
    ``B`` be its ``paired_t``, ``wilcoxon``, ``tost`` and ``bootstrap`` rows, ``S =
    T["n"]`` the number of seeds, and the *primary test* ``P = W`` if
    ``S >=`` :data:`WILCOXON_MIN_SEEDS` (6) else ``P = T``. The rules, applied in
    this order, the first that holds wins:

    1. ``"joint pipeline superior"`` if ``P["p_adjusted"] < alpha`` and
       ``T["estimate"] > 0`` (mean of B - A over seeds) and ``B["ci_low"] > 0``
       (the bootstrap interval of B - A excludes 0 on B's side);
    2. ``"traditional attention superior"`` if ``P["p_adjusted"] < alpha`` and
       ``T["estimate"] < 0`` and ``B["ci_high"] < 0``;
    3. ``"equivalent"`` if ``E["p_adjusted"] < alpha`` (TOST within the margin);
    4. ``"inconclusive"`` otherwise.

    NaN p-values or bounds never satisfy a rule. Superiority is checked before
    equivalence, so a significant difference smaller than the margin is
    called superiority. McNemar and the AUROC/AUPRC rows are reported but do
    not enter the verdict. ``p_adjusted`` is read as given, so a caller that
    re-adjusts across data sets should overwrite it before calling.

    Parameters
    ----------
    rows : sequence of mapping
        Rows with :data:`ROW_KEYS` of one data set (if rows carry a
        ``dataset`` key, it must take one value).
    alpha : float
        Significance level, in ``(0, 1)``.

    Returns
    -------
    str
        One of :data:`VERDICTS`.
    """
    alpha = _check_alpha(alpha)
    datasets = {r["dataset"] for r in rows if "dataset" in r}
    if len(datasets) > 1:
        raise ValueError(f"verdict takes the rows of one data set, got {sorted(map(str, datasets))}")
    t_row, w_row = _accuracy_row(rows, "paired_t"), _accuracy_row(rows, "wilcoxon")
    e_row, b_row = _accuracy_row(rows, "tost"), _accuracy_row(rows, "bootstrap")
    primary = w_row if t_row["n"] >= WILCOXON_MIN_SEEDS else t_row
    significant = bool(primary["p_adjusted"] < alpha)
    if significant and t_row["estimate"] > 0 and b_row["ci_low"] > 0:
        return VERDICT_B
    if significant and t_row["estimate"] < 0 and b_row["ci_high"] < 0:
        return VERDICT_A
    if e_row["p_adjusted"] < alpha:
        return VERDICT_EQUIVALENT
    return VERDICT_INCONCLUSIVE


# --------------------------------------------------------------------------- one data set
def _seed_key(seed: object) -> int:
    try:
        key = int(seed)
    except (TypeError, ValueError):
        raise ValueError(f"seeds must be integers, got {seed!r}") from None
    if key != seed and str(key) != str(seed):
        raise ValueError(f"seeds must be integers, got {seed!r}")
    return key


def _per_seed_table(per_seed: Sequence[Mapping]) -> tuple[list[int], dict[str, dict[str, np.ndarray]]]:
    """Sorted seeds and ``{metric: {model: (S,) values}}`` from long per-seed rows."""
    values: dict[tuple[str, str], dict[int, float]] = {}
    for row in per_seed:
        try:
            model, metric, seed, value = row["model"], row["metric"], row["seed"], row["value"]
        except KeyError as err:
            raise ValueError(f"per_seed rows need keys model, seed, metric, value; missing {err}") from None
        if model not in MODELS:
            raise ValueError(f"per_seed model must be one of {MODELS}, got {model!r}")
        if metric not in METRICS:
            log.debug("per_seed: metric %r is not compared", metric)
            continue
        cell = values.setdefault((metric, model), {})
        key = _seed_key(seed)
        if key in cell:
            raise ValueError(f"per_seed has two rows for model {model!r}, metric {metric!r}, seed {key}")
        cell[key] = float(value)
    seeds: list[int] | None = None
    table: dict[str, dict[str, np.ndarray]] = {}
    for metric in METRICS:
        for model in MODELS:
            if (metric, model) not in values:
                raise ValueError(f"per_seed has no {metric!r} rows for model {model!r}")
            cell = values[(metric, model)]
            if seeds is None:
                seeds = sorted(cell)
            elif sorted(cell) != seeds:
                raise ValueError(
                    f"per_seed seeds differ: {metric!r}/{model!r} has {sorted(cell)}, expected {seeds}"
                )
            table.setdefault(metric, {})[model] = np.array([cell[s] for s in seeds])
    assert seeds is not None
    return seeds, table


def _logit_matrices(predictions: Mapping, seeds: list[int]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``y`` ``(N,)`` and ``{model: (N, S) logits}``, columns in the order of ``seeds``."""
    if "y" not in predictions:
        raise ValueError("predictions must hold 'y' (N,) test labels")
    y = np.asarray(predictions["y"])
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"predictions['y'] must be 1-D and non-empty, got shape {y.shape}")
    matrices = {}
    for model in MODELS:
        if not isinstance(predictions.get(model), Mapping):
            raise ValueError(f"predictions[{model!r}] must map seed -> (N,) logits")
        by_seed = {_seed_key(s): v for s, v in predictions[model].items()}
        if sorted(by_seed) != seeds:
            raise ValueError(f"predictions[{model!r}] seeds {sorted(by_seed)} differ from per_seed {seeds}")
        columns = []
        for s in seeds:
            logits = np.asarray(by_seed[s], dtype=np.float64)
            if logits.shape != y.shape:
                raise ValueError(f"{model} seed {s} logits have shape {logits.shape}, expected {y.shape}")
            columns.append(logits)
        matrices[model] = np.stack(columns, axis=1)
    return y, matrices


def _seed_averaged(metric: Metric) -> Metric:
    """``metric`` averaged over the columns (seeds) of ``(N, S)`` logits; NaN if any is NaN."""

    def averaged(y: np.ndarray, scores: np.ndarray) -> float:
        return float(np.mean([metric(y, scores[:, j]) for j in range(scores.shape[1])]))

    return averaged


def _row(metric: str, test: str, **values) -> dict:
    row = dict.fromkeys(ROW_KEYS, nan)
    row.update(metric=metric, test=test, note="")
    row.update(values)
    return row


def _seed_rows(metric: str, a: np.ndarray, b: np.ndarray, margin: float, alpha: float) -> list[dict]:
    paired = paired_seed_tests(a, b, level=1.0 - alpha)
    tost = tost_paired(a, b, margin, alpha=alpha)
    n = paired["n_seeds"]
    level = f"{100 * (1 - alpha):g}%"
    common = {"estimate": paired["mean_difference"], "n": n}
    binding = "lower" if tost["p_lower"] >= tost["p_upper"] else "upper"
    return [
        _row(
            metric,
            "paired_t",
            statistic=paired["t_statistic"],
            p_value=paired["t_p_value"],
            ci_low=paired["ci_low"],
            ci_high=paired["ci_high"],
            note=f"scipy ttest_rel(B, A), two-sided; {level} t-interval of mean B - A over seeds",
            **common,
        ),
        _row(
            metric,
            "wilcoxon",
            statistic=paired["wilcoxon_statistic"],
            p_value=paired["wilcoxon_p_value"],
            note=paired["wilcoxon_note"] or "scipy wilcoxon(B, A), two-sided, zero differences dropped",
            **common,
        ),
        _row(
            metric,
            "tost",
            statistic=tost[f"t_{binding}"],
            p_value=tost["p_value"],
            ci_low=tost["ci_low"],
            ci_high=tost["ci_high"],
            note=(
                f"TOST of mean B - A within +-{margin:g}: p_lower={tost['p_lower']:.4g}, "
                f"p_upper={tost['p_upper']:.4g}; statistic = t of the {binding} test; "
                f"{100 * (1 - 2 * alpha):g}% t-interval"
            ),
            **common,
        ),
    ]


def _bootstrap_row(
    metric: str, y: np.ndarray, logits: dict[str, np.ndarray], n_boot: int, seed: int, alpha: float
) -> dict:
    result = paired_bootstrap(
        y,
        logits[MODEL_A],
        logits[MODEL_B],
        _seed_averaged(BOOTSTRAP_METRICS[metric]),
        n_boot=n_boot,
        seed=seed,
        level=1.0 - alpha,
    )
    return _row(
        metric,
        "bootstrap",
        estimate=result["difference"],
        ci_low=result["difference_ci_low"],
        ci_high=result["difference_ci_high"],
        n=result["n"],
        note=(
            f"paired percentile bootstrap over {result['n']} test sequences of B - A of the seed-averaged "
            f"{metric} (per-seed metric, then mean over {logits[MODEL_A].shape[1]} seeds); "
            f"{100 * (1 - alpha):g}% interval; n_boot={result['n_boot']}, skipped={result['n_skipped']}"
        ),
    )


def _mcnemar_row(y: np.ndarray, logits: dict[str, np.ndarray], first_seed: int) -> dict:
    result = mcnemar_test(y, logits[MODEL_A][:, 0], logits[MODEL_B][:, 0])
    return _row(
        PRIMARY_METRIC,
        "mcnemar",
        statistic=result["statistic"],
        p_value=result["p_value"],
        estimate=result["accuracy_difference"],
        n=result["n"],
        note=(
            f"seed {first_seed} (first seed) only; {result['method']}; "
            f"b01 (only A correct)={result['b01']}, b10 (only B correct)={result['b10']}"
        ),
    )


def _holm_within_tests(rows: list[dict], method: str = "holm") -> None:
    """Fill ``p_adjusted``: ``method`` across all ``rows``, separately for each test; NaN stays NaN."""
    for test in TESTS:
        members = [r for r in rows if r["test"] == test]
        if not members:
            continue
        adjusted = adjust_pvalues(np.array([r["p_value"] for r in members], dtype=np.float64), method)
        for row, p in zip(members, adjusted, strict=True):
            row["p_adjusted"] = float(p)


def _check_accuracy_consistency(seeds: list[int], y: np.ndarray, logits: dict, table: dict) -> None:
    for model in MODELS:
        for j, s in enumerate(seeds):
            from_logits = accuracy_from_logits(y, logits[model][:, j])
            reported = table[PRIMARY_METRIC][model][j]
            if abs(from_logits - reported) > 1e-6:
                log.warning(
                    "%s seed %d: per_seed accuracy %.6g differs from the logits' accuracy %.6g",
                    model,
                    s,
                    reported,
                    from_logits,
                )


def compare_dataset(
    per_seed: Sequence[Mapping],
    predictions: Mapping,
    margin: float = 0.01,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[list[dict], str]:
    """Compare attention (A) with the joint pipeline (B) on one data set.

    For each metric of :data:`METRICS` (accuracy, auroc, auprc), on the
    per-seed test values: paired t, Wilcoxon and TOST within ``+-margin``
    (:func:`paired_seed_tests`, :func:`tost_paired`). For accuracy and auroc
    also a paired bootstrap over the ``N`` test sequences of B - A of the
    *seed-averaged metric*: each resample computes the metric of every seed's
    logits on the resampled sequences and averages over seeds (the same
    quantity as the mean of the per-seed values; logits are not averaged).
    For accuracy also :func:`mcnemar_test` on the first (smallest) seed's
    predictions only. p-values are Holm-adjusted across metrics separately for
    each test (paired_t, wilcoxon, tost, mcnemar); bootstrap rows have no
    p-value. Finally :func:`verdict`.

    Parameters
    ----------
    per_seed : sequence of mapping
        Rows with keys ``model`` (``"attention"`` or ``"joint_pipeline"``),
        ``seed`` (int), ``metric`` and ``value``; every metric of
        :data:`METRICS` for both models on one set of seeds (other metrics are
        ignored).
    predictions : mapping
        ``{"y": (N,) labels, "attention": {seed: (N,) logits},
        "joint_pipeline": {seed: (N,) logits}}`` on the one shared test set,
        the same seeds as ``per_seed`` (keys may be ints or their strings).
    margin : float
        Equivalence margin in metric units for every metric (0.01 = one
        accuracy point).
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the bootstrap resampling (each bootstrapped metric uses it).
    alpha : float
        Significance level; intervals are ``1 - alpha`` (TOST: ``1 - 2 alpha``).

    Returns
    -------
    rows : list of dict
        Long rows with :data:`ROW_KEYS`; ``estimate`` is always B - A.
    verdict : str
        One of :data:`VERDICTS`.
    """
    alpha = _check_alpha(alpha)
    seeds, table = _per_seed_table(per_seed)
    y, logits = _logit_matrices(predictions, seeds)
    _check_accuracy_consistency(seeds, y, logits, table)
    rows: list[dict] = []
    for metric in METRICS:
        rows += _seed_rows(metric, table[metric][MODEL_A], table[metric][MODEL_B], margin, alpha)
        if metric in BOOTSTRAP_METRICS:
            rows.append(_bootstrap_row(metric, y, logits, n_boot, seed, alpha))
        if metric == PRIMARY_METRIC:
            rows.append(_mcnemar_row(y, logits, seeds[0]))
    _holm_within_tests(rows)
    outcome = verdict(rows, alpha=alpha)
    log.info("comparison over %d seeds and %d test sequences: %s", len(seeds), y.size, outcome)
    return rows, outcome


# --------------------------------------------------------------------------- all data sets
ADJUSTMENTS = ("holm", "fdr_bh")


def adjust_across_datasets(rows: Sequence[Mapping], method: str = "holm") -> list[dict]:
    """Re-adjust the p-values of several data sets' comparisons as one family per test.

    Parameters
    ----------
    rows : sequence of mapping
        Rows of :func:`compare_dataset` of every data set, each with a
        ``dataset`` key and ``p_value``.
    method : str
        ``"holm"`` (family-wise error) or ``"fdr_bh"`` (Benjamini-Hochberg).

    Returns
    -------
    list of dict
        Copies of ``rows``; the within-data-set adjustment moves to
        ``p_adjusted_within_dataset`` and ``p_adjusted`` becomes ``method``
        across every (data set, metric) pair of the same test. With one data
        set the two columns are equal.
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
    _holm_within_tests(out, method)
    return out


def declare_verdicts(rows: Sequence[Mapping], alpha: float = 0.05, method: str = "holm") -> tuple[list, dict]:
    """Adjust across data sets (:func:`adjust_across_datasets`), then :func:`verdict` per data set.

    Returns
    -------
    rows : list of dict
        The re-adjusted rows.
    verdicts : dict
        ``{dataset: verdict}`` in the order the data sets first appear.
    """
    adjusted = adjust_across_datasets(rows, method)
    names = list(dict.fromkeys(r["dataset"] for r in adjusted))
    verdicts = {name: verdict([r for r in adjusted if r["dataset"] == name], alpha) for name in names}
    for name, outcome in verdicts.items():
        log.info("%s: %s (%s across %d data sets)", name, outcome, method, len(names))
    return adjusted, verdicts


# --------------------------------------------------------------------------- interpretability
INTERPRETABILITY_METRICS = ("auroc", "auprc", "enrichment", "top1")
INTERPRETABILITY_KEYS = (
    "model",
    "method",
    "metric",
    "n_seeds",
    "n_sequences",
    "mean",
    "sd",
    "min",
    "max",
    "chance",
    "difference_vs_attention",
    "ci_low",
    "ci_high",
    "p_value",
)


def interpretability_summary(rows: Sequence[Mapping], level: float = 0.95) -> list[dict]:
    """Across-seed summary of attribution-vs-motif-mask metrics of every model and method.

    Reads the rows of :func:`gsattn.recovery.summarize_recovery` that rule
    ``interpret_model`` writes (with ``model``, ``seed`` and ``method`` keys)
    and keeps group ``recovery``, motif ``all``, subset ``all``: every
    predictive (or known) motif, all test sequences that hold one.

    Parameters
    ----------
    rows : sequence of mapping
        Long rows; other groups, motifs, subsets and metrics are ignored.
    level : float
        Level of the t-interval of the paired difference.

    Returns
    -------
    list of dict
        One row per (model, method, metric) with :data:`INTERPRETABILITY_KEYS`:
        ``mean``/``sd``/``min``/``max`` over seeds of the per-seed mean,
        ``n_sequences`` the mean number of sequences scored, ``chance`` the
        metric's chance level. For a model other than attention and a method
        attention also has, ``difference_vs_attention`` is the mean over
        seeds of (model - attention), paired by seed, with its t-interval and
        the two-sided paired t-test p-value (NaN with fewer than 2 seeds).
    """
    cells: dict[tuple[str, str, str], dict[int, Mapping]] = {}
    for row in rows:
        if (row["group"], row["motif"], row["subset"]) != ("recovery", "all", "all"):
            continue
        if row["metric"] not in INTERPRETABILITY_METRICS:
            continue
        cell = cells.setdefault((row["model"], row["method"], row["metric"]), {})
        seed = _seed_key(row["seed"])
        if seed in cell:
            raise ValueError(f"two rows for {row['model']}/{row['method']}/{row['metric']} seed {seed}")
        cell[seed] = row
    out = []
    for (model, method, metric), cell in sorted(cells.items()):
        seeds = sorted(cell)
        values = np.array([float(cell[s]["mean"]) for s in seeds])
        summary = dict.fromkeys(INTERPRETABILITY_KEYS, nan) | {
            "model": model,
            "method": method,
            "metric": metric,
            "n_seeds": len(seeds),
            "n_sequences": float(np.mean([float(cell[s]["n"]) for s in seeds])),
            "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)) if values.size > 1 else nan,
            "min": float(values.min()),
            "max": float(values.max()),
            "chance": float(np.mean([float(cell[s]["chance"]) for s in seeds])),
        }
        reference = cells.get((MODEL_A, method, metric))
        if model != MODEL_A and reference is not None:
            if sorted(reference) != seeds:
                raise ValueError(
                    f"{model}/{method}: seeds {seeds} differ from attention's {sorted(reference)}"
                )
            a = np.array([float(reference[s]["mean"]) for s in seeds])
            paired = paired_seed_tests(a, values, level=level)
            summary.update(
                difference_vs_attention=paired["mean_difference"],
                ci_low=paired["ci_low"],
                ci_high=paired["ci_high"],
                p_value=paired["t_p_value"],
            )
        out.append(summary)
    return out
