"""Rule summarize_expected_motifs: which expected motifs one data set's models found.

Reads the tables of rules test_enrichment (``positions.tsv``, ``classes.tsv``),
scan_motifs (``motifs.tsv``: the scanned JASPAR names) and discover_motifs
(``denovo/matches.tsv``, ``denovo/motifs.tsv``). Writes ``expected_motifs.tsv``: one row
per motif family (the planted motifs of a synthetic set, the families that
``params.expected`` names for the data set, every de novo best match no family covers)
with the best member of each test and ``found`` (``yes``: the model's positions or de
novo; ``classes only``: only the positives-vs-negatives test; ``no``).
:mod:`gsattn.expected` documents each column.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

from gsattn.expected import COLUMNS, expected_motifs
from gsattn.io import atomic_outputs, read_table, write_columns
from gsattn.logs import rule_logging

log = logging.getLogger(__name__)


def run(inputs: dict[str, str], expected: dict, dataset: str, output: str) -> list[dict]:
    """Build and write the table; return its rows."""
    names = [str(r["name"]) for r in read_table(inputs["motifs"])]
    rows = expected_motifs(
        dataset,
        read_table(inputs["positions"]),
        read_table(inputs["classes"]),
        read_table(inputs["matches"]),
        read_table(inputs["denovo"]),
        names,
        expected["datasets"],
        expected["families"],
    )
    for row in rows:
        log.info("%s (%s): found %s", row["family"], row["expected"], row["found"])
    with atomic_outputs(output) as (path,), open(path, "w") as handle:
        write_columns(handle, {c: [row[c] for row in rows] for c in COLUMNS})
    return rows


def main(smk) -> None:
    with rule_logging(smk.log[0], "summarize_expected_motifs"):
        inputs = {k: getattr(smk.input, k) for k in ("positions", "classes", "matches", "denovo", "motifs")}
        run(inputs, dict(smk.params.expected), smk.params.dataset, smk.output.table)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
