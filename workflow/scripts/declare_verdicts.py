"""Rule declare_verdicts: the study's verdict on every data set.

Reads each data set's head-to-head tests (``compare_models``), adjusts every
test's p-values across metrics *and* data sets (Holm by default, config
``phase3.adjustment``), applies the fixed verdict rules of
:func:`gsattn.compare.verdict` to the adjusted rows, and says whether Phase 2
is also run with the joint pipeline as teacher (``phase2.teacher``). A
checkpoint: the workflow reads this table to decide that.
"""

import numpy as np

from gsattn.compare import VERDICT_B, WILCOXON_MIN_SEEDS, declare_verdicts
from gsattn.io import read_table, write_tables
from gsattn.logs import rule_logging

FLOOR_PREFIXES = ("gc_", "kmer")


def evidence_columns(evidence: str) -> dict:
    """Mean test accuracy of each model and floor, and whether each model beats every floor."""
    accuracy = {r["model"]: float(r["mean"]) for r in read_table(evidence) if r["metric"] == "accuracy"}
    floors = [m for m in accuracy if m.startswith(FLOOR_PREFIXES)]
    models = [m for m in accuracy if m not in floors]
    return {f"accuracy_{m}": v for m, v in accuracy.items()} | {
        f"beats_floors_{m}": "yes" if all(accuracy[m] > accuracy[f] for f in floors) else "no" for m in models
    }


def uses_joint_pipeline_teacher(teacher: str, outcome: str) -> str:
    """``yes`` when Phase 2 is also run with the joint pipeline as teacher on this data set."""
    return "yes" if teacher == "joint_pipeline" or (teacher == "winner" and outcome == VERDICT_B) else "no"


def run(
    datasets: list[str],
    tests: list[str],
    evidence: list[str],
    alpha: float,
    margin: float,
    adjustment: str,
    teacher: str,
    out: dict,
) -> None:
    """Adjust, declare and write the verdict table and the adjusted tests."""
    rows = []
    for name, path in zip(datasets, tests, strict=True):
        found = read_table(path)
        if {r["dataset"] for r in found} != {name}:
            raise ValueError(f"{path}: expected rows of data set {name!r}")
        rows += found
    adjusted, verdicts = declare_verdicts(rows, alpha=alpha, method=adjustment)
    table = []
    for name, path in zip(datasets, evidence, strict=True):
        accuracy = {r["test"]: r for r in adjusted if r["dataset"] == name and r["metric"] == "accuracy"}
        n_seeds = int(accuracy["paired_t"]["n"])
        primary = "wilcoxon" if n_seeds >= WILCOXON_MIN_SEEDS else "paired_t"
        table.append(
            {
                "dataset": name,
                "verdict": verdicts[name],
                "accuracy_difference": accuracy["paired_t"]["estimate"],
                "primary_test": primary,
                "primary_p_adjusted": accuracy[primary]["p_adjusted"],
                "bootstrap_ci_low": accuracy["bootstrap"]["ci_low"],
                "bootstrap_ci_high": accuracy["bootstrap"]["ci_high"],
                "tost_p_adjusted": accuracy["tost"]["p_adjusted"],
                "n_seeds": n_seeds,
                "adjustment": f"{adjustment} across {len(datasets)} data set(s) x metrics, per test",
                "margin": margin,
                "alpha": alpha,
                "phase2_joint_pipeline_teacher": uses_joint_pipeline_teacher(teacher, verdicts[name]),
            }
            | evidence_columns(path)
        )
    keys = list(dict.fromkeys(k for r in table for k in r))
    table = [{k: r.get(k, np.nan) for k in keys} for r in table]
    write_tables({out["verdicts"]: table, out["tests"]: adjusted})


def main(smk) -> None:
    p = smk.params
    out = {"verdicts": smk.output.verdicts, "tests": smk.output.tests}
    with rule_logging(smk.log[0], "declare_verdicts"):
        run(
            list(p.datasets),
            list(smk.input.tests),
            list(smk.input.evidence),
            p.alpha,
            p.margin,
            p.adjustment,
            p.teacher,
            out,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
