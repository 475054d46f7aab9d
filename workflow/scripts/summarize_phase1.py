"""Rule summarize_phase1: one data set's Phase 1 tables and figures for the report.

Gathers every model × seed: test metrics (per seed and mean ± SD over seeds),
motif recovery (per seed and summarised over seeds), the compute baseline, an
attention heat-map figure of example test sequences with their planted sites and
a motif-centred meta-profile of attention and saliency, and the design's Phase 1
criteria table (``criteria.tsv``), judged on the reference model:

* ``accuracy``: mean test accuracy over seeds with a two-level bootstrap CI
  (seeds, then test sequences; :func:`gsattn.stats.seed_sequence_bootstrap`).
  Seeds vary the initialisation and batch order; the data and split are fixed
  by the data set's seed. The rule, fixed before any run: ``holds`` when the
  CI's lower bound exceeds the threshold (``phase1.criteria.accuracy``, the
  design's 80 %), ``does not hold`` when the mean does not exceed it,
  ``inconclusive`` otherwise.
* ``accuracy_fraction_of_oracle``: the same mean (and CI) divided by the test
  accuracy of the PWM-scan OR rule that knows the planted matrices
  (``pwm_oracle.tsv``, the same test split): how much of the reachable accuracy
  the model reaches. Reported, no threshold.
* ``attention_on_motifs``: the top-1 attended position (mean over heads) lies
  in a predictive (or known) site more often than chance, exact
  Poisson-binomial test, in every seed at ``phase1.criteria.alpha``.
* ``compute_baseline``: closed-form FLOPs per sequence of the reference
  model at the trained length (reported, no threshold).

The per-model tables carry their own ``dataset``, ``model`` and ``seed``
columns; for the ``hparams.json`` and ``attributions.npz`` files the rule passes
their ``model`` and ``seed`` in the same order (``params.models``).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import json
import logging
from collections import defaultdict
from pathlib import Path

import numpy as np

from gsattn.datasets import load_encoded
from gsattn.io import atomic_outputs, read_table, write_table
from gsattn.logs import rule_logging
from gsattn.plots import attention_maps_figure, meta_profile_figure, motif_centred_profile
from gsattn.stats import accuracy_from_logits, seed_sequence_bootstrap

log = logging.getLogger("summarize_phase1")
RECOVERY_KEYS = ("method", "head", "group", "subset", "motif", "role", "metric")
FLANK = 25


def gather(paths: list[str], **filters) -> list[dict]:
    """Rows of every per-model table (each row with its ``model`` and ``seed``)."""
    rows = [r for path in paths for r in read_table(path)]
    return [r for r in rows if all(r[k] == v for k, v in filters.items())]


def across_seeds(rows: list[dict], keys: tuple[str, ...], value: str) -> list[dict]:
    """Mean, SD, min and max of ``value`` over seeds for each ``keys`` group."""
    groups = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(r)
    out = []
    for key, members in groups.items():
        values = np.array([m[value] for m in members], dtype=float)
        row = dict(zip(keys, key, strict=True)) | {"n_seeds": len(members), "mean": float(np.nanmean(values))}
        row |= {"sd": float(np.nanstd(values, ddof=1)) if len(values) > 1 else float("nan")}
        row |= {"min": float(np.nanmin(values)), "max": float(np.nanmax(values))}
        if "p_value" in members[0]:
            p = np.array([m["p_value"] for m in members], dtype=float)
            row |= {"chance": float(np.nanmean([m["chance"] for m in members]))}
            row |= {"p_max": float(np.nanmax(p)) if np.isfinite(p).any() else float("nan")}
            row |= {"seeds_p_below_0.01": int(np.sum(p < 0.01))}
        out.append(row)
    return out


def metrics_tables(paths: list[str], hparams: list[str], models: list[dict]) -> tuple[list[dict], list[dict]]:
    """Per-seed test metrics (with epochs, training time and the device it was measured
    on: :func:`trained_on`) and their summary; ``models[i]`` holds the ``model`` and
    ``seed`` of ``hparams[i]``."""
    info = {
        (m["model"], m["seed"]): json.loads(Path(p).read_text()) for m, p in zip(models, hparams, strict=True)
    }
    rows = gather(paths, split="test")
    for r in rows:
        h = info[(r["model"], r["seed"])]
        r |= {
            "best_epoch": h["best_epoch"],
            "train_seconds": h["train_seconds"],
            "parameters": h["n_parameters"],
            "device": trained_on(h),
        }
    return rows, across_seeds(rows, ("model", "metric"), "value")


def trained_on(hparams: dict) -> str:
    """``cpu``, ``cuda (<GPU name>)``, or ``NA`` for a model whose hparams name no device."""
    device = str(hparams.get("device") or "NA")
    return f"{device} ({hparams['gpu']})" if hparams.get("gpu") else device


def example_rows(data: dict, rows: np.ndarray, roles: list[str], n: int = 4) -> list[int]:
    """Indices into ``rows`` for the heat maps: half with a predictive (or known) site, half negatives."""
    recovered = [j for j, r in enumerate(roles) if r in ("predictive", "known")]
    with_site = [i for i, row in enumerate(rows) if np.isin(data["motif_index"][row], recovered).any()]
    negative = [i for i, row in enumerate(rows) if data["labels"][row] == 0 and i not in with_site]
    pick = with_site[: n // 2] + negative[: n - min(len(with_site), n // 2)]
    return sorted(pick) or list(range(min(n, len(rows))))


def figures(
    data: dict, truth_path: str, attributions: list[str], models: list[dict], reference: str, out: dict
) -> None:
    """Heat maps (reference model, first seed) and meta-profiles (all models, mean over seeds);
    ``models[i]`` holds the ``model`` of ``attributions[i]``."""
    roles = [str(r) for r in data["motif_roles"]]
    with np.load(truth_path, allow_pickle=False) as truth:
        rows, maps, received = truth["map_rows"], truth["maps"], truth["received"]
        pick = example_rows(data, rows, roles)
        if pick:
            chosen = rows[pick]
            titles = [f"{data['ids'][r]} (label {data['labels'][r]})" for r in chosen]
            attention_maps_figure(
                maps[pick].astype(np.float32).mean(axis=1),
                received[chosen].mean(axis=1),
                data["motif_index"][chosen],
                roles,
                titles,
                out["maps"],
            )
        else:
            attention_maps_figure(
                np.zeros((1, 2, 2)), np.zeros((1, 2)), -np.ones((1, 2), int), roles, ["none"], out["maps"]
            )
    profiles: dict[str, dict[str, np.ndarray]] = {}
    by_model = defaultdict(list)
    for key, path in zip(models, attributions, strict=True):
        by_model[key["model"]].append(path)
    for name, paths in sorted(by_model.items(), key=lambda kv: kv[0] != reference):
        lines: dict[str, list] = defaultdict(list)
        for path in paths:
            with np.load(path, allow_pickle=False) as attr:
                test = attr["rows"]
                for method in ("attention", "saliency"):
                    for role in ("predictive", "known", "decoy"):
                        ids = [j for j, r in enumerate(roles) if r == role]
                        if not ids:
                            continue
                        prof, n = motif_centred_profile(
                            attr[method], data["motif_index"][test], data["lengths"][test], ids, FLANK
                        )
                        if n:
                            lines[f"{method}, {role}"].append(prof)
        profiles[name] = {k: np.nanmean(v, axis=0) for k, v in lines.items()}
    meta_profile_figure(profiles, FLANK, out["profile"])


def judge(point: float, low: float, threshold: float) -> str:
    """holds / inconclusive / does not hold for a 'more than threshold' claim."""
    if not np.isfinite(point) or point <= threshold:
        return "does not hold"
    return "holds" if np.isfinite(low) and low > threshold else "inconclusive"


def criterion(name: str, measured, low, high, threshold, verdict: str, evidence: str) -> dict:
    return {
        "criterion": name,
        "measured": measured,
        "ci_low": low,
        "ci_high": high,
        "threshold": threshold,
        "verdict": verdict,
        "evidence": evidence,
    }


def test_logits(truths: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Test labels ``(N,)`` and logits ``(N, S)`` of the reference model, one column per seed."""
    columns, rows = [], None
    for path in truths:
        with np.load(path, allow_pickle=False) as truth:
            test = truth["split"] == "test"
            if rows is not None and not np.array_equal(truth["ids"][test], rows):
                raise ValueError(f"{path}: test sequences differ between seeds")
            rows = truth["ids"][test]
            columns.append(truth["logits"][test].astype(np.float64))
    return rows, np.stack(columns, axis=1)


