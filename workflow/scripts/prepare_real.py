"""Rule prepare_real: one published benchmark set as a FASTA + labels for the bring-your-own path.

Reads the pinned files of the set's recipe (``gsattn.real_recipes``), cleans the
letters, drops sequences of the wrong length or with too many N, removes
duplicates within the set, lists (and under ``test: deduplicated`` drops) test
sequences found in train, draws the split and writes ``sequences.fa``,
``labels.tsv`` (id, label, split, origin), ``summary.tsv`` and ``duplicates.tsv``
(see ``gsattn.real``).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from gsattn.logs import rule_logging
from gsattn.real import prepare, write_prepared


def run(spec: dict, sources: dict[str, str], fasta: str, labels: str, summary: str, duplicates: str) -> None:
    """Prepare the set ``spec`` (a ``real_data.sets`` entry) from ``sources`` (registry file name → path)."""
    prepared = prepare(spec["recipe"], spec, sources)
    write_prepared(prepared, fasta, labels, summary, duplicates)


def main(smk) -> None:
    params, out = smk.params, smk.output
    with rule_logging(smk.log[0], "prepare_real") as log:
        sources = dict(zip(params.files, smk.input.sources, strict=True))
        log.info("set %s: %s, seed %d", smk.wildcards.real, params.spec["recipe"], params.spec["seed"])
        run(params.spec, sources, out.fasta, out.labels, out.summary, out.duplicates)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
