"""Rule draw_planted_logos: the planted motifs of a synthetic data set as sequence logos.

The predictive motifs and the decoys are fetched exactly as rule plant_motifs fetches them
(:func:`gsattn.motifs.fetch_jaspar_motifs`: same JASPAR release, matrix IDs and
pseudocount, offline through pyjaspar) and drawn with logomaker in information bits, one
row per motif, predictive first. Writes ``planted_logos.png`` (the study page's Data
section and ``snakemake --report`` show it).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

from gsattn.io import atomic_outputs
from gsattn.logs import rule_logging
from gsattn.motifs import Motif, fetch_jaspar_motifs

log = logging.getLogger("draw_planted_logos")


def planted_motifs(planted: dict) -> list[Motif]:
    """The predictive motifs, then the decoys, of ``planted`` (``get_planted_motifs``)."""
    release, pseudocount = planted["release"], planted["pseudocount"]
    predictive = fetch_jaspar_motifs(planted["motifs"], release, "predictive", pseudocount)
    decoys = fetch_jaspar_motifs(planted.get("decoys") or [], release, "decoy", pseudocount)
    return predictive + decoys


def logo_title(motif: Motif) -> str:
    """``MA0079.5 SP1 (predictive, JASPAR2024)``."""
    return f"{motif.matrix_id} {motif.name} ({motif.role}, {motif.release})"


def draw_logos(motifs: list[Motif], path: str, title: str) -> int:
    """One logo per motif (information bits, ACGT), stacked; returns the number of panels."""
    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    n = max(len(motifs), 1)
    widest = max((m.width for m in motifs), default=8)
    fig, axes = plt.subplots(n, 1, figsize=(max(4.0, 0.35 * widest + 1.5), 1.5 * n), squeeze=False)
    if not motifs:
        axes[0, 0].text(0.5, 0.5, "no planted motif", ha="center", va="center")
        axes[0, 0].set_axis_off()
    for motif, ax in zip(motifs, axes[:, 0], strict=False):
        frame = pd.DataFrame(motif.probs.T, columns=list("ACGT"))
        bits = logomaker.transform_matrix(frame, from_type="probability", to_type="information")
        logomaker.Logo(bits, ax=ax)
        colour = "firebrick" if motif.role == "predictive" else "dimgray"
        ax.set_title(logo_title(motif), fontsize=8, color=colour)
        ax.set_ylim(0, 2)
        ax.set_xlim(-0.5, widest - 0.5)  # one scale for every motif: widths compare
        ax.set_ylabel("bits", fontsize=7)
        ax.tick_params(labelsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)
    return n


def run(planted: dict, dataset: str, out: str) -> None:
    """Fetch the planted matrices of ``dataset`` and write their logos to ``out``."""
    motifs = planted_motifs(planted)
    log.info("%s: %d planted motif(s) from %s", dataset, len(motifs), planted["release"])
    with atomic_outputs(out) as (tmp,):
        draw_logos(motifs, str(tmp), f"{dataset}: planted motifs (red: predictive, grey: decoy)")


def main(smk) -> None:
    with rule_logging(smk.log[0], "draw_planted_logos"):
        run(dict(smk.params.planted), smk.wildcards.dataset, smk.output.logos)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
