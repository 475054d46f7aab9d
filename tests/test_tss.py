"""Phase 4 TSS meta-profile (gsattn.tss, rule profile_tss).

* the region, the grouping by the labels' origin file and the profile arithmetic on
  hand-made selection arrays with exact answers;
* the TATA-region test: sets concentrated at −30 in one group are significant, uniform
  random sets are not, and the count of region positions where it flips;
* the script on a tiny hand-made plan (files written, all or none);
* the plan: a data set gets profile_tss only with a ``tss_index`` (dry run, slow).
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from scipy.stats import binomtest

from conftest import DATA, REPO
from gsattn.enrichment import random_set
from gsattn.io import read_table, save_npz
from gsattn.tss import (
    NEGATIVE,
    POSITIVE,
    Counts,
    accumulate,
    adjust_rows,
    origin_file,
    profile_rows,
    region_mask,
    region_rows,
    region_test,
    sequence_groups,
)

L, TSS = 300, 249  # EPD -249..+50
GROUPS = {"human_TATA.fa": "TATA", "human_promoters_chr1.fa": "chr1"}


def test_region_is_minus_35_to_minus_20_both_ends_and_clipped():
    mask = region_mask(L, TSS)
    assert np.flatnonzero(mask).tolist() == list(range(214, 230))  # 249-35 .. 249-20
    core = region_mask(70, 34)  # -34..+35: -35 lies outside the window
    assert np.flatnonzero(core).tolist() == list(range(0, 15))
    with pytest.raises(ValueError, match="outside the window"):
        region_mask(70, 70)


def test_positives_are_grouped_by_their_origin_file_and_negatives_apart():
    ids = np.array(["tata_1", "chr1_5", "cds0_1", "x_1", "y_1"])
    labels = np.array([1, 1, 0, 1, 1])
    origins = {
        "tata_1": "human_TATA.fa:1:FP001162",
        "chr1_5": "human_promoters_chr1.fa:9:FP000001",
        "cds0_1": "cds-part0.300.fa:1:HSCOMT2",
        "x_1": "other.fa:1:X",
    }
    out = sequence_groups(ids, labels, origins, GROUPS)
    assert out.tolist() == ["TATA", "chr1", NEGATIVE, POSITIVE, POSITIVE]
    assert sequence_groups(ids, labels, {}, None).tolist() == [
        POSITIVE,
        POSITIVE,
        NEGATIVE,
        POSITIVE,
        POSITIVE,
    ]
    assert origin_file("") == "" and origin_file("a.fa:3:h") == "a.fa"


def _counts(selected, universe, groups, tss=TSS):
    counts: dict[str, Counts] = {}
    accumulate(counts, selected, universe, groups, region_mask(selected.shape[1], tss))
    return counts


def test_profile_is_the_fraction_of_sequences_holding_each_position():
    selected = np.zeros((4, 10), bool)
    universe = np.ones((4, 10), bool)
    universe[3] = False  # not one of the set's sequences: skipped
    selected[0, [2, 3]] = selected[1, [2, 9]] = selected[2, [5]] = True
    counts = _counts(selected, universe, np.array(["a", "a", "b", "a"]), tss=4)
    rows = profile_rows({"set": "s"}, counts, tss_index=4)
    a = {r["position"]: r for r in rows if r["group"] == "a"}
    assert a[-2]["fraction"] == 1.0 and a[-1]["fraction"] == 0.5 and a[5]["fraction"] == 0.5
    assert a[0]["fraction"] == 0.0 and a[-2]["n_sequences"] == 2 and len(a) == 10
    assert a[0]["uniform_fraction"] == pytest.approx(0.2)  # 2 of 10 positions per sequence
    b = {r["position"]: r for r in rows if r["group"] == "b"}
    assert b[1]["fraction"] == 1.0 and b[1]["n_sequences"] == 1
    # region -35..-20 of a TSS at index 4 lies before the window: empty, untested
    assert counts["a"].in_region == 0 and counts["a"].expected_in_region == 0.0
    assert np.isnan(region_rows({}, counts)[0]["p"])


def _concentrated(n: int, k: int, in_region: int, rng) -> np.ndarray:
    """``(n, L)`` sets of ``k`` positions, ``in_region`` of them (per sequence) in -35..-20."""
    region, rest = np.flatnonzero(region_mask(L, TSS)), np.flatnonzero(~region_mask(L, TSS))
    out = np.zeros((n, L), bool)
    for i in range(n):
        out[i, rng.choice(region, in_region, replace=False)] = True
        out[i, rng.choice(rest, k - in_region, replace=False)] = True
    return out


def test_sets_at_minus_30_in_one_group_are_significant_and_uniform_sets_are_not():
    rng = np.random.default_rng(0)
    n, k = 100, 15
    universe = np.ones((2 * n, L), bool)
    groups = np.array(["TATA"] * n + [NEGATIVE] * n)
    uniform = random_set(universe, np.full(2 * n, k), rng)
    selected = uniform.copy()
    selected[:n] = _concentrated(n, k, 4, rng)  # 4 of 15 in the region; uniform puts 0.8
    rows = adjust_rows(region_rows({"set": "sparse"}, _counts(selected, universe, groups)), 0.05)
    by = {r["group"]: r for r in rows}
    assert by["TATA"]["enriched"] and by["TATA"]["p_adjusted"] < 1e-10
    assert by["TATA"]["share"] == pytest.approx(4 / 15) and by["TATA"]["touched_fraction"] == 1.0
    assert by["TATA"]["expected_share"] == pytest.approx(16 / 300)
    assert not by[NEGATIVE]["enriched"] and by[NEGATIVE]["p"] > 0.01


def test_random_sets_are_calibrated():
    rng = np.random.default_rng(1)
    universe = np.ones((200, L), bool)
    groups = np.array(["TATA"] * 200)
    ps = []
    for _ in range(40):
        selected = random_set(universe, np.full(200, 15), rng)
        ps.append(region_rows({}, _counts(selected, universe, groups))[0]["p"])
    assert np.mean(np.array(ps) <= 0.05) <= 0.1  # binomial over positions: at most nominal here


def test_the_region_test_flips_at_the_binomial_critical_count():
    n_seq, k = 50, 10
    n_selected, p0 = n_seq * k, 16 / 300
    flip = next(
        x for x in range(n_selected + 1) if binomtest(x, n_selected, p0, alternative="greater").pvalue <= 0.05
    )
    universe = np.ones((n_seq, L), bool)
    region, rest = np.flatnonzero(region_mask(L, TSS)), np.flatnonzero(~region_mask(L, TSS))
    for x, significant in ((flip - 1, False), (flip, True)):
        selected = np.zeros((n_seq, L), bool)
        for i in range(n_seq):
            m = x // n_seq + (i < x % n_seq)  # x region positions spread over the sequences
            selected[i, region[:m]] = True
            selected[i, rest[: k - m]] = True
        row = adjust_rows(region_rows({}, _counts(selected, universe, np.array(["TATA"] * n_seq))), 0.05)[0]
        assert row["in_region"] == x and row["n_selected"] == n_selected
        assert row["enriched"] is significant
    assert np.isnan(region_test(0, 0, 0.0))


def test_bh_runs_across_every_row():
    rows = [{"p": 0.01}, {"p": 0.04}, {"p": 0.03}, {"p": float("nan")}]
    out = adjust_rows(rows, 0.05)
    assert [r["p_adjusted"] for r in out[:3]] == pytest.approx([0.03, 0.04, 0.04])
    assert np.isnan(out[3]["p_adjusted"]) and not out[3]["enriched"]


# ---- the script on a hand-made plan


def _plan(tmp_path, rng) -> tuple[dict, dict]:
    """One seed, one ρ: 6 sequences of 40 bp (TSS at 30), a student keeping 4 positions."""
    n, length, k = 6, 40, 4
    ids = np.array([f"tata_{i}" for i in range(3)] + [f"cds_{i}" for i in range(3)])
    save_npz(
        tmp_path / "encoded.npz",
        {
            "tokens": rng.integers(0, 4, (n, length)).astype(np.uint8),
            "lengths": np.full(n, length, np.int32),
            "ids": ids,
            "labels": np.array([1, 1, 1, 0, 0, 0], np.int8),
        },
    )
    save_npz(tmp_path / "truth.npz", {"ids": ids, "received": rng.random((n, 2, length)).astype(np.float32)})
    save_npz(
        tmp_path / "sal.npz",
        {"rows": np.arange(n), "saliency": rng.random((n, length)).astype(np.float32)},
    )
    save_npz(tmp_path / "ism.npz", {"rows": np.zeros(0, np.int64)})
    index = np.tile(np.array([0, 1, 2, 3]), (n, 1))
    index[:3] = [5, 6, 7, 8]  # positives: -25..-22, in the region
    save_npz(tmp_path / "pred.npz", {"rows": np.arange(n), "index": index, "valid": np.ones((n, k), bool)})
    (tmp_path / "labels.tsv").write_text(
        "id\tlabel\tsplit\torigin\n"
        + "".join(
            f"{i}\t{int(i[0] == 't')}\ttest\t{'human_TATA.fa' if i[0] == 't' else 'cds.fa'}:1:x\n"
            for i in ids
        )
    )
    entry = {"seed": 1, "encoded": str(tmp_path / "encoded.npz"), "truth": str(tmp_path / "truth.npz")}
    entry |= {"saliency": str(tmp_path / "sal.npz"), "ism": str(tmp_path / "ism.npz")}
    entry["students"] = {"0.1": str(tmp_path / "pred.npz")}
    tss = {"index": 30, "groups": {"human_TATA.fa": "TATA"}, "labels": str(tmp_path / "labels.tsv")}
    return {"rhos": [0.1], "seeds": [entry]}, tss


def test_the_script_writes_profile_region_table_and_figure(tmp_path):
    import profile_tss

    plan, tss = _plan(tmp_path, np.random.default_rng(2))
    out = {
        k: str(tmp_path / "out" / f)
        for k, f in (("profile", "p.tsv"), ("region", "r.tsv"), ("figure", "f.png"))
    }
    smk = SimpleNamespace(
        log=[str(tmp_path / "log.txt")],
        output=SimpleNamespace(**out),
        params=SimpleNamespace(plan=plan, enrichment={"seed": 1, "alpha": 0.05}, dataset="d", tss=tss),
    )
    profile_tss.main(smk)
    region = {(r["set"], r["group"]): r for r in read_table(out["region"])}
    assert set(region) == {
        (s, g) for s in ("sparse", "attention", "saliency", "random") for g in ("TATA", NEGATIVE)
    }
    assert region[("sparse", "TATA")]["share"] == 1.0 and region[("sparse", NEGATIVE)]["in_region"] == 4 * 3
    profile = read_table(out["profile"])
    assert {r["position"] for r in profile} == set(range(-30, 10))
    assert (tmp_path / "out" / "f.png").stat().st_size > 0


def test_the_script_stops_on_a_sequence_missing_from_the_labels(tmp_path):
    import profile_tss

    plan, tss = _plan(tmp_path, np.random.default_rng(3))
    (tmp_path / "labels.tsv").write_text("id\tlabel\torigin\ntata_0\t1\thuman_TATA.fa:1:x\n")
    out = {
        k: str(tmp_path / "out" / f)
        for k, f in (("profile", "p.tsv"), ("region", "r.tsv"), ("figure", "f.png"))
    }
    with pytest.raises(ValueError, match="labels.tsv: no row for sequence"):
        profile_tss.run(plan, {"seed": 1, "alpha": 0.05}, "d", tss, out)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ---- the plan


def _planned(tmp_path, config) -> set[tuple[str, str]]:
    tmp_path.mkdir()
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(DATA, work / "tests" / "data")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n", "--configfile", str(path)]
    result = subprocess.run([*cmd, "--directory", str(work)], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return set(re.findall(r"rule (profile_tss):\n(?:.*\n)*?\s+wildcards: dataset=(\w+)", result.stdout))


@pytest.mark.slow
def test_only_data_sets_with_a_tss_get_a_profile(tmp_path):
    tiny = yaml.safe_load((REPO / "tests" / "config" / "tiny.yaml").read_text())
    assert _planned(tmp_path / "a", tiny) == set()
    config = copy.deepcopy(tiny)
    config["datasets"]["tiny_byo"]["tss_index"] = 10
    assert _planned(tmp_path / "b", config) == {("profile_tss", "tiny_byo")}
