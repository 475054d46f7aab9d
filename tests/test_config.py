import copy
import json
import re

import jsonschema
import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO
from gsattn.config import SPLITS, ConfigError, check_config, stratified_counts

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
        # A frontier selector's keys override phase2.model: left out, they take its value.
        override = ".frontier.selectors/additionalProperties." in path
        assert "default" in sub or "default" in resolved or path.endswith("!") or override, path
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
            assert spec["split"]["train"] > 0 and (spec["type"] != "synthetic" or "background" in spec)
    minimal = _validated({"datasets": {"d": {}, "u": {"type": "fasta", "fasta": "a.fa", "labels": "l.tsv"}}})
    assert minimal["datasets"]["d"]["type"] == "synthetic"
    assert minimal["datasets"]["d"]["background"] == {"model": "iid", "gc": 0.41, "order": 2, "fasta": None}
    assert minimal["datasets"]["u"]["crop"] == "center" and minimal["datasets"]["u"]["sites"] is None


def _as_rules_see_it(config: dict) -> dict:
    """Each entry of each section, serialised with its key order and number types (a rule's
    params are recorded by their repr, so ``8`` and ``8.0`` or a reordered mapping differ)."""
    return {
        (section, key): json.dumps(value)
        for section, entries in config.items()
        for key, value in (entries.items() if isinstance(entries, dict) else [(None, entries)])
    }


def test_the_default_config_writes_out_the_values_a_run_takes():
    raw = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    sections = SCHEMA["properties"]
    assert set(raw) == set(sections)  # every section is shown...
    for name, section in sections.items():
        if "properties" in section:  # ...with every key
            assert set(raw[name]) == set(section["properties"]), name
    # Its values are the schema's defaults but for the data sets (and the motifs expected in
    # them), and the budget's cuts (one ablation seed, 1,000 sequences per class of
    # epd_promoters, the long task's two shortest lengths, 20 student epochs), so a run
    # with it is the run with only those written.
    full = _validated(raw)
    lean = _validated(
        {
            "datasets": raw["datasets"],
            "expected_motifs": {"datasets": raw["expected_motifs"]["datasets"]},
            "phase1": {"ablation_seeds": 1},
            "long_sequences": {"lengths": [500, 1000]},
        }
    )
    lean["real_data"]["sets"]["epd_promoters"]["max_per_class"] = 1000  # the key's place kept
    lean["phase2"]["training"]["max_epochs"] = 20
    assert full == lean
    assert _as_rules_see_it(full) == _as_rules_see_it(lean)


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


def test_frontier_selectors_need_an_odd_kernel_and_known_keys():
    check_config(
        _validated(
            {"datasets": {"d": {}}, "phase2": {"frontier": {"selectors": {"a": {"selector_kernel": 7}}}}}
        )
    )
    even = _validated(
        {"datasets": {"d": {}}, "phase2": {"frontier": {"selectors": {"a": {"selector_kernel": 8}}}}}
    )
    with pytest.raises(ConfigError, match="phase2.frontier.selectors.a.selector_kernel must be odd, got 8"):
        check_config(even)
    with pytest.raises(Exception, match="Additional properties"):
        _validated({"datasets": {"d": {}}, "phase2": {"frontier": {"selectors": {"a": {"hidden": 4}}}}})


def test_reverse_complement_augmentation_is_refused_for_distillation():
    accepted = _validated({"datasets": {"d": {}}, "phase1": {"training": {"augment_rc": True}}})
    check_config(accepted)
    assert accepted["phase3"]["training"]["augment_rc"] is False
    refused = _validated({"datasets": {"d": {}}, "phase2": {"training": {"augment_rc": True}}})
    with pytest.raises(ConfigError, match="phase2.training.augment_rc"):
        check_config(refused)


