"""What a job may ask the scheduler for: is a GPU there for the rules that train?

Read by ``workflow/rules/common.smk`` when the workflow is parsed, so it imports
nothing heavy (no torch): a GPU counts as visible when the NVIDIA driver lists
one under ``/proc/driver/nvidia/gpus`` (or, where that folder is not mounted, as in
some containers and virtual machines, ``/dev`` holds its ``nvidia<N>`` node) and
``CUDA_VISIBLE_DEVICES`` does not hide it. The rules that train on the device
(``device`` in their params) declare
``gpu=gpu_request(config["device"])``, so ``snakemake --resources gpu=1`` on a
one-GPU workstation runs one of them at a time; on a cluster the profile
(``profiles/slurm``) asks for the GPU instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")
DEV = Path("/dev")
DEVICE_NODE = re.compile(r"nvidia\d+")


def installed_gpus(driver_dir: Path = NVIDIA_GPUS, dev_dir: Path = DEV) -> int:
    """GPUs the NVIDIA driver has: entries of ``driver_dir``, else ``nvidia<N>`` nodes of ``dev_dir``."""
    if driver_dir.is_dir():
        return len(list(driver_dir.iterdir()))
    if dev_dir.is_dir():
        return sum(1 for node in dev_dir.iterdir() if DEVICE_NODE.fullmatch(node.name))
    return 0


def visible_gpus(
    environ: Mapping[str, str] | None = None, driver_dir: Path = NVIDIA_GPUS, dev_dir: Path = DEV
) -> int:
    """Number of CUDA devices a process started here would see.

    Parameters
    ----------
    environ : mapping, optional
        The environment (default ``os.environ``); ``CUDA_VISIBLE_DEVICES`` in it
        restricts the devices as CUDA does: the comma-separated entries up to the
        first empty or negative one (``""`` and ``"-1"`` hide every device).
    driver_dir, dev_dir : Path
        The driver's per-GPU folder (one entry per installed GPU) and the device
        folder read when that one is absent (:func:`installed_gpus`).

    Returns
    -------
    int
        ``min(installed, listed)``; 0 without the driver.
    """
    environ = os.environ if environ is None else environ
    installed = installed_gpus(driver_dir, dev_dir)
    listed = environ.get("CUDA_VISIBLE_DEVICES")
    if listed is None:
        return installed
    entries = []
    for entry in listed.split(","):
        entry = entry.strip()
        if not entry or entry.startswith("-"):
            break
        entries.append(entry)
    return min(installed, len(entries))


def gpu_request(
    device: str, environ: Mapping[str, str] | None = None, driver_dir: Path = NVIDIA_GPUS, dev_dir: Path = DEV
) -> int:
    """GPUs (0 or 1) a training job asks for under config key ``device``.

    ``cuda`` → 1, ``cpu`` → 0, ``auto`` → 1 when :func:`visible_gpus` finds one
    (then :func:`gsattn.train.resolve_device` picks CUDA too), else 0.
    """
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {device!r}")
    if device == "auto":
        return int(visible_gpus(environ, driver_dir, dev_dir) > 0)
    return int(device == "cuda")
