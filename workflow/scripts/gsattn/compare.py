"""Head-to-head comparison of two models trained on the same data, splits and seeds.

Model A is traditional attention (``"attention"``), model B the joint pipeline
(``"joint_pipeline"``). Every difference is **B - A**, so a positive estimate
favours the joint pipeline.

What the seeds replicate: a seed varies the model's initialisation and the
order of its training batches; the data, the split and therefore the one test
set of ``N`` sequences are fixed by the data set's own seed. Two levels of
uncertainty follow, and every across-seed claim accounts for both:

* **seeds** (``S`` runs per model, paired by seed): :func:`paired_seed_tests`
  (paired t-test, and the Wilcoxon signed-rank test as a robustness column)
  and :func:`tost_paired` (two one-sided t-tests of equivalence within
  ``+-margin``);
* **seeds and test sequences**: the two-level bootstrap
  (:func:`gsattn.stats.two_level_bootstrap`: seeds with replacement, then
  sequences) of the difference of the seed-averaged metric, at ``1 - alpha``
  (superiority) and ``1 - 2 alpha`` (equivalence);
* **one run**: :func:`mcnemar_test` of the predictions of each seed, one row
  per seed (a single training run of each model, not a claim about seeds).

:func:`compare_dataset` runs all of them for one data set, adjusts the
p-values (:func:`adjust_families`: Holm per test, the primary metric in its
own family) and returns long-format rows (:data:`ROW_KEYS`) plus the
:func:`verdict`, a fixed rule over those rows. :func:`adjust_across_datasets`
re-adjusts the rows of every data set together and :func:`declare_verdicts`
applies the same rule to the re-adjusted rows: that is the declared verdict
of the study. :func:`check_primary_reachable` refuses a primary test that
cannot reach ``alpha`` with the configured seeds and family.
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

from gsattn.stats import accuracy_from_logits, adjust_pvalues, auroc, two_level_bootstrap

log = logging.getLogger(__name__)

MODEL_A = "attention"
MODEL_B = "joint_pipeline"
MODELS = (MODEL_A, MODEL_B)
METRICS = ("accuracy", "auroc", "auprc")
PRIMARY_METRIC = "accuracy"
BOOTSTRAP_METRICS = {"accuracy": accuracy_from_logits, "auroc": auroc}
TESTS = ("paired_t", "wilcoxon", "tost", "bootstrap", "bootstrap_equivalence", "mcnemar")
PRIMARY_TESTS = ("paired_t", "wilcoxon")
"""Tests the verdict may use as its primary test (config ``phase3.primary_test``); paired t by default."""
ALL_SEEDS = "all"
"""``seed`` of a row that covers every seed (McNemar rows name their one seed)."""
ROW_KEYS = (
    "metric",
    "test",
    "seed",
    "statistic",
    "p_value",
    "p_adjusted",
    "estimate",
    "ci_low",
    "ci_high",
    "margin",
    "n",
    "note",
)
VERDICT_B = "joint pipeline superior"
VERDICT_A = "traditional attention superior"
VERDICT_EQUIVALENT = "equivalent"
VERDICT_INCONCLUSIVE = "inconclusive"
VERDICTS = (VERDICT_B, VERDICT_A, VERDICT_EQUIVALENT, VERDICT_INCONCLUSIVE)
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
    alpha = _check_alpha(alpha)
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
    """The fixed verdict of one data set from the rows of :func:`compare_dataset`.

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
        Rows with :data:`ROW_KEYS` of one data set (if rows carry a
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
    alpha = _check_alpha(alpha)
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


SEEDS_VARY = "seeds vary initialisation and batch order; data and split fixed by the data set's seed"
"""What the seeds replicate, as the bootstrap rows' notes say it."""


def _row(metric: str, test: str, **values) -> dict:
    row = dict.fromkeys(ROW_KEYS, nan)
    row.update(metric=metric, test=test, seed=ALL_SEEDS, note="")
    row.update(values)
    return row


def _seed_rows(metric: str, a: np.ndarray, b: np.ndarray, margin: float, alpha: float) -> list[dict]:
    paired = paired_seed_tests(a, b, level=1.0 - alpha)
    tost = tost_paired(a, b, margin, alpha=alpha)
    n = paired["n_seeds"]
    level = f"{100 * (1 - alpha):g}%"
    common = {"estimate": paired["mean_difference"], "n": n}
    binding = "lower" if tost["p_lower"] >= tost["p_upper"] else "upper"
    wilcoxon_floor = smallest_p_value("wilcoxon", n)
    return [
        _row(
            metric,
            "paired_t",
            statistic=paired["t_statistic"],
            p_value=paired["t_p_value"],
            ci_low=paired["ci_low"],
            ci_high=paired["ci_high"],
            note=f"scipy ttest_rel(B, A), two-sided; {level} t-interval of mean B - A over {n} seeds",
            **common,
        ),
        _row(
            metric,
            "wilcoxon",
            statistic=paired["wilcoxon_statistic"],
            p_value=paired["wilcoxon_p_value"],
            note=(paired["wilcoxon_note"] or "scipy wilcoxon(B, A), two-sided, zero differences dropped")
            + f"; robustness check of the t-test (exact p >= 2/2^{n} = {wilcoxon_floor:.3g})",
            **common,
        ),
        _row(
            metric,
            "tost",
            statistic=tost[f"t_{binding}"],
            p_value=tost["p_value"],
            ci_low=tost["ci_low"],
            ci_high=tost["ci_high"],
            margin=float(margin),
            note=(
                f"TOST of mean B - A over {n} seeds within +-{margin:g}: p_lower={tost['p_lower']:.4g}, "
                f"p_upper={tost['p_upper']:.4g}; statistic = t of the {binding} test; "
                f"{100 * (1 - 2 * alpha):g}% t-interval"
            ),
            **common,
        ),
    ]


def _bootstrap_rows(
    metric: str,
    y: np.ndarray,
    logits: dict[str, np.ndarray],
    n_boot: int,
    seed: int,
    alpha: float,
    margin: float,
) -> list[dict]:
    """Two-level bootstrap rows of B - A at ``1 - alpha`` and ``1 - 2 alpha``.

    Rows ``bootstrap`` (superiority) and ``bootstrap_equivalence``; both from
    the same resamples (the same ``seed``).
    """
    rows = []
    for test, level in (("bootstrap", 1.0 - alpha), ("bootstrap_equivalence", 1.0 - 2.0 * alpha)):
        result = two_level_bootstrap(
            y,
            logits[MODEL_A],
            logits[MODEL_B],
            BOOTSTRAP_METRICS[metric],
            n_boot=n_boot,
            seed=seed,
            level=level,
        )
        low, high = result["difference_ci_low"], result["difference_ci_high"]
        purpose = (
            f"inside +-{margin:g}: {'yes' if -margin < low and high < margin else 'no'}"
            if test == "bootstrap_equivalence"
            else "read by the superiority rule"
        )
        rows.append(
            _row(
                metric,
                test,
                estimate=result["difference"],
                ci_low=low,
                ci_high=high,
                margin=float(margin) if test == "bootstrap_equivalence" else nan,
                n=result["n"],
                note=(
                    f"two-level percentile bootstrap of B - A of the seed-averaged {metric}: each resample "
                    f"draws the {result['n_seeds']} seeds with replacement, then the {result['n']} test "
                    f"sequences ({SEEDS_VARY}); {100 * level:g}% interval, {purpose}; "
                    f"n_boot={result['n_boot']}, skipped={result['n_skipped']}"
                ),
            )
        )
    return rows


def _mcnemar_rows(y: np.ndarray, logits: dict[str, np.ndarray], seeds: list[int]) -> list[dict]:
    """One McNemar row per seed: each compares one training run of A with one of B."""
    rows = []
    for j, s in enumerate(seeds):
        result = mcnemar_test(y, logits[MODEL_A][:, j], logits[MODEL_B][:, j])
        rows.append(
            _row(
                PRIMARY_METRIC,
                "mcnemar",
                seed=s,
                statistic=result["statistic"],
                p_value=result["p_value"],
                estimate=result["accuracy_difference"],
                n=result["n"],
                note=(
                    f"one run: seed {s} of each model only, over {result['n']} test sequences; "
                    f"{result['method']}; b01 (only A correct)={result['b01']}, "
                    f"b10 (only B correct)={result['b10']}; p_adjusted across seeds (and data sets)"
                ),
            )
        )
    return rows


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
    primary_test: str = "paired_t",
    n_datasets: int = 1,
) -> tuple[list[dict], str]:
    """Compare attention (A) with the joint pipeline (B) on one data set.

    For each metric of :data:`METRICS` (accuracy, auroc, auprc), on the
    per-seed test values: paired t, Wilcoxon and TOST within ``+-margin``
    (:func:`paired_seed_tests`, :func:`tost_paired`). For accuracy and auroc
    also the two-level bootstrap (:func:`gsattn.stats.two_level_bootstrap`:
    seeds with replacement, then test sequences) of B - A of the
    *seed-averaged metric*, at ``1 - alpha`` (row ``bootstrap``) and ``1 - 2
    alpha`` (row ``bootstrap_equivalence``), from the same resamples. For
    accuracy also :func:`mcnemar_test` of every seed's predictions, one row per
    seed. p-values are adjusted with Holm by :func:`adjust_families` (within
    this data set: accuracy alone, so its seed tests are unadjusted here;
    AUROC and AUPRC together; McNemar across seeds). Finally :func:`verdict`.

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
        Significance level; intervals are ``1 - alpha`` (TOST and
        ``bootstrap_equivalence``: ``1 - 2 alpha``).
    primary_test : str
        The verdict's primary test, one of :data:`PRIMARY_TESTS`.
    n_datasets : int
        Data sets the declared verdicts will be adjusted across; with
        ``primary_test`` and the seeds, checked by :func:`check_primary_reachable`
        before anything is computed.

    Returns
    -------
    rows : list of dict
        Long rows with :data:`ROW_KEYS`; ``estimate`` is always B - A.
    verdict : str
        One of :data:`VERDICTS`.
    """
    alpha = _check_alpha(alpha)
    seeds, table = _per_seed_table(per_seed)
    check_primary_reachable(len(seeds), n_datasets, alpha, primary_test)
    y, logits = _logit_matrices(predictions, seeds)
    _check_accuracy_consistency(seeds, y, logits, table)
    rows: list[dict] = []
    for metric in METRICS:
        rows += _seed_rows(metric, table[metric][MODEL_A], table[metric][MODEL_B], margin, alpha)
        if metric in BOOTSTRAP_METRICS:
            rows += _bootstrap_rows(metric, y, logits, n_boot, seed, alpha, margin)
        if metric == PRIMARY_METRIC:
            rows += _mcnemar_rows(y, logits, seeds)
    adjust_families(rows)
    outcome = verdict(rows, alpha=alpha, primary_test=primary_test)
    log.info("comparison over %d seeds and %d test sequences: %s", len(seeds), y.size, outcome)
    return rows, outcome


# --------------------------------------------------------------------------- all data sets
ADJUSTMENTS = ("holm", "fdr_bh")


def adjust_across_datasets(rows: Sequence[Mapping], method: str = "holm") -> list[dict]:
    """Re-adjust the p-values of several data sets' comparisons, the families of :func:`adjust_families`.

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
