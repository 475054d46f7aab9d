"""Long-sequence benchmark (gsattn.scaling, rule script benchmark_scaling) at tiny lengths."""

import importlib
import math

import pytest
import torch

from gsattn.io import read_table
from gsattn.measure import RSS_METHODS
from gsattn.scaling import COLUMNS, METHODS, REFERENCES, estimate_peak_bytes, speedups

benchmark_scaling = importlib.import_module("benchmark_scaling")

LENGTHS = [64, 128]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(tmp_path, rhos, budget_gb, os_memory=False):
    paths = [tmp_path / name for name in ("scaling.tsv", "ratios.tsv", "scaling.png")]
    threads = torch.get_num_threads()
    benchmark_scaling.run(
        LENGTHS,
        rhos,
        *map(str, paths),
        threads=1,
        memory_budget_gb=budget_gb,
        repeats=1,
        os_memory=os_memory,
    )
    assert torch.get_num_threads() == threads  # restored
    return paths


def test_benchmark_tables_and_figure(tmp_path):
    rhos = [0.1, 0.2]
    table, ratios, figure = _run(tmp_path, rhos, budget_gb=8, os_memory=True)
    assert table.read_text().splitlines()[0].split("\t") == list(COLUMNS)
    rows = read_table(table)
    expected = {(m, None, n) for m in METHODS if m != "sparse" for n in LENGTHS}
    expected |= {("sparse", rho, n) for rho in rhos for n in LENGTHS}
    got = {(r["method"], None if math.isnan(r["rho"]) else r["rho"], r["length"]) for r in rows}
    assert got == expected and len(rows) == len(expected)
    for row in rows:
        assert row["status"] == "ok", row
        assert row["median_s"] > 0 and row["peak_bytes"] > 0 and row["iqr_s"] >= 0
        assert row["repeats"] == 1
        assert row["peak_bytes"] <= row["estimated_bytes"], row  # estimates err high
        assert row["peak_rss_bytes"] >= 0 and row["rss_method"] in RSS_METHODS, row  # the OS figure
    by_key = {(r["method"], r["length"]): r for r in rows if r["method"] != "sparse"}
    # The MHA kernel materialises the h*L^2 fp32 weights; SDPA's CPU kernel does not.
    assert by_key["mha_weights", 128]["peak_bytes"] >= 4 * 128 * 128 * 4
    assert by_key["sdpa", 128]["peak_bytes"] < 4 * 128 * 128 * 4
    ratio_rows = read_table(ratios)
    assert {(r["rho"], r["length"]) for r in ratio_rows} == {(rho, n) for rho in rhos for n in LENGTHS}
    assert len(ratio_rows) == len(rhos) * len(LENGTHS)
    sparse = {(r["rho"], r["length"]): r for r in rows if r["method"] == "sparse"}
    for r in ratio_rows:
        assert r["sparse_s"] == pytest.approx(sparse[r["rho"], r["length"]]["median_s"], rel=1e-4)
        for ref in REFERENCES:
            expected = by_key[ref, r["length"]]["median_s"] / r["sparse_s"]
            assert r[f"speedup_vs_{ref}"] == pytest.approx(expected, rel=1e-4), ref
            assert r[f"memory_ratio_vs_{ref}"] > 0
            os_ref, os_sparse = by_key[ref, r["length"]]["peak_rss_bytes"], r["sparse_peak_rss_bytes"]
            if os_sparse > 0:
                assert r[f"rss_ratio_vs_{ref}"] == pytest.approx(os_ref / os_sparse, rel=1e-4), ref
    assert figure.read_bytes()[:8] == PNG_MAGIC
    assert not list(tmp_path.glob(".*tmp*"))


def test_methods_over_budget_are_skipped(tmp_path):
    budget = estimate_peak_bytes("sparse", 128)  # below the quadratic methods' estimates at 128
    table, ratios, figure = _run(tmp_path, [0.1], budget_gb=budget / 2**30, os_memory=True)
    rows = read_table(table)
    statuses = {row["status"] for row in rows}
    assert statuses == {"ok", "skipped"}
    for row in rows:
        over = row["estimated_bytes"] > budget
        assert row["status"] == ("skipped" if over else "ok"), row
        if over:
            assert math.isnan(row["median_s"]) and math.isnan(row["peak_bytes"]) and row["repeats"] == 0
            assert math.isnan(row["peak_rss_bytes"]) and row["rss_method"] == ""
            assert "budget" in row["note"]
        else:
            assert row["peak_rss_bytes"] >= 0 and row["rss_method"] in RSS_METHODS, row
    skipped = {(r["method"], r["length"]) for r in rows if r["status"] == "skipped"}
    assert {("mha_weights", 128), ("phase1_model", 128)} <= skipped
    assert ("sparse", 128) not in skipped
    for r in read_table(ratios):
        for ref in REFERENCES:
            assert math.isnan(r[f"speedup_vs_{ref}"]) == ((ref, r["length"]) in skipped), ref
    assert figure.read_bytes()[:8] == PNG_MAGIC


