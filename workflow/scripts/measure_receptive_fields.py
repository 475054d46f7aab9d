"""Rule measure_receptive_fields: how much of each test sequence the Phase 2 students see.

The value a student computes at a selected position reads the bases of that
position's receptive field, the selector's context convolution
(:func:`gsattn.receptive.value_offsets`: 15 bp, positions ``i − 7 .. i + 7``, by
default; the field is cut at the sequence's ends). For every rho and seed, on
the test split, per sequence: the share of the valid positions selected, the
share inside the union of the selected positions' fields (the information the
student sees) and, where the data set has sites, the share of the site bases
inside it, per site group (predictive or known motifs; decoys apart); then
means over sequences per seed and over seeds per rho, with a two-level
bootstrap CI (seeds, then sequences; :func:`gsattn.stats.seed_sequence_bootstrap`)
of the share of the sequence seen. Seeds vary the students' (and their
teachers') initialisation and batch order; the data and split are fixed by the
data set's seed, unless ``data_seeds`` gives every seed its own draw (the
encoded files then come one per seed, and each seed's students are measured
on its own test set).

Also the distance of each selected position to the nearest site base
(:func:`gsattn.receptive.distance_to_sites`), counted in bins
(:func:`gsattn.receptive.distance_bins`: 0 = inside a site, then ``1..h`` where
the field still reaches a site, ``h = 7``, then doubling) and summed over seeds,
beside the same distances of all valid positions (what a selection blind to
the sites would give), as a TSV and a figure.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import json

import numpy as np

from gsattn.datasets import load_encoded
from gsattn.io import atomic_outputs, write_table
from gsattn.logs import rule_logging
from gsattn.masks import valid_positions
from gsattn.receptive import (
    coverage,
    distance_bins,
    distance_histogram,
    distance_to_sites,
    site_distance_figure,
    site_masks,
    value_offsets,
)
from gsattn.selection import selection_mask
from gsattn.sparse import SparseApproximator, SparseConfig
from gsattn.stats import seed_sequence_bootstrap

LEVEL = 0.95


def offsets_of(hparams: str) -> np.ndarray:
    """Value-field offsets of the student described by ``hparams`` (an untrained copy:
    the field depends on the architecture only)."""
    with open(hparams) as handle:
        info = json.load(handle)
    return value_offsets(SparseApproximator(SparseConfig(**info["sparse"])))


def load_selection(path: str, test: np.ndarray, length: int) -> np.ndarray:
    """``(N_test, L)`` bool selection saved by evaluate_sparse (test rows checked)."""
    with np.load(path, allow_pickle=False) as p:
        if p["rows"].tolist() != test.tolist():
            raise ValueError(f"{path}: test rows differ from the encoded data")
        return selection_mask(p["index"].astype(np.int64), p["valid"].astype(bool), length)


def test_view(data: dict) -> dict:
    """Test rows, their lengths and site masks and the padded length of one encoded data set."""
    test = np.flatnonzero(data["split"] == "test")
    lengths = data["lengths"][test].astype(np.int64)
    sites = site_masks(data["motif_index"][test], lengths, data["motif_roles"]) if data["has_sites"] else {}
    return {"test": test, "lengths": lengths, "sites": sites, "length": data["tokens"].shape[1]}


def collect(
    data: dict, predictions: list[str], hparams: list[str], students: list[dict], draws: dict | None = None
) -> dict:
    """Per (rho, seed): the per-sequence :func:`~gsattn.receptive.coverage` shares and the
    selected positions' distances to the sites; plus the offsets and site masks.

    ``students[i]`` holds the ``rho`` and ``seed`` of ``predictions[i]`` and ``hparams[i]``.
    ``draws`` (``data_seeds``): seed → that seed's own encoded data, used in place of
    ``data`` for its students; ``found["views"]`` then holds one test view per seed."""
    views = {seed: test_view(d) for seed, d in draws.items()} if draws else {None: test_view(data)}
    keys = [(s["rho"], s["seed"]) for s in students]
    fields = {key: offsets_of(path) for key, path in zip(keys, hparams, strict=True)}
    shared = views.get(None)
    out = {"views": views, "offsets": fields, "shares": {}, "distances": {}}
    if shared is not None:
        out |= {"lengths": shared["lengths"], "sites": shared["sites"]}
    else:
        out["sites"] = next(iter(views.values()))["sites"]
    for key, path in sorted(zip(keys, predictions, strict=True), key=lambda kp: kp[0]):  # rho, seed
        view = shared if shared is not None else views[int(key[1])]
        selected = load_selection(path, view["test"], view["length"])
        out["shares"][key] = coverage(selected, view["lengths"], fields[key], view["sites"])
        out["distances"][key] = {g: distance_to_sites(selected, m) for g, m in view["sites"].items()}
    return out


def _field_text(offsets: np.ndarray) -> str:
    return (
        f"{int(offsets.min())}..{int(offsets.max())}"
        if np.all(np.diff(offsets) == 1)
        else str(offsets.tolist())
    )


def coverage_rows(found: dict, n_boot: int, seed: int = 0) -> list[dict]:
    """One row per rho and seed and one per rho with ``seed = "all"`` (mean over seeds of
    the per-seed means over test sequences; CI: two-level bootstrap of the share seen)."""
    rows = []
    rhos = sorted({rho for rho, _ in found["shares"]}, key=float)
    for rho in rhos:
        seeds = sorted(s for r, s in found["shares"] if r == rho)
        per_seed = [found["shares"][rho, s] for s in seeds]
        offsets = found["offsets"][rho, seeds[0]]
        base = {"rho": rho, "field_bp": int(offsets.size), "field_offsets": _field_text(offsets)}
        for s, shares in zip(seeds, per_seed, strict=True):
            rows.append(
                {**base, "seed": s, "n_sequences": len(shares["seen"])}
                | {k: float(np.nanmean(v)) if np.isfinite(v).any() else np.nan for k, v in shares.items()}
                | {"seen_ci_low": np.nan, "seen_ci_high": np.nan}
            )
        if None in found.get("views", {None: None}):
            seen = np.column_stack([shares["seen"] for shares in per_seed])  # (N, S)
            boot = seed_sequence_bootstrap(
                np.zeros(seen.shape[0]), seen, lambda _, s: float(np.mean(s)), n_boot, seed, LEVEL
            )
            n_sequences = seen.shape[0]
        else:  # data_seeds: each seed's own test set (N_s,)
            seen = [np.asarray(shares["seen"], dtype=float) for shares in per_seed]
            boot = seed_sequence_bootstrap(
                [np.zeros(v.size) for v in seen],
                seen,
                lambda _, s: float(np.mean(s)),
                n_boot,
                seed,
                LEVEL,
                own_test_sets=True,
            )
            n_sequences = boot["n"]
        means = {k: float(np.nanmean([r[k] for r in rows[-len(seeds) :]])) for k in per_seed[0]}
        rows.append(
            {**base, "seed": "all", "n_sequences": n_sequences}
            | means
            | {"seen_ci_low": boot["ci_low"], "seen_ci_high": boot["ci_high"]}
        )
    return rows


def _all_positions_histogram(found: dict, group: str, bins: list, length: int) -> np.ndarray:
    """Distance counts of every valid test position to the sites of ``group``: of the
    shared test set, or (``data_seeds``) summed over the seeds' own test sets."""
    views = found.get("views") or {None: {"lengths": found["lengths"], "sites": found["sites"]}}
    total = 0
    for view in views.values():
        valid = valid_positions(view["lengths"], length)
        total = total + distance_histogram(distance_to_sites(valid, view["sites"][group]), bins)
    return total


