"""Rule import_fasta: validate a bring-your-own data set into the common layout.

Reads the user's FASTA, labels TSV and optional sites BED, stops with the file
and line on bad input, crops sequences longer than ``length`` and writes the
same four files as ``plant_motifs``.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from gsattn.datasets import import_fasta_dataset, write_motif_table
from gsattn.io import atomic_outputs, write_bed, write_columns, write_fasta
from gsattn.logs import rule_logging


def run(
    spec: dict,
    fasta_in: str,
    labels_in: str,
    sites_in: str | None,
    fasta: str,
    labels: str,
    sites: str,
    motifs: str,
) -> None:
    """Validate the user files named in ``spec`` and write the common layout."""
    split = spec["split"]
    data = import_fasta_dataset(
        fasta_in,
        labels_in,
        sites_in,
        length=spec["length"],
        crop=spec["crop"],
        split_fractions=(split["train"], split["validation"], split["test"]),
        seed=spec["seed"],
        decoy_motifs=spec["decoy_motifs"],
    )
    with atomic_outputs(fasta, labels, sites, motifs) as (fa, lab, bed, mot):
        with open(fa, "w") as handle:
            write_fasta(handle, data.records)
        with open(lab, "w") as handle:
            columns = {"id": data.labels.ids, "label": data.labels.labels}
            columns |= {"strength": data.labels.strength, "split": data.split}
            write_columns(handle, columns)
        with open(bed, "w") as handle:
            write_bed(handle, data.sites)
        with open(mot, "w") as handle:
            write_motif_table(handle, data.motif_rows)


def main(smk) -> None:
    inp, out = smk.input, smk.output
    with rule_logging(smk.log[0], "import_fasta"):
        run(
            smk.params.spec,
            inp.fasta,
            inp.labels,
            inp.get("sites"),
            out.fasta,
            out.labels,
            out.sites,
            out.motifs,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