def _test_labels(data: dict, ids: np.ndarray) -> np.ndarray:
    """Labels ``(N,)`` of the sequences ``ids`` of ``data``."""
    order = {str(i): j for j, i in enumerate(data["ids"])}
    return data["labels"][[order[str(i)] for i in ids]].astype(int)


def own_test_logits(draws: list[dict], truths: list[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``data_seeds``: labels and logits ``(N_s,)`` of each seed on its own test set
    (``draws[i]``: the encoded data of the seed of ``truths[i]``)."""
    labels, logits = [], []
    for data, path in zip(draws, truths, strict=True):
        with np.load(path, allow_pickle=False) as truth:
            test = truth["split"] == "test"
            labels.append(_test_labels(data, truth["ids"][test]))
            logits.append(truth["logits"][test].astype(np.float64))
    return labels, logits


def accuracy_criteria(
    data: dict, truths: list[str], oracle: list[dict], criteria: dict, draws: list[dict] | None = None
) -> list[dict]:
    """``accuracy`` and ``accuracy_fraction_of_oracle`` rows of the reference model.

    ``draws`` (``data_seeds``): each seed's own encoded data, in the order of
    ``truths``; each seed is then scored on its own test set, and the oracle
    ceiling is the mean of the seeds' own oracles (``oracle`` holds every draw's rows).
    """
    if draws is None:
        ids, logits = test_logits(truths)
        y = _test_labels(data, ids)
        r = seed_sequence_bootstrap(y, logits, accuracy_from_logits, n_boot=criteria["n_boot"], seed=0)
        per_seed = [accuracy_from_logits(y, logits[:, c]) for c in range(logits.shape[1])]
    else:
        y, columns = own_test_logits(draws, truths)
        r = seed_sequence_bootstrap(
            y, columns, accuracy_from_logits, n_boot=criteria["n_boot"], seed=0, own_test_sets=True
        )
        per_seed = [accuracy_from_logits(yc, sc) for yc, sc in zip(y, columns, strict=True)]
    threshold = criteria["accuracy"]
    above = sum(a > threshold for a in per_seed)
    sd = np.std(per_seed, ddof=1) if len(per_seed) > 1 else np.nan
    rows = [
        criterion(
            "accuracy",
            r["mean"],
            r["ci_low"],
            r["ci_high"],
            threshold,
            judge(r["mean"], r["ci_low"], threshold),
            f"mean over {r['n_seeds']} seeds (SD {sd:.3f}, "
            f"{above} of {len(per_seed)} seeds above {threshold:g}) on {r['n']} test sequences; "
            "95% two-level bootstrap CI (seeds, then sequences)",
        )
    ]
    ceiling = [o["value"] for o in oracle if o["classifier"] == "or_rule" and o["metric"] == "accuracy"]
    if ceiling:
        c = float(ceiling[0]) if draws is None else float(np.mean([float(v) for v in ceiling]))
        rows.append(
            criterion(
                "accuracy_fraction_of_oracle",
                r["mean"] / c,
                r["ci_low"] / c,
                r["ci_high"] / c,
                np.nan,
                "reported",
                f"mean accuracy / PWM-scan OR-rule accuracy {c:.3f} on the same test split"
                + ("" if draws is None else " (mean over the seeds' own draws)"),
            )
        )
    return rows


def attention_criterion(recovery: list[dict], reference: str, seeds: int, alpha: float) -> dict:
    """Top-1 attended position (mean over heads) in a predictive/known site above chance, every seed."""
    rows = [
        r
        for r in recovery
        if r["model"] == reference
        and r["method"] == "attention"
        and str(r["head"]) == "mean"
        and (r["group"], r["subset"], r["motif"], r["metric"]) == ("recovery", "all", "all", "top1")
    ]
    if not rows:
        return criterion("attention_on_motifs", np.nan, np.nan, np.nan, alpha, "not tested", "no known sites")
    p = np.array([r["p_value"] for r in rows], dtype=float)
    hits = np.array([r["mean"] for r in rows], dtype=float)
    chance = float(np.mean([r["chance"] for r in rows]))
    holds = len(rows) == seeds and bool((p < alpha).all())
    return criterion(
        "attention_on_motifs",
        float(hits.mean()),
        float(hits.min()),
        float(hits.max()),
        alpha,
        "holds" if holds else "does not hold",
        f"top-1 attended position inside a site: mean hit rate over {len(rows)} seeds "
        "(min and max as the CI columns) "
        f"vs chance {chance:.3f}; largest p {p.max():.2g} (exact Poisson-binomial, threshold = alpha)",
    )


def compute_criterion(compute: list[dict], reference: str) -> dict:
    flops = [r["value"] for r in compute if r["model"] == reference and r["metric"] == "flops_analytical"]
    value = float(flops[0]) if flops else np.nan
    return criterion(
        "compute_baseline",
        value,
        np.nan,
        np.nan,
        np.nan,
        "reported",
        "closed-form FLOPs per sequence of the reference model at the trained length",
    )


def criteria_rows(data, inputs, recovery, compute, reference, criteria, classification) -> list[dict]:
    """The design's Phase 1 criteria of one data set (see the module docstring)."""
    if classification:
        if inputs.get("draws"):
            oracle = [row for path in inputs["oracle"] for row in read_table(path)]
            rows = accuracy_criteria(data, inputs["truths"], oracle, criteria, inputs["draws"])
        else:
            rows = accuracy_criteria(data, inputs["truths"], read_table(inputs["oracle"]), criteria)
    else:
        rows = [
            criterion("accuracy", np.nan, np.nan, np.nan, criteria["accuracy"], "not tested", "regression")
        ]
    seeds = len(inputs["truths"])
    rows.append(attention_criterion(recovery, reference, seeds, criteria["alpha"]))
    rows.append(compute_criterion(compute, reference))
    for row in rows:
        log.info("criterion %s: %s (%s)", row["criterion"], row["verdict"], row["measured"])
    return rows


def run(inputs: dict, models: list[dict], reference: str, out: dict, criteria: dict) -> None:
    """Write the summary tables and figures of one data set's Phase 1 (``models``: the
    ``model`` and ``seed`` of each of ``inputs["hparams"]`` and ``inputs["attributions"]``)."""
    if isinstance(inputs["encoded"], str):
        data = load_encoded(inputs["encoded"])
    else:  # data_seeds: one file per seed, in seed order; figures use the first seed's
        inputs["draws"] = [load_encoded(path) for path in inputs["encoded"]]
        data = inputs["draws"][0]
    per_seed, summary = metrics_tables(inputs["metrics"], inputs["hparams"], models)
    recovery = gather(inputs["recovery"])
    recovery_summary = across_seeds(recovery, ("model", *RECOVERY_KEYS), "mean")
    compute = gather(inputs["compute"])
    classification = any(r["metric"] == "accuracy" for r in per_seed)
    table = criteria_rows(data, inputs, recovery, compute, reference, criteria, classification)
    names = (
        "metrics",
        "metrics_summary",
        "recovery",
        "recovery_summary",
        "compute",
        "maps",
        "profile",
        "criteria",
    )
    with atomic_outputs(*(out[n] for n in names)) as paths:
        tmp = dict(zip(names, paths, strict=True))
        named = (
            ("metrics", per_seed),
            ("metrics_summary", summary),
            ("compute", compute),
            ("criteria", table),
        )
        for name, rows in named:
            with open(tmp[name], "w") as handle:
                write_table(handle, rows)
        for name, rows in (("recovery", recovery), ("recovery_summary", recovery_summary)):
            with open(tmp[name], "w") as handle:
                if rows:
                    write_table(handle, rows)
                else:
                    handle.write("model\tnote\n" + "-\tno ground-truth sites in this data set\n")
        figures(
            data,
            inputs["truth"],
            inputs["attributions"],
            models,
            reference,
            {k: str(tmp[k]) for k in ("maps", "profile")},
        )
    for row in summary:
        if row["metric"] in ("accuracy", "auroc", "pearson"):
            log.info(
                "%s %s: %.3f ± %.3f over %d seeds",
                row["model"],
                row["metric"],
                row["mean"],
                row["sd"],
                row["n_seeds"],
            )


def main(smk) -> None:
    inputs = {k: smk.input[k] for k in ("metrics", "hparams", "recovery", "attributions", "compute")}
    if smk.params.data_seeds:
        inputs |= {"encoded": list(smk.input.encoded), "oracle": list(smk.input.oracle)}
    else:
        inputs |= {"encoded": smk.input.encoded, "oracle": smk.input.oracle}
    inputs |= {"truth": smk.input.truth, "truths": list(smk.input.truths)}
    names = ("metrics", "metrics_summary", "recovery", "recovery_summary", "compute", "maps", "profile")
    with rule_logging(smk.log[0], "summarize_phase1"):
        run(
            inputs,
            list(smk.params.models),
            smk.params.reference,
            {k: smk.output[k] for k in (*names, "criteria")},
            smk.params.criteria,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
