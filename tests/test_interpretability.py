"""Across-seed summary of the attribution-vs-motif metrics."""

import math

import numpy as np
import pytest
from scipy import stats

from gsattn.interpretability import interpretability_summary


# --------------------------------------------------------------------------- interpretability
def interpretation_rows(model, method, values, metric="auroc"):
    base = {"group": "recovery", "motif": "all", "subset": "all", "role": "predictive", "chance": 0.5}
    rows = [
        base | {"model": model, "method": method, "seed": s, "metric": metric, "mean": v, "n": 40 + s}
        for s, v in enumerate(values)
    ]
    # rows the summary must ignore: another subset, a single motif, a decoy group
    rows.append(rows[0] | {"subset": "class1", "mean": 0.0})
    rows.append(rows[0] | {"motif": "SP1", "mean": 0.0})
    rows.append(rows[0] | {"group": "decoy", "mean": 0.0})
    return rows


def test_interpretability_summary_pairs_seeds_against_attention():
    att = [0.70, 0.72, 0.68, 0.71]
    jp = [0.60, 0.61, 0.59, 0.63]
    rows = (
        interpretation_rows("attention", "ism", att)
        + interpretation_rows("joint_pipeline", "ism", jp)
        + interpretation_rows("attention", "attention", [0.55, 0.56, 0.57, 0.58])
    )
    table = {(r["model"], r["method"]): r for r in interpretability_summary(rows)}
    assert set(table) == {("attention", "ism"), ("joint_pipeline", "ism"), ("attention", "attention")}
    ism = table[("joint_pipeline", "ism")]
    assert ism["mean"] == pytest.approx(np.mean(jp)) and ism["sd"] == pytest.approx(np.std(jp, ddof=1))
    assert ism["n_seeds"] == 4 and ism["n_sequences"] == pytest.approx(41.5) and ism["chance"] == 0.5
    expected = stats.ttest_rel(jp, att)
    assert ism["difference_vs_attention"] == pytest.approx(np.mean(np.subtract(jp, att)))
    assert ism["p_value"] == pytest.approx(expected.pvalue)
    assert ism["ci_low"] < ism["difference_vs_attention"] < ism["ci_high"] < 0
    assert math.isnan(table[("attention", "ism")]["p_value"])
    assert math.isnan(table[("attention", "attention")]["difference_vs_attention"])
    with pytest.raises(ValueError, match="seeds"):
        interpretability_summary(
            rows
            + interpretation_rows("joint_pipeline", "saliency", jp[:3])
            + interpretation_rows("attention", "saliency", att)
        )
