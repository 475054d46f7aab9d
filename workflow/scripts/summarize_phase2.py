"""Rule summarize_phase2: one data set's Phase 2 criteria table and summaries.

Criteria (thresholds from config ``phase2.criteria``, fixed by the design):

* ``accuracy_fraction`` per rho: mean test accuracy of the sparse models over
  seeds ÷ that of their teachers, with a paired bootstrap over test sequences
  that resamples the same sequences for every seed. ``holds`` when the CI's
  lower bound reaches the threshold, ``does not hold`` when the point estimate
  misses it, ``inconclusive`` otherwise.
* ``compute_reduction`` per rho: 1 − FLOPs(sparse) / FLOPs(teacher), closed form,
  whole forward pass at the trained length (exact, no interval).
* ``selection_is_motifs`` per rho: the learned selection's shift-null p-value
  for all predictive (or known) motifs, Benjamini–Hochberg adjusted across rho
  and motifs within each seed; ``holds`` when the adjusted p is below alpha in
  every seed.
* ``speedup_vs_sdpa`` at the benchmark's lengths (4096 ≥ 20×, 16384 ≥ 100×, the
  issue's targets) and ``memory_growth`` (log-log slope of the sparse model's
  peak memory in L; ≤ 1.1 counts as linear), from the scaling benchmark.
"""

from collections import defaultdict
from pathlib import Path

import numpy as np

from gsattn.io import atomic_outputs, read_table, write_table
from gsattn.logs import rule_logging
from gsattn.stats import adjust_pvalues

SPEEDUP_TARGETS = {4096: 20.0, 16384: 100.0}
LEVEL = 0.95


def model_key(path: str) -> tuple[str, int]:
    """``.../rho<rho>/seed<seed>/file`` → (rho, seed)."""
    parts = Path(path).parts
    return parts[-3].removeprefix("rho"), int(parts[-2].removeprefix("seed"))


def verdict(point: float, low: float, threshold: float) -> str:
    """holds / inconclusive / does not hold for a 'at least threshold' claim."""
    if not np.isfinite(point) or point < threshold:
        return "does not hold"
    return "holds" if np.isfinite(low) and low >= threshold else "inconclusive"


