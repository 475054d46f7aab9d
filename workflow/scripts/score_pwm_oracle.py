"""Rule score_pwm_oracle: how well can a classifier that knows the planted motifs do?

For synthetic data sets the true JASPAR matrices are known. Each sequence gets
its best log2-odds scan score per predictive motif (both strands; background =
training-set base frequencies). Two reference classifiers are fitted on the
training split only and scored on the test split: logistic regression on those
scores, and an OR rule (max over motifs of the score standardised on training
negatives, threshold chosen on training accuracy). They give a practical ceiling
for the learned models; they are not Bayes-optimal (sites below background hits
stay invisible to any scan). Data sets without JASPAR matrix IDs get an empty table.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import logging

import numpy as np

from gsattn.datasets import load_encoded, read_motif_table
from gsattn.io import atomic_outputs, write_columns
from gsattn.logs import rule_logging
from gsattn.motifs import fetch_jaspar_motifs, scan_max

log = logging.getLogger("score_pwm_oracle")
COLUMNS = ("classifier", "metric", "value", "n_test", "motifs")


def base_frequencies(tokens: np.ndarray) -> np.ndarray:
    """``(4,)`` A/C/G/T frequencies of ``(N, L)`` tokens (N and PAD ignored)."""
    counts = np.bincount(tokens[tokens < 4].ravel(), minlength=4).astype(float)
    return counts / counts.sum()


def or_rule(z_train: np.ndarray, y_train: np.ndarray) -> float:
    """Threshold on ``max_m z`` with the best training accuracy."""
    scores = z_train.max(axis=1)
    candidates = np.unique(scores)
    accuracy = [((scores > t) == y_train).mean() for t in candidates]
    return float(candidates[int(np.argmax(accuracy))])


def oracle_rows(features: np.ndarray, labels: np.ndarray, split: np.ndarray, names: str) -> list[dict]:
    """Fit both reference classifiers on train, score them on test."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    train, test = split == "train", split == "test"
    y_tr, y_te = labels[train], labels[test]
    negatives = features[train & (labels == 0)]
    z = (features - negatives.mean(axis=0)) / negatives.std(axis=0).clip(1e-9)
    threshold = or_rule(z[train], y_tr)
    logistic = LogisticRegression(max_iter=1000).fit(z[train], y_tr)
    outputs = {
        "logistic": (logistic.decision_function(z[test]), 0.0),
        "or_rule": (z[test].max(axis=1), threshold),
    }
    rows = []
    for name, (score, cut) in outputs.items():
        rows.append(
            {"classifier": name, "metric": "accuracy", "value": float(((score > cut) == y_te).mean())}
        )
        rows.append({"classifier": name, "metric": "auroc", "value": float(roc_auc_score(y_te, score))})
    return [r | {"n_test": int(test.sum()), "motifs": names} for r in rows]


def run(encoded: str, motifs: str, out: str) -> None:
    """Write the PWM-oracle table of one data set."""
    data = load_encoded(encoded)
    table = [m for m in read_motif_table(motifs) if m["role"] == "predictive" and m["matrix_id"]]
    rows: list[dict] = []
    if table:
        refs = [{"id": m["matrix_id"]} for m in table]
        pwms = fetch_jaspar_motifs(refs, table[0]["release"], "predictive")
        tokens = data["tokens"]
        background = base_frequencies(tokens[data["split"] == "train"])
        features = np.stack([scan_max(tokens, m.probs, background) for m in pwms], axis=1)
        rows = oracle_rows(
            features, data["labels"].astype(int), data["split"], ",".join(m.label for m in pwms)
        )
        log.info("PWM oracle: %s", {(r["classifier"], r["metric"]): round(r["value"], 3) for r in rows})
    else:
        log.info("no JASPAR matrices with role predictive: empty table")
    with atomic_outputs(out) as (path,), open(path, "w") as handle:
        write_columns(handle, {c: [r[c] for r in rows] for c in COLUMNS})


def main(smk) -> None:
    with rule_logging(smk.log[0], "score_pwm_oracle"):
        run(smk.input.encoded, smk.input.motifs, smk.output.oracle)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
