"""Rule profile_tss: where do the position sets fall relative to the promoter's TSS?

For one data set with a ``tss_index`` (``params.tss``: ``index`` and ``groups``), the
position sets of rule test_enrichment (the same plan, built by
:func:`gsattn.position_sets.seed_sets`: sparse at each ρ, attention, saliency, ism,
random) are counted per position relative to the TSS and per group of sequences
(:mod:`gsattn.tss`: the negatives, and the positives by the file of the labels'
``origin`` column), pooled over seeds:

* ``tss_profile.tsv`` – per set, ρ, group and position: ``fraction`` of the sequences
  whose set holds the position (each sequence once per seed), ``uniform_fraction``
  (the same for a position-uniform set of the same size per sequence), ``n_sequences``;
* ``tss_region.tsv`` – per set, ρ and group: the share of the set inside −35..−20
  against a position-uniform set's, one-sided exact binomial test, BH across rows;
* ``tss_profile.png`` – the profiles, one panel per set and ρ, the region shaded.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import csv
import logging

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gsattn.datasets import load_encoded  # noqa: E402
from gsattn.io import atomic_outputs, write_table  # noqa: E402
from gsattn.logs import rule_logging  # noqa: E402
from gsattn.position_sets import SETS, seed_sets  # noqa: E402
from gsattn.tss import (  # noqa: E402
    NEGATIVE,
    REGION,
    accumulate,
    adjust_rows,
    profile_rows,
    region_mask,
    region_rows,
    sequence_groups,
)

log = logging.getLogger("profile_tss")


def read_origins(path: str) -> dict[str, str]:
    """``id → origin`` of a labels TSV (empty when it has no ``origin`` column)."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        if "origin" not in (reader.fieldnames or []):
            log.info("%s: no origin column; every positive is one group", path)
            return {}
        return {row["id"]: row["origin"] for row in reader}


def pooled_counts(plan: dict, seed: int, tss: dict, origins: dict) -> dict[tuple, dict]:
    """``(set, rho) → {group → Counts}`` over every seed of ``plan``."""
    pooled: dict[tuple, dict] = {}
    for entry in plan["seeds"]:
        data = load_encoded(entry["encoded"])
        groups = sequence_groups(data["ids"], data["labels"], origins, tss["groups"])
        unmatched = sorted({str(i) for i in data["ids"].tolist()} - set(origins)) if origins else []
        if unmatched:
            raise ValueError(f"{tss['labels']}: no row for sequence {unmatched[0]} of {entry['encoded']}")
        region = region_mask(data["tokens"].shape[1], int(tss["index"]))
        for key, (selected, universe) in seed_sets(entry, plan["rhos"], data, seed).items():
            accumulate(pooled.setdefault(key, {}), selected, universe, groups, region)
    return pooled


def tables(pooled: dict, dataset: str, tss_index: int, alpha: float) -> tuple[list, list]:
    """Rows of ``tss_profile.tsv`` and ``tss_region.tsv`` in set and ρ order."""
    profile, region = [], []
    for (name, rho), counts in sorted(pooled.items(), key=lambda kv: (SETS.index(kv[0][0]), kv[0][1])):
        ids = {"dataset": dataset, "set": name, "rho": rho}
        ordered = dict(sorted(counts.items(), key=lambda kv: (kv[0] == NEGATIVE, kv[0])))
        profile += profile_rows(ids, ordered, tss_index)
        region += region_rows(ids, ordered)
    return profile, adjust_rows(region, alpha)


def profile_figure(rows: list[dict], path: str) -> None:
    """Selection frequency vs position relative to the TSS: one panel per set (rows) and ρ (columns)."""
    sets = list(dict.fromkeys(r["set"] for r in rows))
    rhos = list(dict.fromkeys(r["rho"] for r in rows))
    fig, axes = plt.subplots(
        len(sets), len(rhos), figsize=(3.6 * len(rhos), 2.4 * len(sets)), squeeze=False, sharex=True
    )
    for i, name in enumerate(sets):
        for j, rho in enumerate(rhos):
            ax = axes[i, j]
            panel = [r for r in rows if r["set"] == name and r["rho"] == rho]
            ax.axvspan(REGION[0], REGION[1], color="gold", alpha=0.3, lw=0)
            for group in dict.fromkeys(r["group"] for r in panel):
                line = [r for r in panel if r["group"] == group]
                x = np.array([r["position"] for r in line])
                ax.plot(x, [r["fraction"] for r in line], lw=0.9, label=group)
            if panel:
                uniform = [r["uniform_fraction"] for r in line]
                ax.plot(x, uniform, color="black", lw=0.6, ls="--", label="uniform")
            ax.axvline(0, color="grey", lw=0.6)
            ax.set_title(f"{name}, ρ = {rho:g}", fontsize=9)
            if j == 0:
                ax.set_ylabel("fraction of sequences")
            if i == len(sets) - 1:
                ax.set_xlabel("position relative to TSS (bp)")
    axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def run(plan: dict, spec: dict, dataset: str, tss: dict, out: dict) -> None:
    """Count, test and draw the TSS profile of ``plan``'s sets; write ``out``'s three files (all or none)."""
    origins = read_origins(tss["labels"])
    pooled = pooled_counts(plan, int(spec["seed"]), tss, origins)
    profile, region = tables(pooled, dataset, int(tss["index"]), float(spec["alpha"]))
    for r in region:
        log.info(
            "%s rho %s %s: %d/%d in %s (share %.4f, uniform %.4f) p %.3g p_adj %.3g",
            r["set"], r["rho"], r["group"], r["in_region"], r["n_selected"], r["region"],
            r["share"], r["expected_share"], r["p"], r["p_adjusted"],
        )  # fmt: skip
    with atomic_outputs(out["profile"], out["region"], out["figure"]) as temps:
        for tmp, rows in zip(temps[:2], (profile, region), strict=True):
            with open(tmp, "w") as handle:
                write_table(handle, rows)
        profile_figure(profile, str(temps[2]))


def main(smk) -> None:
    with rule_logging(smk.log[0], "profile_tss"):
        out = {"profile": smk.output.profile, "region": smk.output.region, "figure": smk.output.figure}
        run(dict(smk.params.plan), dict(smk.params.enrichment), smk.params.dataset, dict(smk.params.tss), out)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
