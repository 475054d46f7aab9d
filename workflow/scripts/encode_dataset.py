"""Rule encode_dataset: token arrays and a summary table for any data set.

Reads the common layout (FASTA, labels, sites, motifs) and writes
``encoded.npz`` (layout in :mod:`gsattn.datasets`) and ``summary.tsv``
(class balance, GC, length, strength and sequences with each motif, by split
and class).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

from gsattn.datasets import encode_dataset, summarize
from gsattn.io import atomic_outputs, save_npz, write_table
from gsattn.logs import rule_logging

log = logging.getLogger("encode_dataset")


def run(fasta: str, labels: str, sites: str, motifs: str, length: int, encoded: str, summary: str) -> None:
    """Encode one data set to ``length`` tokens and summarise it."""
    arrays = encode_dataset(fasta, labels, sites, motifs, length)
    log.info("encoded %s sequences to length %d", arrays["tokens"].shape[0], length)
    with atomic_outputs(encoded, summary) as (npz, tsv):
        save_npz(npz, arrays)
        with open(tsv, "w") as handle:
            write_table(handle, summarize(arrays))


def main(smk) -> None:
    inp, out = smk.input, smk.output
    with rule_logging(smk.log[0], "encode_dataset"):
        run(inp.fasta, inp.labels, inp.sites, inp.motifs, smk.params.length, out.encoded, out.summary)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