def pooled_accuracy_ratio(predictions: list[str], n_boot: int, seed: int = 0) -> dict:
    """Mean-over-seeds accuracy ratio sparse/full with a bootstrap over test sequences."""
    full, sparse = [], []
    rows = None
    for path in predictions:
        with np.load(path, allow_pickle=False) as p:
            if rows is not None and p["rows"].tolist() != rows:
                raise ValueError(f"{path}: test rows differ between seeds")
            rows = p["rows"].tolist()
            y = p["labels"].astype(int)
            full.append((p["full_logits"] > 0).astype(int) == y)
            sparse.append((p["sparse_logits"] > 0).astype(int) == y)
    full_ok, sparse_ok = np.array(full, float), np.array(sparse, float)  # (seeds, N)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, full_ok.shape[1], size=(n_boot, full_ok.shape[1]))
    full_boot = full_ok[:, idx].mean(axis=(0, 2))
    kept = full_boot > 0  # a resample where the teacher is never right has no ratio: skipped
    ratio_boot = sparse_ok[:, idx].mean(axis=(0, 2))[kept] / full_boot[kept]
    low, high = (
        np.percentile(ratio_boot, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
        if kept.any()
        else (np.nan,) * 2
    )
    return {
        "full": float(full_ok.mean()),
        "sparse": float(sparse_ok.mean()),
        "ratio": float(sparse_ok.mean() / full_ok.mean()),
        "low": float(low),
        "high": float(high),
        "n_seeds": full_ok.shape[0],
    }


def metric_value(rows: list[dict], metric: str) -> float:
    return float(next(r["value"] for r in rows if r["metric"] == metric))


def compute_rows(sparse_compute: list[str], teacher_compute: str, threshold: float) -> list[dict]:
    """FLOP reduction of each rho against the teacher, whole forward pass."""
    teacher = metric_value(read_table(teacher_compute), "flops_analytical")
    rows = []
    for path in sparse_compute:
        rho = Path(path).parts[-2].removeprefix("rho")
        sparse = metric_value(read_table(path), "flops_analytical")
        reduction = 1.0 - sparse / teacher
        rows.append(
            criterion_row(
                "compute_reduction",
                rho,
                reduction,
                np.nan,
                np.nan,
                threshold,
                "holds" if reduction >= threshold else "does not hold",
                f"closed-form FLOPs/sequence: sparse {sparse:.0f} vs teacher {teacher:.0f}",
            )
        )
    return rows


def criterion_row(name, rho, measured, low, high, threshold, result, evidence) -> dict:
    return {
        "criterion": name,
        "rho": rho,
        "measured": measured,
        "ci_low": low,
        "ci_high": high,
        "threshold": threshold,
        "verdict": result,
        "evidence": evidence,
    }


def accuracy_rows(predictions: list[str], threshold: float, n_boot: int) -> list[dict]:
    by_rho = defaultdict(list)
    for path in predictions:
        by_rho[model_key(path)[0]].append(path)
    rows = []
    for rho, paths in sorted(by_rho.items(), key=lambda kv: float(kv[0])):
        r = pooled_accuracy_ratio(sorted(paths), n_boot)
        evidence = f"test accuracy sparse {r['sparse']:.3f} vs full {r['full']:.3f}, {r['n_seeds']} seeds"
        rows.append(
            criterion_row(
                "accuracy_fraction",
                rho,
                r["ratio"],
                r["low"],
                r["high"],
                threshold,
                verdict(r["ratio"], r["low"], threshold),
                evidence,
            )
        )
    return rows


def adjusted_selection(selection: list[str]) -> list[dict]:
    """Learned-selector rows with BH-adjusted shift-null p-values (across rho and
    motifs of the recovery group, within each seed)."""
    rows = []
    for path in selection:
        rho, seed = model_key(path)
        rows += [{"rho": rho, "seed": seed, **r} for r in read_table(path) if "group" in r]
    by_seed = defaultdict(list)
    for r in rows:
        if r["selector"] == "learned" and r["group"] == "recovery":
            by_seed[r["seed"]].append(r)
    for members in by_seed.values():
        adjusted = adjust_pvalues(np.array([m["p_value"] for m in members], float))
        for m, p in zip(members, adjusted, strict=True):
            m["p_adjusted"] = float(p)
    return rows


def selection_criteria(rows: list[dict], alpha: float) -> list[dict]:
    out = []
    learned = [
        r for r in rows if r["selector"] == "learned" and r["group"] == "recovery" and r["motif"] == "all"
    ]
    for rho in sorted({r["rho"] for r in learned}, key=float):
        members = [r for r in learned if r["rho"] == rho]
        worst = max(m["p_adjusted"] for m in members)
        enrichment = np.mean([m["enrichment"] for m in members])
        precision = np.mean([m["precision"] for m in members])
        result = "holds" if worst < alpha else "does not hold"
        evidence = (
            f"BH-adjusted shift-null p (largest of {len(members)} seeds); "
            f"precision {precision:.3f}, enrichment {enrichment:.2f}x"
        )
        out.append(criterion_row("selection_is_motifs", rho, worst, np.nan, np.nan, alpha, result, evidence))
    return out


def scaling_rows(speedups: str, scaling: str) -> list[dict]:
    """Speed-up targets vs SDPA and the growth of sparse peak memory with L."""
    rows = []
    ratios = read_table(speedups)
    for r in ratios:
        length, target = int(r["length"]), SPEEDUP_TARGETS.get(int(r["length"]))
        if target is None or not np.isfinite(r["speedup_vs_sdpa"]):
            continue
        result = "holds" if r["speedup_vs_sdpa"] >= target else "does not hold"
        evidence = f"L={length}: sparse vs SDPA wall time, batch 1, this CPU"
        rows.append(
            criterion_row(
                f"speedup_vs_sdpa_L{length}",
                r["rho"],
                r["speedup_vs_sdpa"],
                np.nan,
                np.nan,
                target,
                result,
                evidence,
            )
        )
    table = [r for r in read_table(scaling) if r["method"] == "sparse" and r["status"] == "ok"]
    for rho in sorted({r["rho"] for r in table}, key=float):
        pts = sorted((r["length"], r["peak_bytes"]) for r in table if r["rho"] == rho)
        if len(pts) < 2:
            continue
        slope = float(np.polyfit(np.log([p[0] for p in pts]), np.log([max(p[1], 1) for p in pts]), 1)[0])
        result = "holds" if slope <= 1.1 else "does not hold"
        evidence = f"log-log slope of peak memory over L = {pts[0][0]}..{pts[-1][0]} (1 = linear)"
        rows.append(criterion_row("memory_growth_linear", rho, slope, np.nan, np.nan, 1.1, result, evidence))
    return rows


def summary_rows(metrics: list[str]) -> list[dict]:
    """Mean, SD, min, max over seeds of every metric, per rho."""
    groups = defaultdict(list)
    for path in metrics:
        rho, _ = model_key(path)
        for r in read_table(path):
            groups[(rho, r["metric"])].append(float(r["value"]))
    out = []
    for (rho, metric), values in sorted(groups.items(), key=lambda kv: (float(kv[0][0]), kv[0][1])):
        v = np.array(values)
        sd = float(v.std(ddof=1)) if len(v) > 1 else np.nan
        out.append(
            {
                "rho": rho,
                "metric": metric,
                "n_seeds": len(v),
                "mean": float(v.mean()),
                "sd": sd,
                "min": float(v.min()),
                "max": float(v.max()),
            }
        )
    return out


def selection_summary(rows: list[dict]) -> list[dict]:
    groups = defaultdict(list)
    for r in rows:
        groups[(r["rho"], r["selector"], r["group"], r["motif"])].append(r)
    out = []
    for (rho, selector, group, motif), members in sorted(
        groups.items(), key=lambda kv: (float(kv[0][0]), kv[0][1:])
    ):
        p = np.array([m["p_value"] for m in members], float)
        out.append(
            {
                "rho": rho,
                "selector": selector,
                "group": group,
                "motif": motif,
                "n_seeds": len(members),
                "precision": float(np.mean([m["precision"] for m in members])),
                "chance": float(np.mean([m["chance"] for m in members])),
                "enrichment": float(np.mean([m["enrichment"] for m in members])),
                "p_max": float(np.nanmax(p)) if np.isfinite(p).any() else np.nan,
                "p_adjusted_max": float(max((m.get("p_adjusted", np.nan) for m in members), default=np.nan)),
                "seeds_p_below_0.01": int(np.sum(p < 0.01)),
            }
        )
    return out


def run(inputs: dict, criteria: dict, n_boot: int, out: dict) -> None:
    """Write the criteria table, metric summary and selection summary of one data set."""
    table = accuracy_rows(inputs["predictions"], criteria["accuracy_fraction"], n_boot)
    table += compute_rows(inputs["sparse_compute"], inputs["teacher_compute"], criteria["compute_reduction"])
    selection = adjusted_selection(inputs["selection"])
    if selection:
        table += selection_criteria(selection, criteria["alpha"])
    else:
        table.append(
            criterion_row(
                "selection_is_motifs",
                "all",
                np.nan,
                np.nan,
                np.nan,
                criteria["alpha"],
                "not tested",
                "no ground-truth sites in this data set",
            )
        )
    if inputs.get("speedups"):
        table += scaling_rows(inputs["speedups"], inputs["scaling"])
    else:
        table.append(
            criterion_row(
                "speedup_vs_sdpa",
                "all",
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                "not tested",
                "the long-sequence benchmark times the attention teacher's student only",
            )
        )
    with atomic_outputs(out["criteria"], out["metrics"], out["selection"]) as (c_path, m_path, s_path):
        with open(c_path, "w") as handle:
            write_table(handle, table)
        with open(m_path, "w") as handle:
            write_table(handle, summary_rows(inputs["metrics"]))
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
    # the joint-pipeline-teacher variant of the rule has no scaling inputs
    inputs |= {k: smk.input[k] for k in ("speedups", "scaling") if k in smk.input.keys()}
    with rule_logging(smk.log[0], "summarize_phase2"):
        run(
            inputs,
            smk.params.criteria,
            smk.params.n_boot,
            {k: smk.output[k] for k in ("criteria", "metrics", "selection")},
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