def histogram_rows(found: dict) -> list[dict]:
    """Counts of the selected positions per distance bin, per site group and rho (summed
    over seeds), beside the counts of all valid positions of the same sequences."""
    if not found["sites"]:
        return []
    half = max(int(np.abs(o).max()) for o in found["offsets"].values())
    length = next(iter(found["sites"].values())).shape[1]
    bins = distance_bins(half, length - 1)
    rows = []
    for group in found["sites"]:
        everything = _all_positions_histogram(found, group, bins, length)
        for rho in sorted({rho for rho, _ in found["distances"]}, key=float):
            keys = [key for key in found["distances"] if key[0] == rho]
            counts = sum(distance_histogram(found["distances"][key][group], bins) for key in keys)
            for (low, high), n, n_all in zip(bins, counts, everything, strict=True):
                rows.append(
                    {
                        "site_group": group,
                        "rho": rho,
                        "label": str(low) if low == high else f"{low}-{high}",
                        "distance_low": low,
                        "distance_high": high,
                        "n_seeds": len(keys),
                        "n_selected": int(n),
                        "share_selected": float(n / max(counts.sum(), 1)),
                        "n_positions": int(n_all),
                        "share_positions": float(n_all / max(everything.sum(), 1)),
                    }
                )
    return rows


def run(
    encoded: str | list[str],
    predictions: list[str],
    hparams: list[str],
    students: list[dict],
    n_boot: int,
    out: dict,
    title: str = "",
    seeds: list[int] | None = None,
) -> None:
    """Write the coverage table, the distance histogram and its figure of one data set
    (``students``: the ``rho`` and ``seed`` of each of ``predictions`` and ``hparams``).

    ``encoded``: one file, or (``data_seeds``) one per seed of ``seeds``, in that order."""
    if isinstance(encoded, str):
        found = collect(load_encoded(encoded), predictions, hparams, students)
    else:
        draws = {int(s): load_encoded(path) for s, path in zip(seeds, encoded, strict=True)}
        found = collect({}, predictions, hparams, students, draws)
    table, histogram = coverage_rows(found, n_boot), histogram_rows(found)
    with atomic_outputs(out["table"], out["distances"], out["figure"]) as (t_path, d_path, f_path):
        with open(t_path, "w") as handle:
            write_table(handle, table)
        with open(d_path, "w") as handle:
            if histogram:
                write_table(handle, histogram)
            else:
                handle.write("site_group\tnote\nnone\tno ground-truth sites in this data set\n")
        site_distance_figure(histogram, str(f_path), title)


def main(smk) -> None:
    out = {k: smk.output[k] for k in ("table", "distances", "figure")}
    with rule_logging(smk.log[0], "measure_receptive_fields"):
        run(
            list(smk.input.encoded) if smk.params.data_seeds else smk.input.encoded,
            list(smk.input.predictions),
            list(smk.input.hparams),
            list(smk.params.students),
            smk.params.n_boot,
            out,
            f"{smk.wildcards.dataset}: selected positions vs the nearest site (summed over seeds)",
            list(smk.params.seeds),
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
