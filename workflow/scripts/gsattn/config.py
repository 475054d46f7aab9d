"""Checks on the config that a JSON Schema cannot express.

Run after ``snakemake.utils.validate`` (which fills defaults). Standard
library only: it runs in Snakemake's own environment when the Snakefile is
parsed.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence

SPLITS = ("train", "validation", "test")
# Path components a name would share a folder with: results/phase1/<dataset>/summary/ beside
# results/phase1/<dataset>/<model>/, results/phase2/scaling/ beside results/phase2/<dataset>/
# (gsattn.layout).
RESERVED_MODELS = ("summary",)
RESERVED_DATASETS = ("scaling",)


class ConfigError(ValueError):
    """The config is invalid; the message names the data set and key."""


def _check_split(name: str, split: dict) -> None:
    total = split["train"] + split["validation"] + split["test"]
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ConfigError(f"datasets.{name}.split: fractions sum to {total:g}, not 1")


def stratified_counts(n: int, fractions: Sequence[float]) -> list[int]:
    """Sizes of the train/validation/test parts of one class of ``n`` sequences,
    rounded as :func:`gsattn.simulate.stratified_split` cuts them."""
    cuts = [round(b * n) for b in itertools.accumulate(fractions)]
    return [hi - lo for lo, hi in zip([0, *cuts[:-1]], cuts, strict=True)]


IMPORT_FIX = "add sequences, or change the split fractions (or the labels' split column)"


def split_problem(counts: Mapping[str, Sequence[int]], fix: str = IMPORT_FIX) -> str | None:
    """What is wrong with a data set's class sizes per split, or ``None``.

    Parameters
    ----------
    counts : mapping
        ``split name -> (sequences of class 0, sequences of class 1)`` for
        train, validation and test.
    fix : str
        How to fix a split that lacks a class (ends the message).

    Returns
    -------
    str or None
        A message with the numbers when a class is missing altogether (labels
        all of one class) or any split lacks a class.
    """
    totals = [sum(counts[s][c] for s in SPLITS) for c in (0, 1)]
    if not all(totals):
        only = 0 if totals[0] else 1
        return (
            f"all {sum(totals)} labels are {only}: a classifier needs both classes; "
            f"add sequences of class {1 - only}"
        )
    table = ", ".join(f"{s} {counts[s][0]}/{counts[s][1]}" for s in SPLITS)
    for s in SPLITS:
        for c in (0, 1):
            if counts[s][c] == 0:
                return (
                    f"too few sequences to split: the {s} split gets no sequence of class {c} "
                    f"(class 0/1 per split: {table}); every split needs both classes: {fix}"
                )
    return None


def _check_synthetic(name: str, spec: dict) -> None:
    where = f"datasets.{name}"
    for key in ("motifs", "decoys"):
        for i, ref in enumerate(spec[key]):
            if not ref.get("id") and not ref.get("name"):
                raise ConfigError(f"{where}.{key}[{i}]: give a JASPAR 'id' or 'name'")
    sites = spec["sites_per_sequence"]
    if sites["min"] > sites["max"]:
        raise ConfigError(f"{where}.sites_per_sequence: min {sites['min']} > max {sites['max']}")
    pos = spec["position"]
    end = spec["length"] if pos["window_end"] is None else pos["window_end"]
    if pos["mode"] == "window" and not pos["window_start"] < end <= spec["length"]:
        raise ConfigError(
            f"{where}.position: need window_start < window_end <= length "
            f"({pos['window_start']}, {end}, {spec['length']})"
        )
    rule = spec["class_rule"]
    if rule["max_gap"] is not None and rule["max_gap"] < rule["min_gap"]:
        raise ConfigError(f"{where}.class_rule: max_gap {rule['max_gap']} < min_gap {rule['min_gap']}")
    if spec["background"]["model"] == "markov" and not spec["background"]["fasta"]:
        raise ConfigError(f"{where}.background: model 'markov' needs 'fasta'")
    _check_synthetic_sizes(where, spec)


def _check_synthetic_sizes(where: str, spec: dict) -> None:
    """Both classes in every split, from ``n_sequences``, ``positive_fraction`` and
    the split (before label noise, which the planting step checks again)."""
    n = spec["n_sequences"]
    n_pos = round(n * spec["positive_fraction"])
    split = spec["split"]
    fractions = (split["train"], split["validation"], split["test"])
    per_class = [stratified_counts(n - n_pos, fractions), stratified_counts(n_pos, fractions)]
    counts = {s: (per_class[0][i], per_class[1][i]) for i, s in enumerate(SPLITS)}
    problem = split_problem(counts, "raise n_sequences, or change positive_fraction or the split")
    if problem:
        raise ConfigError(
            f"{where}: {n} sequences, positive_fraction {spec['positive_fraction']:g}: {problem}"
        )


def _check_fasta(name: str, spec: dict) -> None:
    if spec["decoy_motifs"] and not spec["sites"]:
        raise ConfigError(
            f"datasets.{name}.decoy_motifs: names motifs of a sites BED, but the data set has no 'sites'; "
            "give 'sites' or remove decoy_motifs"
        )


def _check_phase1(phase1: dict) -> None:
    if phase1["reference"] not in phase1["models"]:
        raise ConfigError(f"phase1.reference: {phase1['reference']!r} is not one of phase1.models")
    for name, spec in phase1["models"].items():
        where = f"phase1.models.{name}"
        if name in RESERVED_MODELS:
            raise ConfigError(
                f"{where}: {name!r} is reserved (results/phase1/<dataset>/{name}/ holds the Phase 1 "
                "summary); rename the model"
            )
        if spec["d_model"] % spec["n_heads"]:
            raise ConfigError(f"{where}: n_heads {spec['n_heads']} does not divide d_model {spec['d_model']}")
        if spec["stem_kernel"] % 2 == 0:
            raise ConfigError(f"{where}: stem_kernel must be odd, got {spec['stem_kernel']}")


def _check_tasks(config: dict) -> None:
    """Phases 2 and 3 train and compare binary classifiers of ``label`` only."""
    task = config["phase1"]["training"]["task"]
    if task != "binary":
        raise ConfigError(
            f"phase1.training.task: {task!r} is not supported: Phases 2 and 3 (train_sparse, "
            "evaluate_sparse, train_pipeline, compare_models) always run and judge binary classifiers "
            "of 'label'; use task: binary"
        )
    for phase in ("phase2", "phase3"):
        task = config[phase]["training"]["task"]
        if task != "binary":
            raise ConfigError(
                f"{phase}.training.task: {task!r} is not supported ({phase} trains binary classifiers "
                "of 'label' only); remove the key or use task: binary"
            )


def fewest_permutations(alpha: float) -> int:
    """Fewest null draws ``n`` whose smallest p-value ``1 / (n + 1)`` is below ``alpha``."""
    n = max(math.floor(1 / alpha) - 1, 1)
    while not 1 / (n + 1) < alpha:
        n += 1
    return n


def _check_null_draws(key: str, n: int, alpha_key: str, alpha: float, what: str) -> None:
    """``n`` null draws (config ``key``) give an empirical p of at least ``1 / (n + 1)``,
    which must be able to fall below ``alpha`` (config ``alpha_key``).

    ``what``: ``(draws, p, consequence, unit)`` words of the message, e.g. ``("null draws",
    "p", "the selection test can never be below", "permutations")``.
    """
    if 1 / (n + 1) < alpha:
        return
    draws, p, consequence, unit = what
    raise ConfigError(
        f"{key}: {n} {draws} give {p} >= 1/{n + 1} = {1 / (n + 1):.3g}, so {consequence} "
        f"{alpha_key} = {alpha:g}; use at least {fewest_permutations(alpha)} {unit}"
    )


def _check_phase2(phase2: dict) -> None:
    _check_null_draws(
        "phase2.n_permutations",
        phase2["n_permutations"],
        "phase2.criteria.alpha",
        phase2["criteria"]["alpha"],
        ("null draws", "p", "the selection test can never be below", "permutations"),
    )
    model = phase2["model"]
    if model["selector_kernel"] % 2 == 0:
        raise ConfigError(f"phase2.model.selector_kernel must be odd, got {model['selector_kernel']}")
    if model["position_dim"] % 2:
        raise ConfigError(f"phase2.model.position_dim must be even, got {model['position_dim']}")
    for name, selector in phase2["frontier"]["selectors"].items():
        kernel = selector.get("selector_kernel", model["selector_kernel"])
        if kernel % 2 == 0:
            raise ConfigError(f"phase2.frontier.selectors.{name}.selector_kernel must be odd, got {kernel}")
    if phase2["training"]["augment_rc"]:
        raise ConfigError(
            "phase2.training.augment_rc: the distillation targets are per-position teacher outputs, "
            "which do not follow a reverse-complemented sequence; use it in phase1/phase3 training only"
        )


def _check_denovo(denovo: dict) -> None:
    _check_null_draws(
        "denovo.n_shuffles",
        denovo["n_shuffles"],
        "denovo.alpha",
        denovo["alpha"],
        ("decoys", "shuffle_p", "no match could ever count at", "shuffles"),
    )


def _check_phase3(config: dict) -> None:
    """The verdict's primary test must be able to reach alpha with the seeds and data sets.

    The same rule as :func:`gsattn.verdicts.check_primary_reachable`, checked before any
    job runs: the exact Wilcoxon's smallest two-sided p is ``2 / 2**S``, and Holm over
    the data sets multiplies it by their number; the data set with the fewest seeds
    decides. One seed is allowed (smoke tests; every verdict is then inconclusive).
    """
    phase3, n_datasets = config["phase3"], len(config["datasets"])
    n_seeds = min(len(effective_seeds(config, name)) for name in config["datasets"])
    if phase3["pipeline"]["cnn_kernel"] % 2 == 0:
        raise ConfigError("phase3.pipeline.cnn_kernel must be odd")
    if phase3["primary_test"] != "wilcoxon" or n_seeds < 2:
        return
    smallest = n_datasets * 2.0 / 2**n_seeds
    if not smallest < phase3["alpha"]:
        raise ConfigError(
            f"phase3.primary_test: wilcoxon with {n_seeds} seeds and {n_datasets} data set(s) cannot "
            f"reach p < phase3.alpha = {phase3['alpha']:g} (smallest Holm-adjusted p {smallest:.3g}); "
            "use primary_test: paired_t or more seeds"
        )


def effective_seeds(config: dict, name: str) -> list[int]:
    """Model seeds of data set ``name``: its ``seeds`` (those of its ``models_from``
    source), else the top-level ``seeds``."""
    spec = config["datasets"][name]
    source = config["datasets"].get(spec.get("models_from") or name, spec)
    return source.get("seeds") or config["seeds"]


def _check_study_keys(config: dict) -> None:
    """Per-data-set ``phase1_models`` name known models (the reference among them);
    ``models_from`` names another data set that trains its own models, of the same
    length, and the reusing set sets neither ``seeds`` nor ``phase1_models`` of its own."""
    datasets, phase1 = config["datasets"], config["phase1"]
    for name, spec in datasets.items():
        where = f"datasets.{name}"
        chosen = spec.get("phase1_models")
        if chosen is not None:
            unknown = [m for m in chosen if m not in phase1["models"]]
            if unknown:
                raise ConfigError(
                    f"{where}.phase1_models: {unknown} not in phase1.models ({sorted(phase1['models'])})"
                )
            if phase1["reference"] not in chosen:
                raise ConfigError(
                    f"{where}.phase1_models: must include phase1.reference {phase1['reference']!r} "
                    "(every later phase builds on it)"
                )
        source = spec.get("models_from")
        if source is None:
            continue
        if source == name or source not in datasets:
            raise ConfigError(f"{where}.models_from: {source!r} is not another data set of 'datasets'")
        if datasets[source].get("models_from"):
            raise ConfigError(
                f"{where}.models_from: {source!r} reuses models itself; name the data set that trains them"
            )
        if datasets[source]["length"] != spec["length"]:
            raise ConfigError(
                f"{where}.models_from: length {spec['length']} differs from "
                f"{source}'s {datasets[source]['length']}"
            )
        for key in ("seeds", "phase1_models"):
            if spec.get(key) is not None:
                raise ConfigError(
                    f"{where}.{key}: a data set with models_from takes {source}'s {key}; remove it"
                )


def _check_expected_motifs(config: dict) -> None:
    """``expected_motifs.datasets`` names data sets of ``datasets`` and families of
    ``expected_motifs.families``; every family pattern is a valid regular expression."""
    expected = config["expected_motifs"]
    for family, pattern in expected["families"].items():
        try:
            re.compile(pattern)
        except re.error as err:
            raise ConfigError(
                f"expected_motifs.families.{family}: {pattern!r} is not a regular expression ({err})"
            ) from None
    for name, families in expected["datasets"].items():
        if name not in config["datasets"]:
            raise ConfigError(f"expected_motifs.datasets.{name}: not a data set of 'datasets'; remove it")
        unknown = [f for f in families if f not in expected["families"]]
        if unknown:
            raise ConfigError(
                f"expected_motifs.datasets.{name}: {unknown} not in expected_motifs.families "
                f"({sorted(expected['families'])})"
            )


def check_config(config: dict) -> None:
    """Raise :class:`ConfigError` for inconsistencies the schema cannot catch.

    Parameters
    ----------
    config : dict
        The validated config, defaults filled in.
    """
    for name, spec in config["datasets"].items():
        if name in RESERVED_DATASETS:
            raise ConfigError(
                f"datasets.{name}: {name!r} is reserved (results/phase2/{name}/ holds the scaling "
                "benchmark); rename the data set"
            )
        _check_split(name, spec["split"])
        if spec["type"] == "synthetic":
            _check_synthetic(name, spec)
        else:
            _check_fasta(name, spec)
    _check_phase1(config["phase1"])
    _check_study_keys(config)
    _check_tasks(config)
    _check_phase2(config["phase2"])
    _check_phase3(config)
    _check_denovo(config["denovo"])
    _check_expected_motifs(config)
