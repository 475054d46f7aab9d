"""Head-to-head comparison of two models trained on the same data, splits and seeds.

Model A is traditional attention (``"attention"``), model B the joint pipeline
(``"joint_pipeline"``). Every difference is **B - A**, so a positive estimate
favours the joint pipeline.

What the seeds replicate: a seed varies the model's initialisation and the
order of its training batches; the data, the split and therefore the one test
set of ``N`` sequences are fixed by the data set's own seed. Two levels of
uncertainty follow, and every across-seed claim accounts for both:

* **seeds** (``S`` runs per model, paired by seed):
  :func:`gsattn.paired.paired_seed_tests` (paired t-test, and the Wilcoxon
  signed-rank test as a robustness column) and :func:`gsattn.paired.tost_paired`
  (two one-sided t-tests of equivalence within ``+-margin``);
* **seeds and test sequences**: the two-level bootstrap
  (:func:`gsattn.stats.two_level_bootstrap`: seeds with replacement, then
  sequences) of the difference of the seed-averaged metric, at ``1 - alpha``
  (superiority) and ``1 - 2 alpha`` (equivalence);
* **one run**: :func:`gsattn.paired.mcnemar_test` of the predictions of each
  seed, one row per seed (a single training run of each model, not a claim
  about seeds).

:func:`compare_dataset` runs all of them for one data set, adjusts the
p-values (:func:`gsattn.verdicts.adjust_families`: Holm per test, the primary
metric in its own family) and returns long-format rows (:data:`ROW_KEYS`) plus
the :func:`gsattn.verdicts.verdict`, a fixed rule over those rows. Declaring
the study's verdicts across data sets is :mod:`gsattn.verdicts`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from math import nan

import numpy as np

from gsattn.paired import check_alpha, mcnemar_test, paired_seed_tests, tost_paired
from gsattn.stats import accuracy_from_logits, auroc, two_level_bootstrap
from gsattn.verdicts import (
    ALL_SEEDS,
    PRIMARY_METRIC,
    adjust_families,
    check_primary_reachable,
    smallest_p_value,
    verdict,
)

log = logging.getLogger(__name__)

MODEL_A = "attention"
MODEL_B = "joint_pipeline"
MODELS = (MODEL_A, MODEL_B)
METRICS = ("accuracy", "auroc", "auprc")
BOOTSTRAP_METRICS = {"accuracy": accuracy_from_logits, "auroc": auroc}
TESTS = ("paired_t", "wilcoxon", "tost", "bootstrap", "bootstrap_equivalence", "mcnemar")
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


# --------------------------------------------------------------------------- one data set
def seed_key(seed: object) -> int:
    """A seed as an ``int`` (from an int or its string), else ``ValueError``."""
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
        key = seed_key(seed)
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


def _logit_matrices(predictions: Mapping, seeds: list[int]) -> tuple:
    """``y`` ``(N,)`` and ``{model: (N, S) logits}``, columns in the order of ``seeds``.

    With per-seed labels (``predictions["y"]`` a mapping seed → ``(N_s,)``,
    ``data_seeds``): ``y`` a list of ``S`` label arrays and ``{model: list of S
    (N_s,) logits}``, both in the order of ``seeds``.
    """
    if "y" not in predictions:
        raise ValueError("predictions must hold 'y' (N,) test labels")
    if isinstance(predictions["y"], Mapping):
        return _own_test_sets(predictions, seeds)
    y = np.asarray(predictions["y"])
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"predictions['y'] must be 1-D and non-empty, got shape {y.shape}")
    matrices = {}
    for model in MODELS:
        by_seed = _model_logits(predictions, model, seeds)
        columns = []
        for s in seeds:
            logits = np.asarray(by_seed[s], dtype=np.float64)
            if logits.shape != y.shape:
                raise ValueError(f"{model} seed {s} logits have shape {logits.shape}, expected {y.shape}")
            columns.append(logits)
        matrices[model] = np.stack(columns, axis=1)
    return y, matrices


def _model_logits(predictions: Mapping, model: str, seeds: list[int]) -> dict:
    if not isinstance(predictions.get(model), Mapping):
        raise ValueError(f"predictions[{model!r}] must map seed -> (N,) logits")
    by_seed = {seed_key(s): v for s, v in predictions[model].items()}
    if sorted(by_seed) != seeds:
        raise ValueError(f"predictions[{model!r}] seeds {sorted(by_seed)} differ from per_seed {seeds}")
    return by_seed


def _own_test_sets(predictions: Mapping, seeds: list[int]) -> tuple[list[np.ndarray], dict[str, list]]:
    """:func:`_logit_matrices` where every seed has its own test set (``data_seeds``)."""
    labels = {seed_key(s): np.asarray(v) for s, v in predictions["y"].items()}
    if sorted(labels) != seeds:
        raise ValueError(f"predictions['y'] seeds {sorted(labels)} differ from per_seed {seeds}")
    y = [labels[s] for s in seeds]
    for s, ys in zip(seeds, y, strict=True):
        if ys.ndim != 1 or ys.size == 0:
            raise ValueError(f"predictions['y'][{s}] must be 1-D and non-empty, got shape {ys.shape}")
    columns = {}
    for model in MODELS:
        by_seed = _model_logits(predictions, model, seeds)
        columns[model] = []
        for s, ys in zip(seeds, y, strict=True):
            logits = np.asarray(by_seed[s], dtype=np.float64)
            if logits.shape != ys.shape:
                raise ValueError(f"{model} seed {s} logits have shape {logits.shape}, expected {ys.shape}")
            columns[model].append(logits)
    return y, columns


def _seed_column(y, logits: dict, model: str, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and logits of the ``j``-th seed of ``model`` (shared or own test set)."""
    if isinstance(y, list):
        return y[j], logits[model][j]
    return y, logits[model][:, j]


