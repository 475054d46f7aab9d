"""Phase 4 literature table (gsattn.literature, rule literature_table).

Metrics on hand-made inputs with known answers (MCC, sensitivity, specificity, the
all-one-class edge and the logit-0 decision edge), the published table as shipped
(every value in [0, 1] with a citation and a URL) and malformed copies of it, the
table the rule script writes from tiny fake model outputs (its shape, the published
rows joined to their set, a deduplicated test, a set without published numbers), and
dry runs: the default config plans the rule, the tiny config (no real set) does not.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import matthews_corrcoef

from conftest import DATA, REPO
from gsattn.io import InputError, read_table
from gsattn.literature import (
    METRICS,
    PUBLISHED_COLUMNS,
    TABLE_COLUMNS,
    mcc,
    published_rows,
    read_published,
    sensitivity,
    specificity,
)

SHIPPED = REPO / "resources" / "literature.tsv"
sys.path.insert(0, str(REPO / "workflow" / "scripts"))
import summarize_literature  # noqa: E402


# --------------------------------------------------------------------------- metrics
def test_mcc_sensitivity_specificity_by_hand():
    y = np.array([1, 1, 0, 0, 0])
    score = np.array([2.0, -1.0, -3.0, 0.5, -0.1])  # tp 1, fn 1, tn 2, fp 1
    assert mcc(y, score) == pytest.approx((1 * 2 - 1 * 1) / math.sqrt(2 * 2 * 3 * 3))
    assert sensitivity(y, score) == pytest.approx(0.5)
    assert specificity(y, score) == pytest.approx(2 / 3)


def test_mcc_matches_sklearn_on_random_logits():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    score = rng.normal(size=200) + y
    assert mcc(y, score) == pytest.approx(matthews_corrcoef(y, (score > 0).astype(int)))
    assert mcc(y, np.where(y == 1, 1.0, -1.0)) == pytest.approx(1.0)
    assert mcc(y, np.where(y == 1, -1.0, 1.0)) == pytest.approx(-1.0)


def test_all_one_class_predictions_give_mcc_zero_and_full_or_no_recall():
    y = np.array([1, 0, 1, 0])
    for score, sn, sp in ((np.ones(4), 1.0, 0.0), (-np.ones(4), 0.0, 1.0)):
        assert mcc(y, score) == 0.0
        assert matthews_corrcoef(y, (score > 0).astype(int)) == 0.0  # the same convention
        assert (sensitivity(y, score), specificity(y, score)) == (sn, sp)


def test_a_logit_of_zero_predicts_class_zero_and_the_metric_flips_just_above():
    y = np.array([1, 0])
    assert sensitivity(y, np.array([0.0, -1.0])) == 0.0
    assert sensitivity(y, np.array([1e-9, -1.0])) == 1.0
    assert mcc(y, np.array([1e-9, -1.0])) == pytest.approx(1.0)


def test_recall_of_a_missing_class_is_undefined():
    assert math.isnan(sensitivity(np.zeros(3, int), np.ones(3)))
    assert math.isnan(specificity(np.ones(3, int), np.ones(3)))
    with pytest.raises(ValueError, match="binary"):
        mcc(np.array([0, 2]), np.zeros(2))


# --------------------------------------------------------------------------- the published table
def test_the_shipped_table_parses_and_every_value_has_a_citation():
    rows = read_published(SHIPPED)
    assert rows and all(0.0 <= r["value"] <= 1.0 for r in rows)
    assert all(r["citation"].strip() and r["url"].startswith("http") for r in rows)
    assert {r["metric"] for r in rows} <= set(METRICS)
    by_key = {(r["set"], r["method"], r["metric"]): r for r in rows}
    assert by_key[("ienhancer2l", "iEnhancer-2L", "accuracy")]["value"] == 0.730
    assert by_key[("ienhancer2l", "iEnhancer-5Step", "accuracy")]["value"] == 0.790
    assert by_key[("ienhancer2l", "iEnhancer-DCSA", "accuracy")]["value"] == 0.825
    assert by_key[("ienhancer2l", "iEnhancer-ELM", "mcc")]["value"] == 0.661
    cnnprom = [r for r in rows if r["set"] == "epd_promoters"]
    assert cnnprom and all(r["comparable"] == "no" for r in cnnprom)


def _resource(write, *lines: str):
    return write("lit.tsv", "\t".join(PUBLISHED_COLUMNS) + "\n" + "".join(f"{x}\n" for x in lines))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ienhancer2l\tm\taccuracy\t73\tc\thttps://x\tn\tyes", r"line 2: value 73.0 must lie in \[0, 1\]"),
        ("ienhancer2l\tm\tf1\t0.7\tc\thttps://x\tn\tyes", "line 2: metric 'f1'"),
        (
            "ienhancer2l\tm\taccuracy\t0.7\t \thttps://x\tn\tyes",
            "line 2: every published number needs a citation",
        ),
        ("ienhancer2l\tm\taccuracy\t0.7\tc\thttps://x\tn\tmaybe", "line 2: comparable must be yes or no"),
    ],
)
def test_a_malformed_published_row_names_the_file_and_line(write, line, message):
    with pytest.raises(InputError, match=message):
        read_published(_resource(write, line))


def test_a_repeated_published_number_is_refused(write):
    row = "ienhancer2l\tm\taccuracy\t0.7\tc\thttps://x\tn\tyes"
    with pytest.raises(InputError, match="line 3: repeated"):
        read_published(_resource(write, row, row))


def test_an_unknown_set_has_no_published_rows_and_a_deduplicated_test_is_not_comparable():
    rows = read_published(SHIPPED)
    assert published_rows(rows, "d", "no_such_set", True) == []
    same = published_rows(rows, "ienhancer2l", "ienhancer2l", True)
    dedup = published_rows(rows, "ienhancer2l_dedup", "ienhancer2l", False)
    assert len(same) == len(dedup) == sum(r["set"] == "ienhancer2l" for r in rows)
    assert {r["comparable"] for r in same} == {"yes"} and {r["comparable"] for r in dedup} == {"no"}


# --------------------------------------------------------------------------- the rule script
def _fake_dataset(tmp_path, name: str, seeds: list[int], flip_seed: int | None = None) -> dict:
    """Encoded data (6 test rows among 10) and perfect models, except ``flip_seed``'s reference."""
    split = np.array(
        ["train", "test", "validation", "test", "test", "train", "test", "test", "test", "train"]
    )
    labels = np.array([0, 1, 0, 0, 1, 1, 0, 1, 0, 1])
    test = np.flatnonzero(split == "test")
    folder = tmp_path / name
    folder.mkdir()
    np.savez(folder / "encoded.npz", split=split, labels=labels.astype(np.int8))
    perfect = np.where(labels == 1, 2.0, -2.0).astype(np.float32)
    entry = {"dataset": name, "reference": "attention", "encoded": [], "truths": [], "floors": []}
    entry |= {"students": {"0.1": []}, "phase3": {"cnn": []}, "seeds": seeds}
    for s in seeds:
        logits = -perfect if s == flip_seed else perfect
        np.savez(folder / f"truth{s}.npz", logits=logits, split=split)
        np.savez(
            folder / f"sparse{s}.npz",
            rows=test.astype(np.int32),
            labels=labels[test].astype(np.int8),
            sparse_logits=perfect[test],
        )
        np.savez(folder / f"cnn{s}.npz", rows=test.astype(np.int32), logits=perfect[test])
        entry["encoded"].append(str(folder / "encoded.npz"))
        entry["truths"].append(str(folder / f"truth{s}.npz"))
        entry["students"]["0.1"].append(str(folder / f"sparse{s}.npz"))
        entry["phase3"]["cnn"].append(str(folder / f"cnn{s}.npz"))
    floors = "model\tmetric\tvalue\tn_test\ngc_content\taccuracy\t0.6\t6\ngc_content\tauroc\t0.7\t6\n"
    (folder / "floors.tsv").write_text(floors)
    entry["floors"] = [str(folder / "floors.tsv")]
    return entry


