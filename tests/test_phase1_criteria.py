"""The Phase 1 criteria table, the one-model two-level bootstrap and the learning-curve summary."""

import numpy as np
import pytest
from summarize_learning_curve import summary_rows
from summarize_phase1 import accuracy_criteria, attention_criterion, judge

from gsattn.stats import accuracy_from_logits, seed_sequence_bootstrap


@pytest.mark.parametrize(
    ("point", "low", "verdict"),
    [
        (0.83, 0.81, "holds"),
        (0.83, 0.80, "inconclusive"),  # the claim is "more than": a bound at the threshold is not enough
        (0.81, 0.79, "inconclusive"),
        (0.80, 0.78, "does not hold"),
        (0.79, 0.77, "does not hold"),
        (np.nan, np.nan, "does not hold"),
    ],
)
def test_judge_flips_at_the_threshold(point, low, verdict):
    assert judge(point, low, 0.80) == verdict


def _correct_first(y: np.ndarray, m: int) -> np.ndarray:
    """Logits right on the first ``m`` sequences and wrong on the rest."""
    sign = np.where(np.arange(y.size) < m, 1.0, -1.0)
    return sign * np.where(y == 1, 1.0, -1.0)


def test_seed_sequence_bootstrap_with_one_seed_is_the_sequence_bootstrap():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 300)
    logits = _correct_first(y, 240)[:, None]
    r = seed_sequence_bootstrap(y, logits, accuracy_from_logits, n_boot=400, seed=7)
    assert r["mean"] == pytest.approx(0.8)
    draws = np.random.default_rng(7)
    boot = []
    for _ in range(400):
        draws.integers(0, 1, size=1)  # the seed draw, trivial with one seed
        index = draws.integers(0, 300, size=300)
        boot.append(accuracy_from_logits(y[index], logits[index, 0]))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(tuple(np.percentile(boot, [2.5, 97.5])))


def test_seed_sequence_bootstrap_widens_with_the_seed_spread():
    y = np.tile([0, 1], 500)
    same = np.stack([_correct_first(y, 800)] * 5, axis=1)
    spread = np.stack([_correct_first(y, m) for m in (700, 750, 800, 850, 900)], axis=1)
    a = seed_sequence_bootstrap(y, same, accuracy_from_logits, n_boot=500, seed=1)
    b = seed_sequence_bootstrap(y, spread, accuracy_from_logits, n_boot=500, seed=1)
    assert a["mean"] == pytest.approx(0.8) and b["mean"] == pytest.approx(0.8)
    assert (b["ci_high"] - b["ci_low"]) > 1.5 * (a["ci_high"] - a["ci_low"])
    perfect = seed_sequence_bootstrap(y, np.stack([_correct_first(y, 1000)] * 3, 1), accuracy_from_logits)
    assert (perfect["ci_low"], perfect["ci_high"]) == (1.0, 1.0)


def _truths(tmp_path, y_test, accuracies):
    """ground_truth.npz stand-ins: 100 train + len(y_test) test sequences, one file per seed."""
    n_train = 100
    ids = np.array([f"s{i}" for i in range(n_train + y_test.size)])
    split = np.array(["train"] * n_train + ["test"] * y_test.size)
    paths = []
    for j, acc in enumerate(accuracies):
        logits = np.concatenate([np.zeros(n_train), _correct_first(y_test, round(acc * y_test.size))])
        path = tmp_path / f"seed{j}.npz"
        np.savez(path, ids=ids, split=split, logits=logits.astype(np.float32))
        paths.append(str(path))
    labels = np.concatenate([np.zeros(n_train, int), y_test])
    return {"ids": ids, "labels": labels}, paths


def test_accuracy_criteria_on_known_accuracies(tmp_path):
    y = np.tile([0, 1], 1000)
    criteria = {"accuracy": 0.8, "n_boot": 300}
    oracle = [{"classifier": "or_rule", "metric": "accuracy", "value": 0.9}]
    data, paths = _truths(tmp_path, y, [0.86, 0.85, 0.87])
    rows = {r["criterion"]: r for r in accuracy_criteria(data, paths, oracle, criteria)}
    assert rows["accuracy"]["measured"] == pytest.approx(0.86)
    assert rows["accuracy"]["ci_low"] > 0.8 and rows["accuracy"]["verdict"] == "holds"
    assert "3 of 3 seeds above 0.8" in rows["accuracy"]["evidence"]
    assert rows["accuracy_fraction_of_oracle"]["measured"] == pytest.approx(0.86 / 0.9)
    data, paths = _truths(tmp_path, y, [0.79, 0.80, 0.78])
    assert accuracy_criteria(data, paths, oracle, criteria)[0]["verdict"] == "does not hold"
    data, paths = _truths(tmp_path, y[:200], [0.815, 0.80, 0.81])  # above, but 200 sequences cannot show it
    assert accuracy_criteria(data, paths, oracle, criteria)[0]["verdict"] == "inconclusive"


def _recovery_row(seed, p, hit=0.6):
    return {
        "model": "attention",
        "seed": seed,
        "method": "attention",
        "head": "mean",
        "group": "recovery",
        "subset": "all",
        "motif": "all",
        "metric": "top1",
        "mean": hit,
        "chance": 0.14,
        "p_value": p,
    }


def test_attention_criterion_needs_every_seed_below_alpha():
    rows = [_recovery_row(s, 1e-20) for s in (1, 2, 3)]
    assert attention_criterion(rows, "attention", 3, 0.01)["verdict"] == "holds"
    rows[1]["p_value"] = 0.02
    assert attention_criterion(rows, "attention", 3, 0.01)["verdict"] == "does not hold"
    assert attention_criterion(rows[:2], "attention", 3, 0.01)["verdict"] == "does not hold"  # a seed missing
    assert attention_criterion([], "attention", 3, 0.01)["verdict"] == "not tested"


def test_learning_curve_summary():
    per_seed = [
        {"n_sequences": n, "seed": s, "accuracy": a}
        for n, s, a in [(1000, 1, 0.70), (1000, 2, 0.72), (4000, 1, 0.80), (4000, 2, 0.84)]
    ]
    rows = summary_rows(per_seed, {1000: 0.8, 4000: 0.88})
    assert [r["n_sequences"] for r in rows] == [1000, 4000]
    assert rows[1]["mean"] == pytest.approx(0.82) and rows[1]["sd"] == pytest.approx(
        np.std([0.8, 0.84], ddof=1)
    )
    assert rows[0]["fraction_of_oracle"] == pytest.approx(0.71 / 0.8)
