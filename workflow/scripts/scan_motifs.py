"""Rule scan_motifs: JASPAR motif hits in every sequence of one data set.

Every sequence of ``encoded.npz`` (all splits; the encoded tokens, so hits share the
model input's frame: cropped, right-padded) is scanned on both strands by memelite's
FIMO with the JASPAR collection of ``params.enrichment`` (``release``, ``collection``,
``tax_group``; or the matrix IDs of ``motifs``) at p-value ``threshold``
(:func:`gsattn.enrichment.scan_tokens`). Writes the hit table (``row``, ``id``,
``matrix_id``, ``name``, ``start``, ``end`` exclusive, ``strand``, ``score``,
``p_value``) and the list of matrices scanned, with the release, collection, threshold
and hit count of each: the record of what was scanned, read back by test_enrichment.

numba compiles FIMO's kernels on the first call (about 20-80 s); the cache lives in
``params.numba_cache`` (``NUMBA_CACHE_DIR``) so later jobs load them instead.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging
import os
import time

import numpy as np

from gsattn.datasets import load_encoded
from gsattn.enrichment import hit_table, jaspar_collection, scan_tokens
from gsattn.io import atomic_outputs, write_columns
from gsattn.logs import rule_logging

log = logging.getLogger("scan_motifs")


def motif_columns(matrices, hits: dict, spec: dict) -> dict[str, list]:
    """The motif list: ID, name, width, consensus, hits, and what was scanned."""
    counts = np.bincount(hits["motif"], minlength=len(matrices))
    n = len(matrices)
    return {
        "matrix_id": [m.matrix_id for m in matrices],
        "name": [m.name for m in matrices],
        "width": [m.probs.shape[1] for m in matrices],
        "consensus": ["".join("ACGT"[i] for i in m.probs.argmax(0)) for m in matrices],
        "n_hits": counts.tolist(),
        "release": [spec["release"]] * n,
        "collection": [spec["collection"]] * n,
        "tax_group": [spec["tax_group"]] * n,
        "threshold": [float(spec["threshold"])] * n,
    }


def run(encoded: str, spec: dict, threads: int, out: dict) -> None:
    """Scan ``encoded`` with the collection of ``spec`` and write ``out["hits"]`` and ``out["motifs"]``."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    data = load_encoded(encoded)
    matrices = jaspar_collection(spec["release"], spec["motifs"], spec["collection"], spec["tax_group"])
    start = time.perf_counter()
    hits = scan_tokens(matrices, data["tokens"], data["lengths"], spec["threshold"])
    log.info(
        "%d hits of %d matrices in %d sequences (p < %g) in %.1f s",
        hits["row"].size,
        len(matrices),
        len(data["tokens"]),
        spec["threshold"],
        time.perf_counter() - start,
    )
    with atomic_outputs(out["hits"], out["motifs"]) as (hits_path, motifs_path):
        with open(hits_path, "w") as handle:
            write_columns(handle, hit_table(hits, matrices, data["ids"]))
        with open(motifs_path, "w") as handle:
            write_columns(handle, motif_columns(matrices, hits, spec))


def main(smk) -> None:
    with rule_logging(smk.log[0], "scan_motifs"):
        cache = os.path.abspath(smk.params.numba_cache)
        os.makedirs(cache, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = cache  # before numba is imported (memelite, lazily)
        log.info("numba cache: %s", cache)
        out = {"hits": smk.output.hits, "motifs": smk.output.motifs}
        run(smk.input.encoded, dict(smk.params.enrichment), smk.threads, out)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
