"""Rule decompress_chromosome: a gzip chromosome FASTA to plain FASTA with a pyfaidx index.

pyfaidx reads plain or BGZF FASTA, not plain gzip (UCSC's ``chr*.fa.gz``), so
the chromosome is decompressed; its header is rewritten to the normalised name
(``chr1`` from ``1`` or ``NC_000001.11``), which must be the rule's chromosome,
and ``<chrom>.fa.fai`` is built. The file must hold that one chromosome.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import gzip
import shutil
from pathlib import Path

from gsattn.genome import normalise_chrom
from gsattn.io import InputError, atomic_outputs
from gsattn.logs import rule_logging


def _header_chrom(path: str, header: str) -> str:
    """The normalised chromosome name of FASTA ``header`` (its first word after ``>``)."""
    if not header.startswith(">") or not header[1:].split():
        raise InputError(path, 1, "is not FASTA (the first line is not a '>name' header)")
    try:
        return normalise_chrom(header[1:].split()[0])
    except ValueError as err:
        raise InputError(path, 1, str(err)) from None


def run(gz: str, fasta: str, fai: str, chrom: str) -> None:
    """Decompress ``gz`` to ``fasta`` with the header ``>chrom``; index it into ``fai``."""
    import pyfaidx

    with gzip.open(gz, "rt") as src:
        found = _header_chrom(gz, src.readline().rstrip("\n"))
        if found != chrom:
            raise InputError(gz, 1, f"holds {found}, expected {chrom}: check genome.url")
        with atomic_outputs(fasta) as (tmp,), open(tmp, "w") as out:
            out.write(f">{chrom}\n")
            shutil.copyfileobj(src, out, 1 << 20)
    try:
        names = list(pyfaidx.Faidx(fasta).index)
        if names != [chrom]:
            raise InputError(gz, None, f"holds the records {names}, expected the one chromosome {chrom}")
        if Path(f"{fasta}.fai") != Path(fai):
            raise ValueError(f"pyfaidx wrote {fasta}.fai, not the rule's output {fai}")
    except BaseException:
        Path(fasta).unlink(missing_ok=True)
        Path(f"{fasta}.fai").unlink(missing_ok=True)
        raise


def main(smk) -> None:
    with rule_logging(smk.log[0], "decompress_chromosome") as log:
        run(smk.input.gz, smk.output.fasta, smk.output.fai, smk.params.chrom)
        log.info("%s -> %s (+ .fai)", smk.input.gz, smk.output.fasta)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
