"""Rule declare_verdicts: the study's verdict on every data set.

Reads each data set's head-to-head tests (``compare_models``), adjusts every
test's p-values across data sets (Holm by default, config ``phase3.adjustment``;
accuracy, the primary metric, in a family of its own), applies the fixed
verdict rules of :func:`gsattn.verdicts.verdict` to the adjusted rows (primary
test ``phase3.primary_test``, refused where it cannot reach alpha), and says
whether Phase 2 is also run with the joint pipeline as teacher
(``phase2.teacher``). A checkpoint: the workflow reads this table to decide that.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import numpy as np

from gsattn.io import read_table, write_tables
from gsattn.logs import rule_logging
from gsattn.verdicts import ALL_SEEDS, VERDICT_B, declare_verdicts

FLOOR_PREFIXES = ("gc_", "kmer")


def evidence_columns(evidence: str) -> dict:
    """Mean test accuracy of each model and floor, and whether each model beats every floor."""
    accuracy = {r["model"]: float(r["mean"]) for r in read_table(evidence) if r["metric"] == "accuracy"}
    floors = [m for m in accuracy if m.startswith(FLOOR_PREFIXES)]
    models = [m for m in accuracy if m not in floors]
    return {f"accuracy_{m}": v for m, v in accuracy.items()} | {
        f"beats_floors_{m}": "yes" if all(accuracy[m] > accuracy[f] for f in floors) else "no" for m in models
    }


def accuracy_columns(rows: list[dict], primary_test: str, alpha: float) -> dict:
    """The accuracy rows the verdict read (adjusted across data sets) and the per-seed McNemar count."""
    accuracy = [r for r in rows if r["metric"] == "accuracy"]
    across = {r["test"]: r for r in accuracy if r["seed"] == ALL_SEEDS}
    one_run = [r for r in accuracy if r["test"] == "mcnemar"]
    return {
        "accuracy_difference": across["paired_t"]["estimate"],
        "primary_test": primary_test,
        "primary_p_adjusted": across[primary_test]["p_adjusted"],
        "bootstrap_ci_low": across["bootstrap"]["ci_low"],
        "bootstrap_ci_high": across["bootstrap"]["ci_high"],
        "tost_p_adjusted": across["tost"]["p_adjusted"],
        "equivalence_ci_low": across["bootstrap_equivalence"]["ci_low"],
        "equivalence_ci_high": across["bootstrap_equivalence"]["ci_high"],
        "wilcoxon_p_adjusted": across["wilcoxon"]["p_adjusted"],
        "mcnemar_seeds_significant": f"{sum(r['p_adjusted'] < alpha for r in one_run)} of {len(one_run)}",
        "n_seeds": int(across["paired_t"]["n"]),
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
    primary_test: str = "paired_t",
) -> None:
    """Adjust, declare and write the verdict table and the adjusted tests."""
    rows = []
    for name, path in zip(datasets, tests, strict=True):
        found = read_table(path)
        if {r["dataset"] for r in found} != {name}:
            raise ValueError(f"{path}: expected rows of data set {name!r}")
        rows += found
    adjusted, verdicts = declare_verdicts(rows, alpha=alpha, method=adjustment, primary_test=primary_test)
    table = [
        {"dataset": name, "verdict": verdicts[name]}
        | accuracy_columns([r for r in adjusted if r["dataset"] == name], primary_test, alpha)
        | {
            "adjustment": f"{adjustment} across {len(datasets)} data set(s); accuracy its own family",
            "margin": margin,
            "alpha": alpha,
            "phase2_joint_pipeline_teacher": uses_joint_pipeline_teacher(teacher, verdicts[name]),
        }
        | evidence_columns(path)
        for name, path in zip(datasets, evidence, strict=True)
    ]
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
            p.primary_test,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