def test_the_table_holds_every_model_metric_floor_and_the_published_rows_of_its_set(tmp_path):
    plan = [
        _fake_dataset(tmp_path, "ienhancer2l", [1, 2], flip_seed=2)
        | {"set": "ienhancer2l", "benchmark": "ienhancer2l", "test": "published"},
        _fake_dataset(tmp_path, "epd_core", [1, 2])
        | {"set": "epd_core", "benchmark": "epd_core", "test": "published"},
    ]
    out = tmp_path / "literature.tsv"
    summarize_literature.run(plan, str(SHIPPED), 200, str(out))
    rows = read_table(out)
    assert list(rows[0]) == list(TABLE_COLUMNS)
    n_published = sum(r["set"] == "ienhancer2l" for r in read_published(SHIPPED))
    ours = 3 * len(METRICS)  # attention, sparse_rho0.1, cnn
    assert len(rows) == 2 * (ours + 2) + n_published  # epd_core: no published numbers
    value = {(r["dataset"], r["model"], r["metric"]): r for r in rows}
    # the reference is perfect with seed 1 and exactly wrong with seed 2: the mean of 1 and 0
    assert value[("ienhancer2l", "attention", "accuracy")]["value"] == pytest.approx(0.5)
    assert value[("ienhancer2l", "attention", "mcc")]["value"] == pytest.approx(0.0)
    assert value[("ienhancer2l", "attention", "accuracy")]["n_seeds"] == 2
    cnn = value[("epd_core", "cnn", "accuracy")]
    assert (cnn["value"], cnn["ci_low"], cnn["ci_high"], cnn["n_test"]) == (1.0, 1.0, 1.0, 6)
    assert value[("epd_core", "sparse_rho0.1", "specificity")]["value"] == 1.0
    assert value[("epd_core", "gc_content", "auroc")]["value"] == 0.7
    published = [r for r in rows if r["source"] == "published"]
    assert {r["dataset"] for r in published} == {"ienhancer2l"}
    assert value[("ienhancer2l", "iEnhancer-DCSA", "accuracy")]["value"] == 0.825


