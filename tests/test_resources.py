"""Every rule declares threads and resources; the GPU ask follows the device (gsattn.hardware)."""

import re

import pytest

from conftest import REPO, rule_blocks
from gsattn.hardware import gpu_request, visible_gpus

# rules that run torch on config["device"] (a `device=config["device"]` param)
DEVICE_PARAM = re.compile(r'device=config\["device"\]')


def _is_job(text: str) -> bool:
    return "    script:" in text or "    shell:" in text or "    run:" in text


def test_every_rule_with_a_job_declares_threads_mem_and_runtime():
    rules = {name: text for name, text in rule_blocks().items() if _is_job(text)}
    assert len(rules) >= 30
    for name, text in rules.items():
        assert re.search(r"\n    threads: \w+", text), f"rule {name}: no threads"
        resources = re.search(r"\n    resources:\n((?:        .*\n)+)", text)
        assert resources, f"rule {name}: no resources"
        for key in ("mem_mb", "runtime"):
            assert f"        {key}=" in resources.group(1), f"rule {name}: no {key}"


def test_every_rule_on_the_torch_device_asks_for_the_gpu_and_the_slurm_profile_lists_it():
    import yaml

    profile = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    on_device = {n for n, t in rule_blocks().items() if DEVICE_PARAM.search(t)}
    assert {"train_attention", "train_sparse", "train_pipeline", "interpret_model", "train_long"} <= on_device
    for name in on_device:
        assert "        gpu=GPU_REQUEST," in rule_blocks()[name], name
    trained = {n for n in on_device if n.startswith(("train_", "interpret_", "check_long"))}
    assert trained <= set(profile["set-resources"]), trained - set(profile["set-resources"])
    assert all(v == {"gpu": 1} for v in profile["set-resources"].values())
    assert profile["executor"] == "slurm" and {"slurm_partition", "runtime", "mem_mb"} <= set(
        profile["default-resources"]
    )


@pytest.fixture
def driver(tmp_path):
    """A fake /proc/driver/nvidia/gpus with two GPUs."""
    for bus in ("0000:01:00.0", "0000:02:00.0"):
        (tmp_path / "gpus" / bus).mkdir(parents=True)
    return tmp_path / "gpus"


@pytest.fixture
def no_nodes(tmp_path):
    """A /dev without NVIDIA device nodes."""
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "null").touch()
    return tmp_path / "dev"


def test_visible_gpus_follows_the_driver_and_cuda_visible_devices(driver, tmp_path, no_nodes):
    assert visible_gpus({}, driver) == 2
    assert visible_gpus({}, tmp_path / "absent", no_nodes) == 0
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "1"}, driver) == 1
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "0,1,2"}, driver) == 2  # never more than installed
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}, driver) == 0
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}, driver) == 0
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "0,-1,1"}, driver) == 1  # CUDA stops at -1


def test_without_the_driver_folder_the_device_nodes_count(tmp_path, no_nodes):
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-modeset"):
        (no_nodes / name).touch()
    assert visible_gpus({}, tmp_path / "absent", no_nodes) == 2  # nvidia<N> only
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "0"}, tmp_path / "absent", no_nodes) == 1
    assert gpu_request("auto", {}, tmp_path / "absent", no_nodes) == 1
    (no_nodes / "nvidia0").unlink()
    (no_nodes / "nvidia1").unlink()
    assert gpu_request("auto", {}, tmp_path / "absent", no_nodes) == 0  # control nodes alone: no GPU


def test_gpu_request_is_one_exactly_when_training_would_use_cuda(driver, tmp_path, no_nodes):
    assert gpu_request("cuda", {}, tmp_path / "absent", no_nodes) == 1
    assert gpu_request("cpu", {}, driver) == 0
    assert gpu_request("auto", {}, driver) == 1
    assert gpu_request("auto", {"CUDA_VISIBLE_DEVICES": ""}, driver) == 0
    assert gpu_request("auto", {}, tmp_path / "absent", no_nodes) == 0
    with pytest.raises(ValueError, match="auto, cpu or cuda"):
        gpu_request("gpu", {}, driver)
