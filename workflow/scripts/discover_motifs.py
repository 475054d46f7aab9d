"""Rule discover_motifs: de novo motifs of every position set of one data set.

For each position set of rule test_enrichment (``gsattn.position_sets``: sparse, attention,
saliency, ism, random, at each ρ; seeds pooled by taking their seqlets together), the
seqlets around the set's runs are clustered into PWMs and each PWM is matched to the
scanned JASPAR collection with memelite's TOMTOM (:mod:`gsattn.denovo` documents the
method and its parameters, ``params.denovo``). Writes:

* ``motifs.tsv``: one row per discovered motif (``motif_id``, set, ρ, seed k-mer,
  ``n_seqlets``, width, consensus, the best JASPAR match with its TOMTOM ``p_value``,
  ``q_value`` (BH across the collection), ``shuffle_p`` (against the motif's own
  column-shuffled decoys, :func:`gsattn.denovo.shuffle_p`) and ``orientation``, and its
  planted role on synthetic data);
* ``matches.tsv``: every match that counts, q and ``shuffle_p`` both below
  ``denovo.alpha`` (read by expected_motifs);
* ``motifs.meme``: the PWMs, MEME format;
* ``logos.png``: the motifs of ``denovo.logo_sets`` at the smallest ρ, each beside its
  best JASPAR match with its q and ``shuffle_p`` (on synthetic data the planted matrix
  when that is the match).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

import numpy as np

from gsattn.datasets import load_encoded
from gsattn.denovo import (
    DenovoSpec,
    consensus,
    counted,
    discover,
    extract_seqlets,
    match_jaspar,
    subsample,
    write_meme,
)
from gsattn.enrichment import jaspar_collection
from gsattn.io import atomic_outputs, read_table, write_columns
from gsattn.logs import rule_logging
from gsattn.position_sets import SETS, seed_sets

log = logging.getLogger("discover_motifs")
MOTIF_COLUMNS = (
    "dataset", "motif_id", "set", "rho", "seed_kmer", "n_seqlets", "width", "consensus",
    "best_match", "best_name", "p_value", "q_value", "shuffle_p", "orientation", "planted",
)  # fmt: skip
MATCH_COLUMNS = ("dataset", "motif_id", "set", "rho", "matrix_id", "name", "p_value", "q_value", "shuffle_p")
SHUFFLE_STREAM = 1  # the decoys' generator: numpy.random.default_rng((denovo.seed, SHUFFLE_STREAM))


def write_rows(path, rows: list[dict], columns: tuple) -> None:
    """A TSV of ``rows`` with ``columns`` (the header alone when there are none)."""
    with open(path, "w") as handle:
        write_columns(handle, {c: [r[c] for r in rows] for c in columns})


def pooled_seqlets(plan: dict, spec: DenovoSpec, base_seed: int) -> tuple[dict, dict]:
    """``(set, rho) → (seqlets, universe rows)`` over every seed, and the encoded data."""
    pooled: dict[tuple, list] = {}
    data = None
    for entry in plan["seeds"]:
        data = load_encoded(entry["encoded"])
        for key, (selected, universe) in seed_sets(entry, plan["rhos"], data, base_seed).items():
            seqlets = extract_seqlets(selected, data["lengths"], spec.gap, spec.flank)
            rows = np.flatnonzero(universe.any(axis=1))
            pooled.setdefault(key, []).append((seqlets, rows))
    out = {}
    for key, parts in pooled.items():
        out[key] = (np.concatenate([p[0] for p in parts]), np.unique(np.concatenate([p[1] for p in parts])))
    return out, data


def motif_rows(key, motifs, match, matrices, roles, dataset) -> tuple[list, list]:
    """Rows of ``motifs.tsv`` and ``matches.tsv`` of one set."""
    rows, matches = [], []
    counts = counted(match, roles.get("__alpha__", 0.05))
    for i, motif in enumerate(motifs):
        motif_id = f"{key[0]}_rho{key[1]}_m{i + 1}"
        best = int(np.argmin(match["p_value"][i]))
        m = matrices[best]
        rows.append(
            {
                "dataset": dataset,
                "motif_id": motif_id,
                "set": key[0],
                "rho": key[1],
                "seed_kmer": motif.seed,
                "n_seqlets": motif.n_seqlets,
                "width": motif.probs.shape[1],
                "consensus": consensus(motif.probs),
                "best_match": m.matrix_id,
                "best_name": m.name,
                "p_value": float(match["p_value"][i, best]),
                "q_value": float(match["q_value"][i, best]),
                "shuffle_p": float(match["shuffle_p"][i, best]),
                "orientation": "-" if match["strand"][i, best] else "+",
                "planted": roles.get(m.matrix_id, ""),
            }
        )
        for t in np.flatnonzero(counts[i]):
            matches.append(
                {
                    "dataset": dataset,
                    "motif_id": motif_id,
                    "set": key[0],
                    "rho": key[1],
                    "matrix_id": matrices[t].matrix_id,
                    "name": matrices[t].name,
                    "p_value": float(match["p_value"][i, t]),
                    "q_value": float(match["q_value"][i, t]),
                    "shuffle_p": float(match["shuffle_p"][i, t]),
                }
            )
    return rows, matches


def draw_logos(path: str, shown: list, title: str) -> None:
    """Discovered PWM beside its best match, one row per motif (logomaker, information bits)."""
    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    n = max(len(shown), 1)
    fig, axes = plt.subplots(n, 2, figsize=(9, 1.6 * n), squeeze=False)
    if not shown:
        axes[0, 0].text(0.5, 0.5, "no motif discovered", ha="center", va="center")
    for (label, probs, match_label, match_probs), (left, right) in zip(shown, axes, strict=False):
        for ax, p, text in ((left, probs, label), (right, match_probs, match_label)):
            frame = pd.DataFrame(p.T, columns=list("ACGT"))
            logomaker.Logo(
                logomaker.transform_matrix(frame, from_type="probability", to_type="information"), ax=ax
            )
            ax.set_title(text, fontsize=8)
            ax.set_ylim(0, 2)
    for ax in axes.ravel():
        ax.tick_params(labelsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)


def run(plan: dict, params: dict, dataset: str, out: dict) -> None:
    """Discover, match and write ``out``'s four files (all or none)."""
    spec = DenovoSpec.from_config(params["denovo"])
    enrichment = params["enrichment"]
    scanned = [str(r["matrix_id"]) for r in read_table(plan["seeds"][0]["motifs"])]
    matrices = jaspar_collection(enrichment["release"], scanned)
    roles = {
        str(r["matrix_id"]): str(r["role"])
        for r in read_table(plan["seeds"][0]["planted"])
        if r.get("matrix_id")
    }
    roles["__alpha__"] = params["denovo"]["alpha"]
    sets, data = pooled_seqlets(plan, spec, enrichment["seed"])
    rows, matches, meme, shown = [], [], [], []
    rng = np.random.default_rng(spec.seed)
    decoy_rng = np.random.default_rng((spec.seed, SHUFFLE_STREAM))
    logo_rho = min(plan["rhos"])
    for name in SETS:
        for rho in plan["rhos"]:
            if (name, rho) not in sets:
                continue
            seqlets, universe = sets[(name, rho)]
            seqlets = subsample(seqlets, spec.max_seqlets, rng)
            motifs = discover(data["tokens"], seqlets, universe, data["lengths"], spec)
            match = match_jaspar([m.probs for m in motifs], matrices, spec.n_shuffles, decoy_rng)
            r, mt = motif_rows((name, rho), motifs, match, matrices, roles, dataset)
            log.info("%s rho %s: %d seqlets, %d motifs", name, rho, len(seqlets), len(motifs))
            rows += r
            matches += mt
            meme += [(row["motif_id"], m.probs, m.n_seqlets) for row, m in zip(r, motifs, strict=True)]
            if name in params["denovo"]["logo_sets"] and rho == logo_rho:
                for row, m in zip(r, motifs, strict=True):
                    target = matrices[[x.matrix_id for x in matrices].index(row["best_match"])]
                    probs = target.probs[::-1, ::-1] if row["orientation"] == "-" else target.probs
                    label = f"{row['motif_id']} ({row['n_seqlets']} seqlets)"
                    role = f", planted {row['planted']}" if row["planted"] else ""
                    match_label = (
                        f"{row['best_match']} {row['best_name']} q={row['q_value']:.2g} "
                        f"shuffle p={row['shuffle_p']:.2g}{role}"
                    )
                    shown.append((label, m.probs, match_label, probs))
    with atomic_outputs(out["motifs"], out["matches"], out["meme"], out["logos"]) as paths:
        write_rows(paths[0], rows, MOTIF_COLUMNS)
        write_rows(paths[1], matches, MATCH_COLUMNS)
        write_meme(paths[2], meme)
        draw_logos(paths[3], shown, f"{dataset}: de novo motifs (rho {logo_rho}) and their best JASPAR match")


def main(smk) -> None:
    with rule_logging(smk.log[0], "discover_motifs"):
        out = {k: getattr(smk.output, k) for k in ("motifs", "matches", "meme", "logos")}
        params = {"denovo": dict(smk.params.denovo), "enrichment": dict(smk.params.enrichment)}
        run(dict(smk.params.plan), params, smk.params.dataset, out)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
