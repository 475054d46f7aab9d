"""gsattn.layout: every results path from one place; patterns and concrete paths agree."""

import importlib
import inspect

import pytest

from gsattn import layout as L
from gsattn.io import read_table
from gsattn.teachers import TEACHERS, pipeline_fields, profile_fields

VALUES = {"dataset": "synthetic", "model": "design", "teacher": "joint_pipeline", "rho": 0.05, "seed": 10}
VALUES |= {"size": 4000}
VALUES |= {"chrom": "chr21", "genome_set": "epd_tss"}  # genome windows (config/genome.yaml)
VALUES |= {"real": "epd_core"}  # a published set of real_data.sets (rule prepare_real)
VALUES |= {"length": 2000}  # learning at length
BUILDERS = [
    name
    for name, f in inspect.getmembers(L, inspect.isfunction)
    if f.__module__ == L.__name__
    and not name.startswith("_")
    and name not in ("rho_text", "log", "benchmark")
    and not name.startswith("teacher")
]


def _ids(f) -> dict:
    return {p: VALUES[p] for p in inspect.signature(f).parameters if p in VALUES}


@pytest.mark.parametrize("name", BUILDERS)
def test_a_pattern_formats_to_its_concrete_path(name):
    f = getattr(L, name)
    ids = _ids(f)
    args = ("x.tsv",) if "file" in inspect.signature(f).parameters else ()
    pattern = f(*args)
    assert pattern.format(**{k: L.rho_text(v) if k == "rho" else v for k, v in ids.items()}) == f(
        *args, **ids
    )
    assert all("{" + k + "}" in pattern for k in ids)  # every identifier is a wildcard of the pattern


def test_the_tree():
    assert L.data("encoded.npz", "d") == "results/data/d/encoded.npz"
    assert L.phase1_model("model.pt", "d", "design", 1) == "results/phase1/d/design/seed1/model.pt"
    assert L.phase1_profile("compute.tsv", "d", "attention") == "results/phase1/d/attention/compute.tsv"
    assert L.phase1_summary("criteria.tsv", "d") == "results/phase1/d/summary/criteria.tsv"
    assert L.phase2_model("model.pt") == "results/phase2/{dataset}/{teacher}/rho{rho}/seed{seed}/model.pt"
    assert L.phase2_model("m", "d", "attention", 0.1, 2) == "results/phase2/d/attention/rho0.1/seed2/m"
    assert (
        L.phase2_profile("compute.tsv", "d", "attention", 0.2)
        == "results/phase2/d/attention/rho0.2/compute.tsv"
    )
    assert (
        L.phase2_summary("criteria.tsv", "d", "joint_pipeline")
        == "results/phase2/d/joint_pipeline/summary/criteria.tsv"
    )
    assert L.scaling("scaling.tsv") == "results/phase2/scaling/scaling.tsv"
    assert (
        L.phase2_model("m", "d", "attention", 0.1, 2, selector="pwm")
        == "results/phase2/d/attention/frontier/pwm/rho0.1/seed2/m"
    )
    assert (
        L.phase2_model("m", selector="{selector}")
        == "results/phase2/{dataset}/{teacher}/frontier/{selector}/rho{rho}/seed{seed}/m"
    )
    assert (
        L.phase2_profile("compute.tsv", "d", "attention", 0.2, selector="pwm")
        == "results/phase2/d/attention/frontier/pwm/rho0.2/compute.tsv"
    )
    assert (
        L.phase2_summary("criteria.tsv", "d", "attention", selector="pwm")
        == "results/phase2/d/attention/frontier/pwm/summary/criteria.tsv"
    )
    assert L.frontier("frontier.tsv", "d", "attention") == "results/phase2/d/attention/frontier/frontier.tsv"
    assert L.phase3_model("model.pt", "d", "cnn", 3) == "results/phase3/d/cnn/seed3/model.pt"
    assert L.comparison("tests.tsv", "d") == "results/phase3/d/comparison/tests.tsv"
    assert L.interpretation("x", "d", "attention", 1) == "results/phase3/d/interpretation/attention/seed1/x"
    assert L.phase3_all("verdicts.tsv") == "results/phase3/verdicts.tsv"
    assert L.curve_model("m", "d", 40, 1) == "results/learning_curve/d/n40/seed1/m"
    assert L.curve_data("m", "d", 40) == "results/learning_curve/d/n40/data/m"
    assert L.real("labels.tsv", "epd_core") == "results/real/epd_core/labels.tsv"
    assert (
        L.log("train_sparse", L.phase2_key())
        == "results/logs/train_sparse/{dataset}/{teacher}/rho{rho}/seed{seed}.log"
    )
    assert (
        L.benchmark("train_attention", L.phase1_key("d", "design", 1))
        == "results/benchmarks/train_attention/d/design/seed1.tsv"
    )


