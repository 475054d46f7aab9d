"""Rule summarize_interpretability: attributions against the motif mask, model by model.

Collects ``interpret_model``'s tables of one data set (attention, joint
pipeline, CNN; every seed) and summarises the per-sequence AUROC, AUPRC,
enrichment and top-1 hit rate of each model and attribution method over seeds,
with the paired-by-seed difference from the attention model
(:func:`gsattn.interpretability.interpretability_summary`). These p-values are
descriptive and not part of the verdict's multiple-testing family.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from gsattn.interpretability import INTERPRETABILITY_KEYS, interpretability_summary
from gsattn.io import atomic_outputs, read_table, write_columns
from gsattn.logs import rule_logging


def run(tables: list[str], out: str) -> None:
    rows = [row for path in tables for row in read_table(path)]
    summary = interpretability_summary(rows)
    with atomic_outputs(out) as (path,):
        with open(path, "w") as handle:
            write_columns(handle, {k: [r[k] for r in summary] for k in INTERPRETABILITY_KEYS})


def main(smk) -> None:
    with rule_logging(smk.log[0], "summarize_interpretability"):
        run(list(smk.input.tables), smk.output.table)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
