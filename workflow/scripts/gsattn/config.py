"""Checks on the config that a JSON Schema cannot express.

Run after ``snakemake.utils.validate`` (which fills defaults). Standard
library only: it runs in Snakemake's own environment when the Snakefile is
parsed.
"""

from __future__ import annotations

import math


class ConfigError(ValueError):
    """The config is invalid; the message names the data set and key."""


def _check_split(name: str, split: dict) -> None:
    total = split["train"] + split["validation"] + split["test"]
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ConfigError(f"datasets.{name}.split: fractions sum to {total:g}, not 1")


def _check_synthetic(name: str, spec: dict) -> None:
    where = f"datasets.{name}"
    for key in ("motifs", "decoys"):
        for i, ref in enumerate(spec[key]):
            if not ref.get("id") and not ref.get("name"):
                raise ConfigError(f"{where}.{key}[{i}]: give a JASPAR 'id' or 'name'")
    sites = spec["sites_per_sequence"]
    if sites["min"] > sites["max"]:
        raise ConfigError(f"{where}.sites_per_sequence: min {sites['min']} > max {sites['max']}")
    pos = spec["position"]
    end = spec["length"] if pos["window_end"] is None else pos["window_end"]
    if pos["mode"] == "window" and not pos["window_start"] < end <= spec["length"]:
        raise ConfigError(
            f"{where}.position: need window_start < window_end <= length "
            f"({pos['window_start']}, {end}, {spec['length']})"
        )
    rule = spec["class_rule"]
    if rule["max_gap"] is not None and rule["max_gap"] < rule["min_gap"]:
        raise ConfigError(f"{where}.class_rule: max_gap {rule['max_gap']} < min_gap {rule['min_gap']}")
    if spec["background"]["model"] == "markov" and not spec["background"]["fasta"]:
        raise ConfigError(f"{where}.background: model 'markov' needs 'fasta'")


def _check_phase1(phase1: dict) -> None:
    if phase1["reference"] not in phase1["variants"]:
        raise ConfigError(f"phase1.reference: {phase1['reference']!r} is not one of phase1.variants")
    for name, variant in phase1["variants"].items():
        where = f"phase1.variants.{name}"
        if variant["d_model"] % variant["n_heads"]:
            raise ConfigError(
                f"{where}: n_heads {variant['n_heads']} does not divide d_model {variant['d_model']}"
            )
        if variant["stem_kernel"] % 2 == 0:
            raise ConfigError(f"{where}: stem_kernel must be odd, got {variant['stem_kernel']}")


def _check_phase2(phase2: dict) -> None:
    model = phase2["model"]
    if model["selector_kernel"] % 2 == 0:
        raise ConfigError(f"phase2.model.selector_kernel must be odd, got {model['selector_kernel']}")
    if model["position_dim"] % 2:
        raise ConfigError(f"phase2.model.position_dim must be even, got {model['position_dim']}")
    if phase2["training"]["augment_rc"]:
        raise ConfigError(
            "phase2.training.augment_rc: the distillation targets are per-position teacher outputs, "
            "which do not follow a reverse-complemented sequence; use it in phase1/phase3 training only"
        )


def check_config(config: dict) -> None:
    """Raise :class:`ConfigError` for inconsistencies the schema cannot catch.

    Parameters
    ----------
    config : dict
        The validated config, defaults filled in.
    """
    for name, spec in config["datasets"].items():
        _check_split(name, spec["split"])
        if spec["type"] == "synthetic":
            _check_synthetic(name, spec)
    _check_phase1(config["phase1"])
    _check_phase2(config["phase2"])
    if config["phase3"]["pipeline"]["cnn_kernel"] % 2 == 0:
        raise ConfigError("phase3.pipeline.cnn_kernel must be odd")
