"""Rule summarize_phase2: one data set's Phase 2 criteria table and summaries, per teacher.

The criteria and their rules live in :mod:`gsattn.criteria` (thresholds from
config ``phase2.criteria``). This script reads the students' tables (each row
carries its ``rho`` and ``seed``) and their ``predictions.npz``, whose ``(rho,
seed)`` the rule passes in the same order as the files (``params.students``).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from collections import defaultdict

import numpy as np

from gsattn.criteria import adjusted_selection, criteria_table, selection_summary, summary_rows
from gsattn.io import atomic_outputs, read_table, write_table
from gsattn.logs import rule_logging


def seed_logits(predictions: list[str], own_draws: bool = False) -> tuple:
    """Labels ``(N,)`` and teacher / student logits ``(N, S)`` (one column per seed, in the
    order given) of the seeds' shared test set; ``ValueError`` if the rows or labels differ.

    ``own_draws`` (``data_seeds``): every seed has its own draw of the data, so the
    test rows may differ; labels and logits are then lists of ``S`` arrays ``(N_s,)``.
    """
    full, sparse, own = [], [], []
    rows = labels = None
    for path in predictions:
        with np.load(path, allow_pickle=False) as p:
            if (
                not own_draws
                and rows is not None
                and (p["rows"].tolist() != rows or p["labels"].tolist() != labels)
            ):
                raise ValueError(f"{path}: test rows differ between seeds")
            rows, labels = p["rows"].tolist(), p["labels"].tolist()
            own.append(np.array(labels, dtype=int))
            full.append(p["full_logits"].astype(float))
            sparse.append(p["sparse_logits"].astype(float))
    if own_draws:
        return own, full, sparse
    return np.array(labels, dtype=int), np.column_stack(full), np.column_stack(sparse)


def logits_by_rho(
    predictions: list[str], students: list[dict], own_draws: bool = False
) -> dict[float, tuple]:
    """rho → :func:`seed_logits` of its seeds; ``students[i]`` holds the ``rho`` and
    ``seed`` of ``predictions[i]``. Seeds in numeric order (until the layout change the
    columns followed the text of the paths, ``10`` before ``2``: the same for seeds
    below 10, a different but equally valid bootstrap draw from 10 seeds on)."""
    by_rho = defaultdict(list)
    for key, path in zip(students, predictions, strict=True):
        by_rho[key["rho"]].append((int(key["seed"]), path))
    return {rho: seed_logits([p for _, p in sorted(found)], own_draws) for rho, found in by_rho.items()}


def run(
    inputs: dict, students: list[dict], criteria: dict, n_boot: int, out: dict, own_draws: bool = False
) -> None:
    """Write the criteria table, metric summary and selection summary of one data set
    (``own_draws``: ``data_seeds``, each seed's own test set)."""
    optional = {k: read_table(inputs[k]) for k in ("receptive_fields", "speedups", "scaling") if k in inputs}
    selection = adjusted_selection([read_table(p) for p in inputs["selection"]])
    table = criteria_table(
        logits_by_rho(inputs["predictions"], students, own_draws),
        [read_table(p) for p in inputs["sparse_compute"]],
        read_table(inputs["teacher_compute"]),
        selection,
        criteria,
        n_boot,
        **optional,
    )
    with atomic_outputs(out["criteria"], out["metrics"], out["selection"]) as (c_path, m_path, s_path):
        with open(c_path, "w") as handle:
            write_table(handle, table)
        with open(m_path, "w") as handle:
            write_table(handle, summary_rows([read_table(p) for p in inputs["metrics"]]))
        with open(s_path, "w") as handle:
            rows = selection_summary(selection)
            if rows:
                write_table(handle, rows)
            else:
                handle.write("rho\tnote\nall\tno ground-truth sites in this data set\n")


def main(smk) -> None:
    keys = ("metrics", "selection", "predictions", "sparse_compute")
    inputs = {k: list(smk.input[k]) for k in keys}
    inputs["teacher_compute"] = smk.input.teacher_compute
    # the scaling benchmark times the attention teacher's student only
    inputs |= {k: smk.input[k] for k in ("speedups", "scaling", "receptive_fields") if k in smk.input.keys()}
    with rule_logging(smk.log[0], "summarize_phase2"):
        run(
            inputs,
            list(smk.params.students),
            smk.params.criteria,
            smk.params.n_boot,
            {k: smk.output[k] for k in ("criteria", "metrics", "selection")},
            smk.params.data_seeds,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
