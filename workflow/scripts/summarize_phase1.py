"""Rule summarize_phase1: one data set's Phase 1 tables and figures for the report.

Gathers every variant × seed: test metrics (per seed and mean ± SD over seeds),
motif recovery (per seed and summarised over seeds), the compute baseline, an
attention heat-map figure of example test sequences with their planted sites and
a motif-centred meta-profile of attention and saliency.
"""

import json
import logging
from collections import defaultdict
from pathlib import Path

import numpy as np

from gsattn.datasets import load_encoded
from gsattn.io import atomic_outputs, read_table, write_table
from gsattn.logs import rule_logging
from gsattn.plots import attention_maps_figure, meta_profile_figure, motif_centred_profile

log = logging.getLogger("summarize_phase1")
RECOVERY_KEYS = ("method", "head", "group", "subset", "motif", "role", "metric")
FLANK = 25


def model_dir(path: str) -> tuple[str, int]:
    """``.../<variant>/seed<seed>/file`` → (variant, seed)."""
    parts = Path(path).parts
    return parts[-3], int(parts[-2].removeprefix("seed"))


def gather(paths: list[str], **filters) -> list[dict]:
    """Rows of every per-model table, tagged with variant and seed."""
    rows = []
    for path in paths:
        variant, seed = model_dir(path)
        rows += [{"variant": variant, "seed": seed, **r} for r in read_table(path)]
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


def metrics_tables(paths: list[str], hparams: list[str]) -> tuple[list[dict], list[dict]]:
    """Per-seed test metrics (with epochs and training time) and their summary."""
    info = {model_dir(p): json.loads(Path(p).read_text()) for p in hparams}
    rows = gather(paths, split="test")
    for r in rows:
        h = info[(r["variant"], r["seed"])]
        r |= {
            "best_epoch": h["best_epoch"],
            "train_seconds": h["train_seconds"],
            "parameters": h["n_parameters"],
        }
    return rows, across_seeds(rows, ("variant", "metric"), "value")


def example_rows(data: dict, rows: np.ndarray, roles: list[str], n: int = 4) -> list[int]:
    """Indices into ``rows`` for the heat maps: half with a predictive (or known) site, half negatives."""
    recovered = [j for j, r in enumerate(roles) if r in ("predictive", "known")]
    with_site = [i for i, row in enumerate(rows) if np.isin(data["motif_index"][row], recovered).any()]
    negative = [i for i, row in enumerate(rows) if data["labels"][row] == 0 and i not in with_site]
    pick = with_site[: n // 2] + negative[: n - min(len(with_site), n // 2)]
    return sorted(pick) or list(range(min(n, len(rows))))


def figures(data: dict, truth_path: str, attributions: list[str], reference: str, out: dict) -> None:
    """Heat maps (reference variant, first seed) and meta-profiles (all variants, mean over seeds)."""
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
    by_variant = defaultdict(list)
    for path in attributions:
        by_variant[model_dir(path)[0]].append(path)
    for variant, paths in sorted(by_variant.items(), key=lambda kv: kv[0] != reference):
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
        profiles[variant] = {k: np.nanmean(v, axis=0) for k, v in lines.items()}
    meta_profile_figure(profiles, FLANK, out["profile"])


def run(inputs: dict, reference: str, out: dict) -> None:
    """Write the summary tables and figures of one data set's Phase 1."""
    data = load_encoded(inputs["encoded"])
    per_seed, summary = metrics_tables(inputs["metrics"], inputs["hparams"])
    recovery = gather(inputs["recovery"])
    recovery_summary = across_seeds(recovery, ("variant", *RECOVERY_KEYS), "mean")
    compute = []
    for path in inputs["compute"]:
        variant = Path(path).parts[-2]
        compute += [{"variant": variant, **r} for r in read_table(path)]
    names = ("metrics", "metrics_summary", "recovery", "recovery_summary", "compute", "maps", "profile")
    with atomic_outputs(*(out[n] for n in names)) as paths:
        tmp = dict(zip(names, paths, strict=True))
        for name, rows in (("metrics", per_seed), ("metrics_summary", summary), ("compute", compute)):
            with open(tmp[name], "w") as handle:
                write_table(handle, rows)
        for name, rows in (("recovery", recovery), ("recovery_summary", recovery_summary)):
            with open(tmp[name], "w") as handle:
                if rows:
                    write_table(handle, rows)
                else:
                    handle.write("variant\tnote\n" + "-\tno ground-truth sites in this data set\n")
        figures(
            data,
            inputs["truth"],
            inputs["attributions"],
            reference,
            {k: str(tmp[k]) for k in ("maps", "profile")},
        )
    for row in summary:
        if row["metric"] in ("accuracy", "auroc", "pearson"):
            log.info(
                "%s %s: %.3f ± %.3f over %d seeds",
                row["variant"],
                row["metric"],
                row["mean"],
                row["sd"],
                row["n_seeds"],
            )


def main(smk) -> None:
    inputs = {k: smk.input[k] for k in ("metrics", "hparams", "recovery", "attributions", "compute")}
    inputs |= {"encoded": smk.input.encoded, "truth": smk.input.truth}
    names = ("metrics", "metrics_summary", "recovery", "recovery_summary", "compute", "maps", "profile")
    with rule_logging(smk.log[0], "summarize_phase1"):
        run(inputs, smk.params.reference, {k: smk.output[k] for k in names})


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
