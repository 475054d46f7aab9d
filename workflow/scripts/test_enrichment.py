"""Rule test_enrichment: do the selected positions hold known JASPAR motifs?

For one data set (``params.plan``: ``rhos`` and, per seed, the paths of its files,
built by ``get_enrichment_plan`` in ``common.smk``) and the hits of its JASPAR scan
(rule scan_motifs), each position set is tested against every scanned motif
(:mod:`gsattn.enrichment`: each motif site one stratum, the sequence holding it against
the other sequences of its length and class, the outcome "the sequence's set touches the
site";
Cochran–Mantel–Haenszel, one-sided; Mantel–Haenszel odds ratio with its RBG 95 % CI;
BH across motifs).
The sets, at each ρ with ``k`` = the student's number of kept positions, on the test
sequences the sets were computed on:

* ``sparse`` – the positions the Phase 2 student (attention teacher) keeps
  (``predictions.npz``: ``rows``, ``index``, ``valid``);
* ``attention`` – the top ``k`` of the attention each position contributes to the
  reference model's pooled vector, mean over heads (``ground_truth.npz``: ``received``),
  on the student's test rows;
* ``saliency`` – the top ``k`` of |gradient×input| (Phase 1 ``attributions.npz``, test rows);
* ``ism`` – the top ``k`` of in-silico mutagenesis (Phase 3 interpretation of the
  attention model: test sequences holding a site, so absent for data sets without
  sites; logged and left out then);
* ``random`` – the same number of positions per sequence as ``sparse``, uniformly at
  random among its valid positions (``numpy.random.default_rng([enrichment.seed,
  model seed, index of ρ])``): the calibration row.

Seeds are pooled by taking the strata (sites) of every seed together:
``positions.tsv`` (``seed = all``, one ranked list per set and ρ) is the table to
read; ``positions_per_seed.tsv`` holds the same test per seed. ``classes.tsv``:
per motif, positive against negative sequences with at least one hit (all splits;
Fisher's exact test, one-sided; Woolf CI; BH), per draw (``seed = all`` unless
``data_seeds``). Every table names the motif's planted role on synthetic data
(``planted``: predictive, decoy; empty otherwise).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

from gsattn.datasets import load_encoded
from gsattn.enrichment import (
    add_summaries,
    class_rows,
    merge_sites,
    ranked_rows,
    read_hits,
    sequences_with_hit,
    set_summary,
)
from gsattn.io import read_table, write_tables
from gsattn.logs import rule_logging
from gsattn.position_sets import SETS, seed_sets

log = logging.getLogger("test_enrichment")


def motif_list(path: str) -> list[dict]:
    """The scanned matrices (``scan_motifs``'s motif list), in scan order."""
    return read_table(path)


def planted_roles(path: str) -> dict[str, str]:
    """``matrix_id → role`` of the motifs planted in a synthetic data set (empty otherwise)."""
    return {str(r["matrix_id"]): str(r["role"]) for r in read_table(path) if r.get("matrix_id")}


def _named(rows: list[dict], ids: dict, motifs: list[dict], roles: dict) -> list[dict]:
    out = []
    for row in rows:
        m = motifs[row["motif"]]
        rest = {k: v for k, v in row.items() if k not in ("rank", "motif")}
        named = {"rank": row["rank"], "matrix_id": m["matrix_id"], "name": m["name"]}
        out.append(ids | named | {"planted": roles.get(m["matrix_id"], "")} | rest)
    return out


def enrichment_tables(plan: dict, spec: dict, dataset: str) -> tuple[list, list, list]:
    """Rows of ``positions.tsv``, ``positions_per_seed.tsv`` and ``classes.tsv``."""
    rhos, entries = plan["rhos"], plan["seeds"]
    motifs = motif_list(entries[0]["motifs"])
    matrix_ids = [str(m["matrix_id"]) for m in motifs]
    summaries: dict[tuple, list] = {}
    per_seed, classes = [], []
    shared = len({e["encoded"] for e in entries}) == 1
    for entry in entries:
        if [str(m["matrix_id"]) for m in motif_list(entry["motifs"])] != matrix_ids:
            raise ValueError(
                f"{entry['motifs']}: other matrices than {entries[0]['motifs']}; re-run scan_motifs"
            )
        data = load_encoded(entry["encoded"])
        roles = planted_roles(entry["planted"])
        hits = read_hits(entry["hits"], matrix_ids)
        sites = merge_sites(hits)
        for (name, rho), (selected, universe) in seed_sets(entry, rhos, data, spec["seed"]).items():
            summary = set_summary(hits, sites, selected, universe, len(matrix_ids), data["labels"])
            summaries.setdefault((name, rho), []).append(summary)
            ids = {"dataset": dataset, "set": name, "rho": rho, "seed": entry["seed"]}
            per_seed += _named(ranked_rows(summary, spec["alpha"]), ids, motifs, roles)
        if not shared or entry is entries[0]:
            present = sequences_with_hit(hits, len(matrix_ids), len(data["labels"]))
            ids = {"dataset": dataset, "seed": "all" if shared else entry["seed"]}
            classes += _named(class_rows(present, data["labels"], spec["alpha"]), ids, motifs, roles)
    pooled = []
    for name in SETS:
        for rho in rhos:
            if (name, rho) not in summaries:
                log.info("set %s at rho %s: no scores (no sequence with a site); left out", name, rho)
                continue
            ids = {"dataset": dataset, "set": name, "rho": rho, "seed": "all"}
            pooled += _named(
                ranked_rows(add_summaries(summaries[(name, rho)]), spec["alpha"]), ids, motifs, roles
            )
    return pooled, per_seed, classes


def run(plan: dict, spec: dict, dataset: str, out: dict) -> None:
    """Test every position set of ``plan`` and write ``out``'s three tables (all or none)."""
    pooled, per_seed, classes = enrichment_tables(plan, spec, dataset)
    for row in pooled:
        if row["rank"] <= 3:
            log.info(
                "%s rho %s: #%d %s %s OR %.3g p_adj %.3g",
                row["set"],
                row["rho"],
                row["rank"],
                row["matrix_id"],
                row["name"],
                row["odds_ratio"],
                row["p_adjusted"],
            )
    write_tables({out["positions"]: pooled, out["per_seed"]: per_seed, out["classes"]: classes})


def main(smk) -> None:
    with rule_logging(smk.log[0], "test_enrichment"):
        out = {
            "positions": smk.output.positions,
            "per_seed": smk.output.per_seed,
            "classes": smk.output.classes,
        }
        run(dict(smk.params.plan), dict(smk.params.enrichment), smk.params.dataset, out)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