@pytest.mark.parametrize(("alpha", "refused", "accepted"), [(0.01, 99, 100), (0.05, 19, 20), (0.03, 32, 33)])
def test_too_few_permutations_for_the_selection_alpha_are_refused(alpha, refused, accepted):
    def phase2(n):
        return {"n_permutations": n, "criteria": {"alpha": alpha}}

    check_config(_validated({"datasets": {"d": {}}, "phase2": phase2(accepted)}))
    config = _validated({"datasets": {"d": {}}, "phase2": phase2(refused)})  # smallest p 1/(n+1) >= alpha
    with pytest.raises(
        ConfigError, match=f"phase2.n_permutations: {refused} null draws.*at least {accepted}"
    ):
        check_config(config)


@pytest.mark.parametrize(("alpha", "refused", "accepted"), [(0.05, 19, 20), (0.01, 99, 100)])
def test_too_few_shuffles_for_the_denovo_alpha_are_refused(alpha, refused, accepted):
    check_config(_validated({"datasets": {"d": {}}, "denovo": {"n_shuffles": accepted, "alpha": alpha}}))
    config = _validated({"datasets": {"d": {}}, "denovo": {"n_shuffles": refused, "alpha": alpha}})
    refusal = f"denovo.n_shuffles: {refused} decoys.*at least {accepted} shuffles"
    with pytest.raises(ConfigError, match=refusal):
        check_config(config)


@pytest.mark.parametrize("phase", ["phase1", "phase2", "phase3"])
def test_regression_is_refused_because_phases_2_and_3_judge_binary_classifiers(phase):
    config = _validated({"datasets": {"d": {}}, phase: {"training": {"task": "regression"}}})
    with pytest.raises(ConfigError, match=f"{phase}.training.task: 'regression' is not supported"):
        check_config(config)


def test_names_that_share_a_results_folder_are_refused():
    models = {"summary": {}, "attention": {"positional": "sinusoidal", "stem": "conv", "pooling": "cls"}}
    config = _validated({"datasets": {"d": {}}, "phase1": {"models": models}})
    with pytest.raises(ConfigError, match="phase1.models.summary: 'summary' is reserved"):
        check_config(config)
    with pytest.raises(ConfigError, match="datasets.scaling: 'scaling' is reserved"):
        check_config(_validated({"datasets": {"scaling": {}}}))


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        (
            {"n_sequences": 10, "positive_fraction": 0.05},
            "all 10 labels are 0: a classifier needs both classes",
        ),
        (
            {"n_sequences": 11},
            r"the validation split gets no sequence of class 0 .*train 4/4, validation 0/1",
        ),
    ],
)
def test_synthetic_data_too_small_to_split_is_refused_at_config_time(dataset, message):
    with pytest.raises(ConfigError, match=f"datasets.d: .*{message}"):
        check_config(_validated({"datasets": {"d": dataset}}))
    check_config(_validated({"datasets": {"d": {"n_sequences": 12}}}))  # 6 per class: 4/1/1


@pytest.mark.parametrize("fractions", [(0.7, 0.15, 0.15), (0.5, 0.25, 0.25), (0.8, 0.1, 0.1)])
def test_config_time_split_sizes_are_those_the_planted_split_gets(fractions):
    import numpy as np

    from gsattn.simulate import stratified_split

    for n in range(1, 60):
        split = stratified_split(np.zeros(n, int), fractions, np.random.default_rng(n))
        assert stratified_counts(n, fractions) == [int((split == s).sum()) for s in SPLITS], n


def test_decoy_motifs_without_a_sites_bed_are_refused():
    dataset = {"type": "fasta", "fasta": "a.fa", "labels": "l.tsv", "decoy_motifs": ["CRE"]}
    with pytest.raises(ConfigError, match="datasets.u.decoy_motifs: .* has no 'sites'"):
        check_config(_validated({"datasets": {"u": dataset}}))
    check_config(_validated({"datasets": {"u": dataset | {"sites": "s.bed"}}}))