SEEDS_VARY = "seeds vary initialisation and batch order; data and split fixed by the data set's seed"
"""What the seeds replicate, as the bootstrap rows' notes say it."""
SEEDS_DRAW = "each seed on its own draw of the data and split (data_seeds), sequences resampled within it"
"""The same with ``data_seeds``."""


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
            own_test_sets=isinstance(y, list) or None,
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
                    f"sequences ({SEEDS_DRAW if isinstance(y, list) else SEEDS_VARY}); "
                    f"{100 * level:g}% interval, {purpose}; "
                    f"n_boot={result['n_boot']}, skipped={result['n_skipped']}"
                ),
            )
        )
    return rows


def _mcnemar_rows(y: np.ndarray, logits: dict[str, np.ndarray], seeds: list[int]) -> list[dict]:
    """One McNemar row per seed: each compares one training run of A with one of B."""
    rows = []
    for j, s in enumerate(seeds):
        y_j, a_j = _seed_column(y, logits, MODEL_A, j)
        result = mcnemar_test(y_j, a_j, _seed_column(y, logits, MODEL_B, j)[1])
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


def _check_accuracy_consistency(seeds: list[int], y: np.ndarray, logits: dict, table: dict) -> None:
    for model in MODELS:
        for j, s in enumerate(seeds):
            from_logits = accuracy_from_logits(*_seed_column(y, logits, model, j))
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
    (:func:`gsattn.paired.paired_seed_tests`, :func:`gsattn.paired.tost_paired`). For accuracy and auroc
    also the two-level bootstrap (:func:`gsattn.stats.two_level_bootstrap`:
    seeds with replacement, then test sequences) of B - A of the
    *seed-averaged metric*, at ``1 - alpha`` (row ``bootstrap``) and ``1 - 2
    alpha`` (row ``bootstrap_equivalence``), from the same resamples. For
    accuracy also :func:`gsattn.paired.mcnemar_test` of every seed's predictions, one row per
    seed. p-values are adjusted with Holm by :func:`gsattn.verdicts.adjust_families` (within
    this data set: accuracy alone, so its seed tests are unadjusted here;
    AUROC and AUPRC together; McNemar across seeds). Finally :func:`gsattn.verdicts.verdict`.

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
        With ``data_seeds`` ``"y"`` maps seed → ``(N_s,)`` labels of that
        seed's own test set, and each seed's logits are on it.
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
        The verdict's primary test, one of :data:`gsattn.verdicts.PRIMARY_TESTS`.
    n_datasets : int
        Data sets the declared verdicts will be adjusted across; with
        ``primary_test`` and the seeds, checked by :func:`gsattn.verdicts.check_primary_reachable`
        before anything is computed.

    Returns
    -------
    rows : list of dict
        Long rows with :data:`ROW_KEYS`; ``estimate`` is always B - A.
    verdict : str
        One of :data:`gsattn.verdicts.VERDICTS`.
    """
    alpha = check_alpha(alpha)
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
    n_test = sum(v.size for v in y) if isinstance(y, list) else y.size
    log.info("comparison over %d seeds and %d test sequences: %s", len(seeds), n_test, outcome)
    return rows, outcome
