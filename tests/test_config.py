import copy

import jsonschema
import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO
from gsattn.config import ConfigError, check_config

SCHEMA_PATH = REPO / "workflow" / "schemas" / "config.schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())


def _validated(config: dict) -> dict:
    config = copy.deepcopy(config)
    validate(config, str(SCHEMA_PATH))
    return config


def _leaf_properties(node, path="$"):
    """Yield (path, schema) of every property declared anywhere in the schema;
    a required key's path ends with ``!``."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.{name}" + ("!" if name in node.get("required", []) else ""), sub
            yield from _leaf_properties(sub, f"{path}.{name}")
        for key, sub in node.items():
            if key != "properties":
                yield from _leaf_properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _leaf_properties(sub, f"{path}[{i}]")


def test_schema_is_draft_2020_12_and_closed():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    objects = [s for _, s in _leaf_properties(SCHEMA) if s.get("type") == "object"]
    objects += [d for d in SCHEMA["$defs"].values() if d.get("type") == "object"]
    assert objects and all(o.get("additionalProperties") is False for o in objects if "properties" in o)


def test_every_key_has_type_description_default_and_bounds():
    for path, sub in _leaf_properties(SCHEMA):
        if "/if." in path:  # the if/then discriminator, not a key of its own
            continue
        resolved = SCHEMA["$defs"][sub["$ref"].split("/")[-1]] if "$ref" in sub else sub
        assert "description" in resolved, path
        assert "type" in resolved or "const" in resolved, path
        assert "default" in sub or "default" in resolved or path.endswith("!"), path
        types = resolved.get("type", [])
        types = types if isinstance(types, list) else [types]
        if {"integer", "number"} & set(types):
            assert {"minimum", "exclusiveMinimum"} & set(resolved), path
        if "string" in types:
            assert {"enum", "const", "pattern", "minLength"} & set(resolved) or path.endswith(
                (".fasta", ".fasta!", ".labels!", ".sites", ".decoy_motifs")
            ), path


def test_default_configs_validate_and_fill_defaults():
    for name in ("config.yaml", "paper.yaml"):
        config = _validated(yaml.safe_load((REPO / "config" / name).read_text()))
        check_config(config)
        for spec in config["datasets"].values():
            assert spec["split"]["train"] > 0 and "background" in spec
    minimal = _validated({"datasets": {"d": {}, "u": {"type": "fasta", "fasta": "a.fa", "labels": "l.tsv"}}})
    assert minimal["datasets"]["d"]["type"] == "synthetic"
    assert minimal["datasets"]["d"]["background"] == {"model": "iid", "gc": 0.41, "order": 2, "fasta": None}
    assert minimal["datasets"]["u"]["crop"] == "center" and minimal["datasets"]["u"]["sites"] is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"datasets": {"d": {"n_sequences": 5}}}, "5 is less than the minimum"),
        ({"datasets": {"d": {"lenght": 100}}}, "Additional properties"),
        ({"datasets": {"d": {"position": {"mode": "middle"}}}}, "is not one of"),
        ({"datasets": {"u": {"type": "fasta", "fasta": "a.fa"}}}, "'labels' is a required property"),
        ({"datasets": {"bad-name": {}}}, "does not match"),
        ({"datasets": {}}, "should be non-empty|does not have enough properties"),
        ({"datasets": {"d": {}}, "extra": 1}, "Additional properties"),
    ],
)
def test_invalid_configs_are_rejected(config, message):
    with pytest.raises(Exception, match=message):
        _validated(config)


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        ({"split": {"train": 0.5, "validation": 0.2, "test": 0.2}}, "split: fractions sum to 0.9"),
        ({"sites_per_sequence": {"min": 3, "max": 2}}, "min 3 > max 2"),
        ({"position": {"mode": "window", "window_start": 50, "window_end": 40}}, "window_start < window_end"),
        ({"class_rule": {"mode": "all", "min_gap": 5, "max_gap": 2}}, "max_gap 2 < min_gap 5"),
        ({"background": {"model": "markov"}}, "needs 'fasta'"),
        ({"motifs": [{"id": None, "name": None}]}, r"motifs\[0\]: give a JASPAR"),
    ],
)
def test_check_config_catches_what_the_schema_cannot(dataset, message):
    config = _validated({"datasets": {"d": dataset}})
    with pytest.raises(ConfigError, match=message):
        check_config(config)


def test_reverse_complement_augmentation_is_refused_for_distillation():
    accepted = _validated({"datasets": {"d": {}}, "phase1": {"training": {"augment_rc": True}}})
    check_config(accepted)
    assert accepted["phase3"]["training"]["augment_rc"] is False
    refused = _validated({"datasets": {"d": {}}, "phase2": {"training": {"augment_rc": True}}})
    with pytest.raises(ConfigError, match="phase2.training.augment_rc"):
        check_config(refused)