def _dry_run_from_the_repository_root(*args: str) -> str:
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "snakemake", "-n", "--forceall", *args]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.mark.slow
def test_a_configfile_replaces_the_default_config_and_config_still_applies():
    tiny = yaml.safe_load((REPO / "tests/config/tiny.yaml").read_text())
    default = yaml.safe_load((REPO / "config/config.yaml").read_text())
    assert not set(tiny["datasets"]) & set(default["datasets"])
    out = _dry_run_from_the_repository_root(
        "--configfile", "tests/config/tiny.yaml", "--config", 'phase1={"reference": "design"}'
    )
    planned = set(re.findall(r"wildcards: dataset=(\w+)", out))
    assert planned == set(tiny["datasets"])  # not the default's data sets as well
    assert "results/phase1/tiny_any/design/seed1/ground_truth.npz" in out  # --config over the file
    out = _dry_run_from_the_repository_root()
    assert set(re.findall(r"wildcards: dataset=(\w+)", out)) == set(default["datasets"])


@pytest.mark.parametrize(
    ("n_seeds", "n_datasets", "refused"),
    [(5, 1, True), (6, 1, False), (6, 2, True), (7, 2, False), (10, 2, False), (1, 1, False)],
)
def test_wilcoxon_primary_test_must_reach_alpha_at_config_time(n_seeds, n_datasets, refused):
    """2 / 2**S x data sets < 0.05: Wilcoxon needs 6 seeds for one data set, 7 for two."""
    datasets = {f"d{i}": {"type": "synthetic"} for i in range(n_datasets)}
    config = _validated(
        {"datasets": datasets, "seeds": list(range(n_seeds)), "phase3": {"primary_test": "wilcoxon"}}
    )
    if refused:
        with pytest.raises(ConfigError, match="phase3.primary_test: wilcoxon"):
            check_config(config)
    else:
        check_config(config)
    config["phase3"]["primary_test"] = "paired_t"
    check_config(config)


def test_wilcoxon_reachability_is_judged_on_the_data_set_with_fewest_seeds():
    """7 seeds reach alpha for two data sets; one of them with 6 of its own does not."""
    datasets = {"a": {"type": "synthetic"}, "b": {"type": "synthetic", "seeds": [1, 2, 3, 4, 5, 6]}}
    config = _validated(
        {"datasets": datasets, "seeds": list(range(7)), "phase3": {"primary_test": "wilcoxon"}}
    )
    with pytest.raises(ConfigError, match="wilcoxon with 6 seeds and 2 data set"):
        check_config(config)
    config["datasets"]["b"]["seeds"] = list(range(7))
    check_config(config)


FASTA = {"type": "fasta", "fasta": "a.fa", "labels": "l.tsv", "length": 64}


@pytest.mark.parametrize(
    ("datasets", "message"),
    [
        ({"u": FASTA | {"phase1_models": ["design"]}}, r"datasets\.u\.phase1_models: must include"),
        ({"u": FASTA | {"phase1_models": ["attention", "nope"]}}, r"\['nope'\] not in phase1\.models"),
        ({"u": FASTA | {"models_from": "u"}}, r"datasets\.u\.models_from: 'u' is not another data set"),
        ({"u": FASTA | {"models_from": "w"}}, r"'w' is not another data set"),
        (
            {"u": FASTA, "v": FASTA | {"models_from": "u"}, "w": FASTA | {"models_from": "v"}},
            r"datasets\.w\.models_from: 'v' reuses models itself",
        ),
        ({"u": FASTA, "v": FASTA | {"models_from": "u", "length": 70}}, r"length 70 differs from u's 64"),
        ({"u": FASTA, "v": FASTA | {"models_from": "u", "seeds": [1]}}, r"datasets\.v\.seeds: .* takes u's"),
        (
            {"u": FASTA, "v": FASTA | {"models_from": "u", "phase1_models": ["attention"]}},
            r"datasets\.v\.phase1_models: .* takes u's",
        ),
    ],
)
def test_per_data_set_study_keys_are_checked(datasets, message):
    with pytest.raises(ConfigError, match=message):
        check_config(_validated({"datasets": datasets}))


def test_per_data_set_study_keys_that_hold_pass():
    datasets = {
        "u": FASTA | {"seeds": [1, 2], "phase1_models": ["attention"]},
        "v": FASTA | {"models_from": "u"},
    }
    check_config(_validated({"datasets": datasets}))
