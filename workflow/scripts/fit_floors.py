"""Rule fit_floors: the trivial baselines every Phase 3 model must beat.

GC content only, and k-mer frequencies (k from config), each with logistic
regression fitted on the training split; test accuracy and AUROC.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from gsattn.datasets import load_encoded
from gsattn.floors import fit_floor, gc_features, kmer_features
from gsattn.io import write_tables
from gsattn.logs import rule_logging


def run(encoded: str, kmer_k: int, out: str) -> None:
    """Fit both floors on one data set and write their test metrics."""
    data = load_encoded(encoded)
    labels, split = data["labels"].astype(int), data["split"]
    features = {
        "gc_content": gc_features(data["tokens"], data["lengths"]),
        f"kmer{kmer_k}_logistic": kmer_features(data["tokens"], kmer_k),
    }
    rows = []
    for name, x in features.items():
        result = fit_floor(x, labels, split)
        rows += [
            {"model": name, "metric": m, "value": result[m], "n_test": int((split == "test").sum())}
            for m in ("accuracy", "auroc")
        ]
    write_tables({out: rows})


def main(smk) -> None:
    with rule_logging(smk.log[0], "fit_floors"):
        run(smk.input.encoded, smk.params.kmer_k, smk.output.floors)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