def test_everything_skipped_still_writes_outputs(tmp_path):
    table, ratios, figure = _run(tmp_path, [0.1], budget_gb=1e-9)
    assert {row["status"] for row in read_table(table)} == {"skipped"}
    assert all(math.isnan(r[f"speedup_vs_{ref}"]) for r in read_table(ratios) for ref in REFERENCES)
    assert figure.read_bytes()[:8] == PNG_MAGIC


def test_speedups_pairs_sparse_with_references():
    rows = [
        {"method": "sdpa", "rho": math.nan, "length": 10, "median_s": 2.0, "peak_bytes": 400},
        {"method": "sparse", "rho": 0.1, "length": 10, "median_s": 0.5, "peak_bytes": 100},
    ]
    rows[0]["peak_rss_bytes"], rows[1]["peak_rss_bytes"] = 3000, 1000
    (out,) = speedups(rows, references=("sdpa", "mha"))
    assert out["speedup_vs_sdpa"] == 4.0 and out["memory_ratio_vs_sdpa"] == 4.0 and out["rho"] == 0.1
    assert out["rss_ratio_vs_sdpa"] == 3.0 and out["sparse_peak_rss_bytes"] == 1000
    assert math.isnan(out["rss_ratio_vs_mha"])
    assert math.isnan(out["flops_reduction_vs_phase1_model"])  # no Phase 1 row: no reduction
    assert math.isnan(out["speedup_vs_mha"]) and math.isnan(out["memory_ratio_vs_mha"])  # not benchmarked
    rows.append({"method": "phase1_model", "rho": math.nan, "length": 10, "flops": 1000.0})
    rows[1] |= {"flops": 250.0, "flops_attention_block": 100.0}
    (out,) = speedups(rows, references=("sdpa",))
    assert out["flops_reduction_vs_phase1_model"] == 0.75
    assert math.isnan(out["flops_reduction_attention_block_vs_phase1_model"])


def test_phase1_model_follows_the_configured_variant():
    from gsattn.scaling import build_case, estimate_peak_bytes

    module, _ = build_case(
        "phase1_model", 32, phase1_model={"stem_channels": 8, "pooling": "mean", "d_model": 16}
    )
    assert (
        module.config.stem_channels == 8 and module.config.pooling == "mean" and module.config.max_len == 32
    )
    small = estimate_peak_bytes("phase1_model", 64, phase1_model={"stem_channels": 8})
    assert small < estimate_peak_bytes("phase1_model", 64)


def test_whole_model_rows_carry_closed_form_flops_and_the_two_reductions(tmp_path):
    from gsattn.flops import attention_block_flops, attention_flops, sparse_block_flops, sparse_flops
    from gsattn.scaling import phase1_config
    from gsattn.sparse import SparseConfig

    budget = estimate_peak_bytes("sparse", 128)  # the Phase 1 model is skipped at 128: FLOPs still given
    table, ratios, _ = _run(tmp_path, [0.1], budget_gb=budget / 2**30)
    rows = {(r["method"], r["length"]): r for r in read_table(table)}
    assert rows["phase1_model", 128]["status"] == "skipped"
    for length in LENGTHS:
        teacher = phase1_config(length, 16, 4, None)
        student = SparseConfig(rho=0.1, max_len=length)
        assert rows["phase1_model", length]["flops"] == attention_flops(teacher, length)["total"]
        assert rows["phase1_model", length]["flops_attention_block"] == attention_block_flops(teacher, length)
        assert rows["sparse", length]["flops"] == sparse_flops(student, length)["total"]
        assert rows["sparse", length]["flops_attention_block"] == sparse_block_flops(student, length)
        assert math.isnan(rows["sdpa", length]["flops"]) and math.isnan(rows["mha", length]["flops"])
    for r in read_table(ratios):
        teacher, student = rows["phase1_model", r["length"]], rows["sparse", r["length"]]
        whole = 1 - student["flops"] / teacher["flops"]
        block = 1 - student["flops_attention_block"] / teacher["flops_attention_block"]
        assert r["flops_reduction_vs_phase1_model"] == pytest.approx(whole, rel=1e-5)
        assert r["flops_reduction_attention_block_vs_phase1_model"] == pytest.approx(block, rel=1e-5)
        assert 0 < block < whole < 1  # the stem is left out of the block: smaller reduction


def test_case_description_rebuilds_the_same_case():
    import json

    from gsattn.scaling import build_case, case_description

    case = case_description("sparse", 48, rho=0.2, sparse_model={"selector_channels": 4}, seed=3)
    assert json.loads(json.dumps(case)) == case  # what the child receives
    module, inputs = build_case("sparse", 48, rho=0.2, sparse_model={"selector_channels": 4}, seed=3)
    again, inputs_again = build_case(**case)
    assert torch.equal(inputs, inputs_again)
    for (name, a), (_, b) in zip(module.state_dict().items(), again.state_dict().items(), strict=True):
        assert torch.equal(a, b), name


def test_unmeasured_os_figure_is_nan(tmp_path):
    table, _, figure = _run(tmp_path, [0.1], budget_gb=8)
    assert all(math.isnan(r["peak_rss_bytes"]) for r in read_table(table))
    assert figure.read_bytes()[:8] == PNG_MAGIC
