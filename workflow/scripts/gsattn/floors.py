"""Trivial floors for Phase 3: GC content only, and k-mer counts, each with logistic regression.

A learned model that does not beat these is reported as such. Both are fitted on
the training split and scored on the test split (deterministic; no seeds).
"""

from __future__ import annotations

import itertools

import numpy as np

from gsattn.stats import accuracy_from_logits, auroc


def gc_features(tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``(N, 1)`` GC fraction over A/C/G/T positions of ``(N, L)`` tokens."""
    acgt = tokens < 4
    gc = np.isin(tokens, (1, 2)) & acgt
    return (gc.sum(1) / np.maximum(acgt.sum(1), 1))[:, None]


def kmer_features(tokens: np.ndarray, k: int) -> np.ndarray:
    """``(N, 4**k)`` k-mer frequencies (windows containing N or PAD are skipped)."""
    n, length = tokens.shape
    index = np.zeros((n, length - k + 1), dtype=np.int64)
    ok = np.ones_like(index, dtype=bool)
    for j in range(k):
        window = tokens[:, j : length - k + 1 + j].astype(np.int64)
        ok &= window < 4
        index = index * 4 + np.minimum(window, 3)
    counts = np.zeros((n, 4**k))
    rows = np.repeat(np.arange(n), index.shape[1]).reshape(index.shape)
    np.add.at(counts, (rows[ok], index[ok]), 1.0)
    return counts / np.maximum(counts.sum(1, keepdims=True), 1.0)


def kmer_names(k: int) -> list[str]:
    return ["".join(p) for p in itertools.product("ACGT", repeat=k)]


def fit_floor(features: np.ndarray, labels: np.ndarray, split: np.ndarray) -> dict:
    """Standardise on train, fit L2 logistic regression on train, score test.

    Returns
    -------
    dict
        ``accuracy``, ``auroc`` on the test split and the test ``logits`` ``(n_test,)``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    train, test = split == "train", split == "test"
    scaler = StandardScaler().fit(features[train])
    model = LogisticRegression(max_iter=2000).fit(scaler.transform(features[train]), labels[train])
    logits = model.decision_function(scaler.transform(features[test]))
    y = labels[test]
    return {"accuracy": accuracy_from_logits(y, logits), "auroc": auroc(y, logits), "logits": logits}