def test_a_folder_without_a_file_has_no_trailing_slash():
    assert L.phase2_model() == "results/phase2/{dataset}/{teacher}/rho{rho}/seed{seed}"
    assert L.phase1_model("", "d", "m", 1) == "results/phase1/d/m/seed1"


def test_the_teacher_folder():
    assert L.teacher_model("model.pt", "d", "attention", 2, "attn") == L.phase1_model(
        "model.pt", "d", "attn", 2
    )
    assert L.teacher_model("model.pt", "d", "joint_pipeline", 2, "attn") == L.phase3_model(
        "model.pt", "d", "joint_pipeline", 2
    )
    assert L.teacher_compute("d", "attention", 1, "attn") == "results/phase1/d/attn/compute.tsv"
    assert (
        L.teacher_compute("d", "joint_pipeline", 1, "attn")
        == "results/phase3/d/joint_pipeline/seed1/compute.tsv"
    )
    with pytest.raises(ValueError, match="unknown Phase 2 teacher"):
        L.teacher_model("model.pt", "d", "cnn", 1, "attn")
    assert set(TEACHERS) == {"attention", "joint_pipeline"}


def test_the_joint_pipeline_fields_of_the_student():
    spec = {"d_model": 32, "compressed": 4, "hidden": 8, "cnn_kernel": 5}
    fields = {"teacher": "joint_pipeline", "d_model": 32, "out_dim": 4, "head_hidden": 8}
    assert pipeline_fields(spec) == fields == profile_fields("joint_pipeline", spec)
    assert profile_fields("attention", spec) == {}


def test_ids_given_to_a_script_come_back_as_table_columns(tmp_path):
    """A student's identifiers travel as rule params into the table's columns, and back out."""
    profile_sparse = importlib.import_module("profile_sparse")
    encoded = tmp_path / "encoded.npz"
    import numpy as np

    np.savez(encoded, tokens=np.zeros((2, 40), np.uint8))
    ids = {"dataset": "synthetic", "teacher": "attention", "rho": 0.05}
    out = {
        "compute": str(tmp_path / L.phase2_profile("compute.tsv", **ids)),
        "flops": str(tmp_path / "f.tsv"),
    }
    (tmp_path / L.phase2_profile("", **ids)).mkdir(parents=True)
    profile = {"batch_size": 2, "warmup": 0, "repeats": 1}
    spec = {"selector_kernel": 5, "selector_channels": 4}
    profile_sparse.run(str(encoded), spec, ids, profile, "cpu", 1, out)
    rows = read_table(out["compute"])
    assert {tuple(r[k] for k in ids) for r in rows} == {tuple(ids.values())}
    assert list(rows[0])[:3] == ["dataset", "teacher", "rho"]
    back = {k: rows[0][k] for k in ids}
    assert L.phase2_profile("compute.tsv", **back) == L.phase2_profile("compute.tsv", **ids)


def test_no_rule_script_reads_an_identifier_from_a_path():
    """rho, seed, model and teacher come as rule params (``params.ids``), never out of a path."""
    from conftest import REPO

    for script in (REPO / "workflow" / "scripts").glob("*.py"):
        text = script.read_text()
        assert ".parts[" not in text, script.name
        assert 'removeprefix("rho")' not in text and 'removeprefix("seed")' not in text, script.name
        assert "wildcards.rho" not in text and "wildcards.seed" not in text, script.name
