"""Rule summarize_frontier: the selector-cost frontier of one data set and teacher.

Reads, for every selector of the grid (config ``phase2.frontier.selectors``, in
grid order), its Phase 2 criteria table and metric summary (rules
summarize_frontier_selector / measure_frontier_fields over the frontier's
seeds), its compute profile at every rho and its students' validation logits,
and writes (:mod:`gsattn.frontier`):

* ``frontier.tsv``: one row per selector and rho (accuracy fraction with its CI,
  validation accuracy fraction, fidelity, selection, FLOPs, time, share of the
  sequence seen, the lengths from which the compute reduction passes);
* ``criteria.tsv``: the design point of each rho (chosen on validation by the
  rule of :func:`gsattn.frontier.choose_design_points`) with its test-split
  criteria, and whether any point reaches the design's target;
* ``frontier.png``: accuracy fraction against compute reduction, one curve per rho.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import numpy as np

from gsattn.flops import attention_flops
from gsattn.frontier import (
    choose_design_points,
    criteria_by_rho,
    frontier_criteria,
    frontier_figure,
    passes_from,
    point_row,
    validation_fraction,
)
from gsattn.io import atomic_outputs, read_table, write_table
from gsattn.logs import rule_logging
from gsattn.models import ModelConfig
from gsattn.sparse import SparseConfig


def validation_logits(paths: list[str]) -> tuple[list, list, list]:
    """Per seed: validation labels and teacher / student logits saved by evaluate_sparse."""
    labels, full, sparse = [], [], []
    for path in paths:
        with np.load(path, allow_pickle=False) as p:
            labels.append(p["val_labels"].astype(int))
            full.append(p["val_full_logits"].astype(float))
            sparse.append(p["val_sparse_logits"].astype(float))
    return labels, full, sparse


def length_facts(
    options: dict, rho: float, length: int, teacher: ModelConfig, threshold: float, max_length: int
):
    """Teacher FLOPs at the trained length and the lengths from which the reductions pass."""
    config = SparseConfig(rho=rho, max_len=length, **options)
    return {
        "teacher_flops": attention_flops(teacher, length)["total"],
        "passes_from_length": passes_from(config, teacher, threshold, max_length),
        "passes_from_length_attention_block": passes_from(config, teacher, threshold, max_length, block=True),
    }


def grid_rows(inputs: dict, p: dict) -> tuple[list[dict], dict[str, list[dict]]]:
    """Frontier rows (grid order, then rho) and each selector's criteria table."""
    rhos, seeds, selectors = p["rhos"], p["seeds"], p["selectors"]
    teacher = ModelConfig(**p["teacher_model"])
    compute = iter(inputs["compute"])
    predictions = iter(inputs["predictions"])
    rows, tables = [], {}
    for selector, crit_path, metric_path in zip(
        selectors, inputs["criteria"], inputs["metrics"], strict=True
    ):
        name, options = selector["name"], selector["options"]
        tables[name] = read_table(crit_path)
        criteria = criteria_by_rho(tables[name])
        metrics = {(float(r["rho"]), r["metric"]): r["mean"] for r in read_table(metric_path)}
        for rho in rhos:
            profile = {r["metric"]: r["value"] for r in read_table(next(compute))}
            val = validation_logits([next(predictions) for _ in seeds])
            facts = length_facts(
                options,
                rho,
                int(profile["length"]),
                teacher,
                p["criteria"]["compute_reduction"],
                p["max_length"],
            )
            rows.append(
                point_row(name, options, rho, criteria, metrics, profile, validation_fraction(*val), facts)
            )
    return rows, tables


def run(inputs: dict, params: dict, out: dict) -> None:
    """Write the frontier table, its criteria table and figure (``params``: the rule's)."""
    rows, tables = grid_rows(inputs, params)
    chosen = choose_design_points(rows, params["tolerance"])
    picked = {(point["selector"], rho) for rho, point in chosen.items()}
    ids = dict(params["ids"])
    for r in rows:
        r["design_point"] = "yes" if (r["selector"], r["rho"]) in picked else "no"
    table = frontier_criteria(
        rows, tables, chosen, params["criteria"], params["tolerance"], params["max_length"]
    )
    with atomic_outputs(out["table"], out["criteria"], out["figure"]) as (t_path, c_path, f_path):
        with open(t_path, "w") as handle:
            write_table(handle, [ids | r for r in rows])
        with open(c_path, "w") as handle:
            write_table(handle, [ids | r for r in table])
        frontier_figure(rows, params["criteria"], str(f_path), f"{ids['dataset']}: selector-cost frontier")


def main(smk) -> None:
    inputs = {k: list(smk.input[k]) for k in ("criteria", "metrics", "compute", "predictions")}
    keys = ("selectors", "rhos", "seeds", "teacher_model", "criteria", "tolerance", "max_length", "ids")
    params = {k: smk.params[k] for k in keys}
    with rule_logging(smk.log[0], "summarize_frontier"):
        run(inputs, params, {k: smk.output[k] for k in ("table", "criteria", "figure")})


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
