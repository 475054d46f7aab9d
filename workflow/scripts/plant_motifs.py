"""Rule plant_motifs: simulate sequences with planted JASPAR motifs.

Writes the FASTA, the labels TSV (id, label, strength, split, clean_label),
the ground-truth sites (BED6, 0-based half-open, name ``<matrix_id>:<name>``)
and the motif table (matrix ID, name, role, width, JASPAR release).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

from gsattn.config import ConfigError, split_problem
from gsattn.datasets import class_split_counts, write_motif_table
from gsattn.io import atomic_outputs, read_fasta, write_bed, write_columns, write_fasta
from gsattn.logs import rule_logging
from gsattn.motifs import Motif, fetch_jaspar_motifs
from gsattn.seq import decode
from gsattn.simulate import (
    ClassRule,
    IIDBackground,
    MarkovBackground,
    Placement,
    PlantingPlan,
    simulate,
)

log = logging.getLogger("plant_motifs")


def plan_from_spec(spec: dict) -> PlantingPlan:
    """Turn a validated ``type: synthetic`` config entry into a :class:`PlantingPlan`."""
    pos, rule, split = spec["position"], spec["class_rule"], spec["split"]
    return PlantingPlan(
        n_sequences=spec["n_sequences"],
        length=spec["length"],
        positive_fraction=spec["positive_fraction"],
        sites_min=spec["sites_per_sequence"]["min"],
        sites_max=spec["sites_per_sequence"]["max"],
        decoy_rate=spec["decoy_rate"],
        both_strands=spec["orientation"] == "both",
        placement=Placement(pos["mode"], pos["sd"], pos["window_start"], pos["window_end"]),
        rule=ClassRule(rule["mode"], rule["min_gap"], rule["max_gap"]),
        strength_noise_sd=spec["strength_noise_sd"],
        label_noise=spec["label_noise"],
        split_fractions=(split["train"], split["validation"], split["test"]),
    )


def make_background(spec: dict):
    """The background model of a synthetic entry (Markov fitted on its FASTA)."""
    bg = spec["background"]
    if bg["model"] == "iid":
        return IIDBackground.from_gc(bg["gc"])
    model = MarkovBackground.fit(read_fasta(bg["fasta"]), bg["order"])
    log.info("Markov order %d fitted on %s; base freqs %s", bg["order"], bg["fasta"], model.base_freqs)
    return model


def motif_row(m: Motif) -> dict:
    return {
        "motif": m.label,
        "matrix_id": m.matrix_id,
        "name": m.name,
        "role": m.role,
        "width": m.width,
        "release": m.release,
        "consensus": m.consensus(),
    }


def run(spec: dict, fasta: str, labels: str, sites: str, motifs: str) -> None:
    """Simulate the data set described by ``spec`` and write the four files."""
    release = spec["jaspar_release"]
    predictive = fetch_jaspar_motifs(spec["motifs"], release, "predictive", spec["pseudocount"])
    decoys = fetch_jaspar_motifs(spec["decoys"], release, "decoy", spec["pseudocount"])
    overlap = {m.label for m in predictive} & {m.label for m in decoys}
    if overlap:
        raise ValueError(f"motifs listed both as predictive and decoy: {sorted(overlap)}")
    log.info("seed %d, %s, plan %s", spec["seed"], release, plan_from_spec(spec))
    data = simulate(plan_from_spec(spec), predictive, decoys, make_background(spec), spec["seed"])
    problem = split_problem(
        class_split_counts(data.labels.tolist(), data.split.tolist()), "raise n_sequences"
    )
    if problem:
        raise ConfigError(f"the planted labels (after label_noise): {problem}")
    with atomic_outputs(fasta, labels, sites, motifs) as (fa, lab, bed, mot):
        with open(fa, "w") as handle:
            write_fasta(handle, [(i, decode(t)) for i, t in zip(data.ids, data.tokens, strict=True)])
        with open(lab, "w") as handle:
            write_columns(
                handle,
                {
                    "id": data.ids,
                    "label": data.labels.tolist(),
                    "strength": data.strength.tolist(),
                    "split": data.split.tolist(),
                    "clean_label": data.clean_labels.tolist(),
                },
            )
        with open(bed, "w") as handle:
            write_bed(handle, data.sites)
        with open(mot, "w") as handle:
            write_motif_table(handle, [motif_row(m) for m in [*predictive, *decoys]])


def main(smk) -> None:
    out = smk.output
    with rule_logging(smk.log[0], "plant_motifs"):
        run(smk.params.spec, out.fasta, out.labels, out.sites, out.motifs)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
