"""benchmarks/gpu_check.py: GPU jobs from the Snakemake log, how many at once, the verdict."""

import importlib.util
import json
from collections import Counter

from conftest import REPO

spec = importlib.util.spec_from_file_location("gpu_check", REPO / "benchmarks" / "gpu_check.py")
gpu_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_check)

LOG = """\
[Fri Dec  4 18:00:00 2026]
localrule train_attention:
    jobid: 1
    wildcards: dataset=a, seed=1
    resources: tmpdir=/tmp, runtime=60, gpu=1, mem_mb=4000, mem=4 GB, mem_mib=3815
[Fri Dec  4 18:00:00 2026]
localrule scan_motifs:
    jobid: 2
    resources: tmpdir=/tmp, runtime=30, mem_mb=2000, mem=2 GB, mem_mib=1908
[Fri Dec  4 18:00:05 2026]
Finished jobid: 1 (Rule: train_attention)
[Fri Dec  4 18:00:05 2026]
localrule train_sparse:
    jobid: 3
    resources: tmpdir=/tmp, runtime=60, gpu=1, mem_mb=4000, mem=4 GB, mem_mib=3815
[Fri Dec  4 18:00:07 2026]
Finished jobid: 2 (Rule: scan_motifs)
[Fri Dec  4 18:00:09 2026]
Finished jobid: 3 (Rule: train_sparse)
""".splitlines()


def test_jobs_carry_their_gpu_request_and_times():
    jobs = gpu_check.jobs_with_resources(LOG)
    assert {j: (v["rule"], v["gpu"]) for j, v in jobs.items()} == {
        1: ("train_attention", 1),
        2: ("scan_motifs", 0),  # no gpu key: 0
        3: ("train_sparse", 1),
    }
    assert (jobs[3]["start"], jobs[3]["end"]) == (5.0, 9.0)


def test_most_at_once_counts_overlaps_but_not_spans_that_touch():
    assert gpu_check.most_at_once([]) == 0
    assert gpu_check.most_at_once([(0, 5), (5, 9)]) == 1  # one ends as the next starts
    assert gpu_check.most_at_once([(0, 5), (4.9, 9)]) == 2
    assert gpu_check.most_at_once([(0, 10), (1, 2), (3, 4), (3.5, 5)]) == 3


def test_the_check_flips_on_each_way_a_gpu_run_can_go_wrong():
    jobs = gpu_check.jobs_with_resources(LOG)
    gpu = {"cuda_available": True}
    assert gpu_check.check(gpu, Counter({"cuda": 3}), jobs) == []
    assert gpu_check.check(gpu, Counter({"cuda:0": 3}), jobs) == []
    assert "recorded {'cpu': 1}" in gpu_check.check(gpu, Counter({"cuda": 2, "cpu": 1}), jobs)[0]
    no_ask = {j: v | {"gpu": 0} for j, v in jobs.items()}
    assert "no job asked" in gpu_check.check(gpu, Counter({"cuda": 3}), no_ask)[0]
    overlap = jobs | {3: jobs[3] | {"start": 4.0}}
    assert "2 GPU jobs ran at once" in gpu_check.check(gpu, Counter({"cuda": 3}), overlap)[0]
    # without a GPU, CPU trainings and no GPU job are right
    assert gpu_check.check({"cuda_available": False}, Counter({"cpu": 3}), no_ask) == []


def test_recorded_devices_reads_the_device_key_of_every_json(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "hparams.json").write_text(json.dumps({"device": "cuda", "seed": 1}))
    (tmp_path / "b.json").write_text(json.dumps({"device": "cpu"}))
    (tmp_path / "c.json").write_text(json.dumps([{"device": "cpu"}]))  # not a mapping: skipped
    (tmp_path / "d.json").write_text("{not json")
    assert gpu_check.recorded_devices(tmp_path) == Counter({"cuda": 1, "cpu": 1})
