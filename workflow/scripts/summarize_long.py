"""Rule summarize_long: the long-sequence comparison across lengths, models and seeds.

Reads every model's ``metrics.tsv``, ``predictions.npz``, ``recovery.tsv`` and
``selection.tsv`` (the rule passes their ``length``, ``model`` and ``seed`` in file
order, ``params.models``) and writes:

* ``per_seed.tsv`` – one row per (length, model, seed);
* ``summary.tsv`` – one row per (length, model): status (an over-budget point keeps
  its row, with the reason and the estimates), test accuracy with a two-level
  (seeds, then test sequences) bootstrap CI (:func:`gsattn.stats.seed_sequence_bootstrap`),
  the means over seeds of the time to the best validation epoch, the OS peak memory of a
  training step and of inference, the inference throughput, and the recovery and
  selection headlines (:func:`gsattn.long.recovery_headline`,
  :func:`gsattn.long.selection_headline`);
  and, at each length, the test accuracy of the PWM-scan OR rule that knows the planted
  matrices (``oracle_accuracy``, rule ``score_pwm_oracle_long``: the task's practical
  ceiling, which falls as background hits multiply with length);
* ``recovery.tsv`` and ``selection.tsv`` – every model's rows;
* ``long_sequences.png`` – :func:`gsattn.long.long_figure`.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

import numpy as np

from gsattn.io import atomic_outputs, read_table, write_columns, write_table
from gsattn.logs import rule_logging
from gsattn.long import TRAINED, long_figure, recovery_headline, selection_headline, summary_rows
from gsattn.stats import accuracy_from_logits, seed_sequence_bootstrap

SELECTORS = {"attention": "attention_topk", "sparse": "learned"}


def accuracy_intervals(per_seed: list[dict], predictions: list[str], keys: list[dict], n_boot: int) -> dict:
    """``(length, model) →`` two-level bootstrap of the trained seeds' test accuracy."""
    trained = {(r["length"], r["model"], r["seed"]) for r in per_seed if r["status"] == TRAINED}
    columns: dict[tuple, list] = {}
    labels = {}
    for key, path in zip(keys, predictions, strict=True):
        if (key["length"], key["model"], key["seed"]) not in trained:
            continue
        with np.load(path, allow_pickle=False) as p:
            labels[key["length"]] = p["labels"].astype(int)
            columns.setdefault((key["length"], key["model"]), []).append(p["logits"].astype(float))
    return {
        k: seed_sequence_bootstrap(labels[k[0]], np.column_stack(v), accuracy_from_logits, n_boot, seed=0)
        for k, v in columns.items()
    }


def oracle_accuracy(path: str) -> float:
    """Test accuracy of the PWM-scan OR rule in one ``pwm_oracle.tsv`` (NaN if absent)."""
    found = [
        r["value"] for r in read_table(path) if (r["classifier"], r["metric"]) == ("or_rule", "accuracy")
    ]
    return float(found[0]) if found else float("nan")


def _read_all(paths: list[str]) -> list[dict]:
    return [row for path in paths for row in read_table(path)]


def run(inputs: dict, keys: list[dict], n_boot: int, out: dict, lengths: list[int] | None = None) -> None:
    """Summarise; ``inputs``: lists metrics, predictions, recovery, selection (order of ``keys``)
    and, optionally, ``oracle`` (one ``pwm_oracle.tsv`` per length of ``lengths``)."""
    per_seed = _read_all(inputs["metrics"])
    recovery, selection = _read_all(inputs["recovery"]), _read_all(inputs["selection"])
    accuracy = accuracy_intervals(per_seed, inputs["predictions"], keys, n_boot)
    pairs = {(r["length"], r["model"]) for r in per_seed}
    heads = {k: recovery_headline([r for r in recovery if (r["length"], r["model"]) == k]) for k in pairs}
    chosen = {
        k: selection_headline([r for r in selection if (r["length"], r["model"]) == k], SELECTORS[k[1]])
        for k in pairs
        if k[1] in SELECTORS
    }
    rows = summary_rows(per_seed, accuracy, heads, chosen)
    ceilings = dict(zip(lengths or [], map(oracle_accuracy, inputs.get("oracle", [])), strict=True))
    rows = [r | {"oracle_accuracy": ceilings.get(r["length"], float("nan"))} for r in rows]
    with atomic_outputs(
        out["summary"], out["per_seed"], out["recovery"], out["selection"], out["figure"]
    ) as p:
        for path, table in zip(p[:4], (rows, per_seed, recovery, selection), strict=True):
            with open(path, "w") as handle:
                write_table(handle, table) if table else write_columns(handle, {"length": []})
        long_figure(rows, str(p[4]))


def main(smk) -> None:
    inputs = {k: list(smk.input[k]) for k in ("metrics", "predictions", "recovery", "selection", "oracle")}
    out = {k: smk.output[k] for k in ("summary", "per_seed", "recovery", "selection", "figure")}
    with rule_logging(smk.log[0], "summarize_long"):
        run(inputs, smk.params.models, smk.params.n_boot, out, list(smk.params.lengths))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