def test_predictions_on_other_rows_are_refused(tmp_path):
    entry = _fake_dataset(tmp_path, "d", [1]) | {"set": "d", "benchmark": "d", "test": "published"}
    np.savez(entry["phase3"]["cnn"][0], rows=np.arange(6, dtype=np.int32), logits=np.zeros(6))
    with pytest.raises(ValueError, match="test rows differ"):
        summarize_literature.run([entry], str(SHIPPED), 10, str(tmp_path / "out.tsv"))
    assert not (tmp_path / "out.tsv").exists()


# --------------------------------------------------------------------------- the workflow
def _dry_run(*args: str, cwd) -> str:
    env = os.environ | {
        "GSA_REAL_DATA": os.environ.get("GSA_REAL_DATA", str(REPO.parent / "shared/data/real"))
    }
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "-n",
        "--directory",
        str(cwd),
        *args,
    ]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_the_default_config_plans_the_table_and_a_config_without_real_sets_does_not(tmp_path):
    default = _dry_run("--configfile", str(REPO / "config/config.yaml"), cwd=tmp_path)
    assert "rule literature_table:" in default
    for name, last_seed in (
        ("ienhancer2l", 2),
        ("ienhancer2l_dedup", 2),
        ("epd_promoters", 2),
        ("epd_core", 5),
    ):
        assert f"results/phase3/{name}/cnn/seed{last_seed}/predictions.npz" in default
    assert "results/phase3/epd_promoters/cnn/seed3/" not in default  # its own 2 seeds
    shutil.copytree(DATA, tmp_path / "tests" / "data")  # the tiny config's input files
    tiny = _dry_run("--configfile", str(REPO / "tests/config/tiny.yaml"), cwd=tmp_path)
    assert "literature_table" not in tiny
