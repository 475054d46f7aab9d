"""The position sets of Phase 4 (known-motif enrichment and de novo motifs), per seed.

At each ρ, with ``k`` = the student's number of kept positions, on the test sequences
the sets were computed on (rule test_enrichment's docstring says which file gives
which): ``sparse`` (the Phase 2 student's kept positions), ``attention`` (top ``k`` of
the attention each position receives in the reference model), ``saliency`` (top ``k`` of
|gradient×input|), ``ism`` (top ``k`` of in-silico mutagenesis; absent for data sets
without sites) and ``random`` (the same count per sequence as ``sparse``, uniformly at
random, ``numpy.random.default_rng([base seed, model seed, index of ρ])``).
"""

from __future__ import annotations

import numpy as np

from gsattn.enrichment import embed_set, random_set, universe_mask
from gsattn.selection import selection_mask, top_k_of

SETS = ("sparse", "attention", "saliency", "ism", "random")


def load_npz(path: str) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file (no pickles)."""
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def seed_sets(entry: dict, rhos: list, data: dict, base_seed: int) -> dict[tuple, tuple]:
    """``(set, rho) → (selected, universe)``, ``(N, L)`` bool each, of one seed."""
    shape = data["tokens"].shape
    lengths = data["lengths"]
    truth, saliency, ism = load_npz(entry["truth"]), load_npz(entry["saliency"]), load_npz(entry["ism"])
    if truth["ids"].tolist() != data["ids"].tolist():
        raise ValueError(f"{entry['truth']}: sequence IDs differ from {entry['encoded']}; re-run Phase 1")
    received = truth["received"].astype(np.float64).mean(axis=1)
    sets = {}
    for j, rho in enumerate(rhos):
        preds = load_npz(entry["students"][str(rho)])  # keyed by the rho's path text (gsattn.layout.rho_text)
        rows, k = preds["rows"].astype(np.int64), int(preds["index"].shape[1])
        universe = universe_mask(rows, lengths, shape)
        sparse = embed_set(rows, selection_mask(preds["index"], preds["valid"], shape[1]), shape)
        sets[("sparse", rho)] = (sparse, universe)
        attention = top_k_of(received[rows], lengths[rows], k)
        sets[("attention", rho)] = (embed_set(rows, attention, shape), universe)
        rng = np.random.default_rng([base_seed, int(entry["seed"]), j])
        sets[("random", rho)] = (random_set(universe, sparse.sum(axis=1), rng), universe)
        for name, scores in (("saliency", saliency), ("ism", ism)):
            if name not in scores or not scores["rows"].size:
                continue
            r = scores["rows"].astype(np.int64)
            chosen = top_k_of(scores[name].astype(np.float64), lengths[r], k)
            sets[(name, rho)] = (embed_set(r, chosen, shape), universe_mask(r, lengths, shape))
    return sets
