"""The expected-motif table: which families the model's positions, de novo and the
positives-vs-negatives test find, on tables where the answer is known."""

import copy

import pytest
import yaml
from test_config import _validated

from conftest import REPO
from gsattn.config import ConfigError, check_config
from gsattn.expected import COLUMNS, expected_motifs, families_for, found_label, members
from gsattn.io import read_table

NAMES = ["TBP", "ELK1", "Elk4", "ELK1::HOXA1", "SP1", "KLF4", "NFYA", "FOXA1", "CTCF", "MEF2C"]
PATTERNS = {"TATA/TBP": "TBP|TBPL[12]", "ETS": "ELK[134]|GABPA", "GC-box": "SP[1-9]|KLF[0-9]+"}
EXPECTED = {"promoters": ["TATA/TBP", "ETS", "GC-box"]}


def position_row(name, set_, rho, enriched, p=1e-6, planted=""):
    return {
        "seed": "all",
        "name": name,
        "set": set_,
        "rho": rho,
        "enriched": str(enriched),
        "odds_ratio": 3.0 if enriched else 1.0,
        "p_adjusted": p if enriched else 0.9,
        "planted": planted,
    }


def class_row(name, enriched):
    return {
        "seed": "all",
        "name": name,
        "enriched": str(enriched),
        "odds_ratio": 2.0 if enriched else 0.9,
        "p_adjusted": 1e-4 if enriched else 0.7,
    }


def by_family(rows):
    return {r["family"]: r for r in rows}


def test_members_match_whole_names_case_insensitively():
    assert members("ELK[134]", NAMES) == ["ELK1", "Elk4"]  # not the dimer ELK1::HOXA1
    assert members("TBP|TBPL[12]", NAMES) == ["TBP"]
    assert members("SP1", ["SP1", "SP10", "xSP1"]) == ["SP1"]


def test_planted_then_expected_then_uncovered_denovo_matches():
    positions = [position_row("SP1", "sparse", 0.1, True, planted="predictive")]
    positions += [position_row("FOXA1", "sparse", 0.1, False, planted="decoy")]
    got = families_for("promoters", positions, ["KLF4", "MEF2C", "MEF2C"], EXPECTED, PATTERNS)
    assert [(f, role) for f, role, _ in got] == [
        ("SP1", "predictive"),
        ("FOXA1", "decoy"),
        ("TATA/TBP", "expected"),
        ("ETS", "expected"),
        ("GC-box", "expected"),
        ("MEF2C", "de novo"),  # KLF4 is covered by the GC box (and SP1)
    ]


def test_random_control_of_the_same_rho_vetoes_a_position_hit():
    """Enriched in the sparse set at rho 0.1: found, unless the random set of rho 0.1 is
    enriched for the same motif too; the random set of another rho does not veto."""
    sparse = position_row("TBP", "sparse", 0.1, True)
    base = dict(positions=[sparse], classes=[], denovo=[], motifs=[], names=NAMES)

    def table(**kw):
        rows = expected_motifs("promoters", **(base | kw), expected=EXPECTED, patterns=PATTERNS)
        return by_family(rows)

    assert table()["TATA/TBP"]["positions"] == "yes" and table()["TATA/TBP"]["found"] == "yes"
    assert table()["TATA/TBP"]["positions_set"] == "sparse"
    same_rho = table(positions=[sparse, position_row("TBP", "random", 0.1, True)])["TATA/TBP"]
    assert same_rho["positions"] == "no" and same_rho["random"] == "yes" and same_rho["found"] == "no"
    other_rho = table(positions=[sparse, position_row("TBP", "random", 0.2, True)])["TATA/TBP"]
    assert other_rho["positions"] == "yes" and other_rho["random"] == "yes"


def test_best_member_is_named_and_unflagged_rows_do_not_count():
    positions = [
        position_row("ELK1", "attention", 0.05, True, p=1e-3),
        position_row("Elk4", "sparse", 0.2, True, p=1e-9),
        position_row("ELK1::HOXA1", "sparse", 0.05, True, p=1e-30),  # not a member
        position_row("SP1", "sparse", 0.05, False),
    ]
    rows = by_family(expected_motifs("promoters", positions, [], [], [], NAMES, EXPECTED, PATTERNS))
    ets = rows["ETS"]
    assert (ets["positions_best"], ets["positions_set"], ets["positions_rho"]) == ("Elk4", "sparse", 0.2)
    assert ets["members_scanned"] == 2
    assert rows["GC-box"]["positions"] == "no" and rows["GC-box"]["found"] == "no"


def test_classes_only_when_the_sequences_carry_the_motif_but_the_positions_do_not():
    classes = [class_row("NFYA", True), class_row("TBP", False)]
    patterns = PATTERNS | {"CCAAT/NFY": "NFY[ABC]"}
    expected = {"promoters": ["CCAAT/NFY", "TATA/TBP"]}
    rows = by_family(expected_motifs("promoters", [], classes, [], [], NAMES, expected, patterns))
    assert rows["CCAAT/NFY"]["found"] == "classes only" and rows["CCAAT/NFY"]["classes_best"] == "NFYA"
    assert rows["TATA/TBP"]["found"] == "no"
    flags = {"positions": "no", "denovo": "no", "classes": "yes"}
    assert found_label(flags) == "classes only"
    assert found_label(flags | {"denovo": "yes"}) == "yes"
    assert found_label(flags | {"classes": "no"}) == "no"


def test_denovo_counts_model_sets_only():
    """A motif of the random set's seqlets is a property of the sequences: it neither
    finds a family nor adds a de novo row."""
    matches = [
        {"motif_id": "random_rho0.1_m1", "set": "random", "name": "TBP", "q_value": 1e-4},
        {"motif_id": "random_rho0.1_m2", "set": "random", "name": "MEF2C", "q_value": 1e-4},
    ]
    motifs = [{"motif_id": m["motif_id"], "best_name": m["name"]} for m in matches]
    rows = by_family(expected_motifs("promoters", [], [], matches, motifs, NAMES, EXPECTED, PATTERNS))
    assert rows["TATA/TBP"]["denovo"] == "no" and "MEF2C" not in rows
    model = [
        m | {"set": "attention", "motif_id": m["motif_id"].replace("random", "attention")} for m in matches
    ]
    motifs = [{"motif_id": m["motif_id"], "best_name": m["name"]} for m in model]
    rows = by_family(expected_motifs("promoters", [], [], model, motifs, NAMES, EXPECTED, PATTERNS))
    assert rows["TATA/TBP"]["denovo"] == "yes" and rows["TATA/TBP"]["denovo_set"] == "attention"
    assert rows["MEF2C"]["expected"] == "de novo" and rows["MEF2C"]["found"] == "yes"


def test_per_seed_rows_are_ignored():
    per_seed = position_row("TBP", "sparse", 0.1, True) | {"seed": 2}
    rows = by_family(expected_motifs("promoters", [per_seed], [], [], [], NAMES, EXPECTED, PATTERNS))
    assert rows["TATA/TBP"]["positions"] == "no"


def test_the_script_writes_every_column_even_without_rows(tmp_path):
    import summarize_expected_motifs as script

    header = {
        "positions": "seed\tname\tset\trho\tenriched\todds_ratio\tp_adjusted\tplanted\n",
        "classes": "seed\tname\tenriched\todds_ratio\tp_adjusted\n",
        "matches": "motif_id\tset\tname\tq_value\n",
        "denovo": "motif_id\tbest_name\n",
        "motifs": "matrix_id\tname\nMA0108.3\tTBP\n",
    }
    inputs = {}
    for key, text in header.items():
        inputs[key] = tmp_path / f"{key}.tsv"
        inputs[key].write_text(text)
    out = tmp_path / "out" / "expected_motifs.tsv"
    rows = script.run(inputs, {"families": {}, "datasets": {}}, "enhancers", str(out))
    assert rows == [] and out.read_text().rstrip("\n").split("\t") == COLUMNS
    rows = script.run(inputs, {"families": PATTERNS, "datasets": EXPECTED}, "promoters", str(out))
    assert [r["family"] for r in read_table(out)] == ["TATA/TBP", "ETS", "GC-box"]
    assert read_table(out)[0]["members_scanned"] == 1 and rows[1]["members_scanned"] == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e["datasets"].update({"nowhere": []}), "expected_motifs.datasets.nowhere: not a data set"),
        (
            lambda e: e["datasets"].update({"synthetic": ["TATA"]}),
            r"\['TATA'\] not in expected_motifs.families",
        ),
        (
            lambda e: e["families"].update({"bad": "SP[1-"}),
            "expected_motifs.families.bad: 'SP\\[1-' is not a",
        ),
    ],
)
def test_config_check_names_the_bad_entry(change, message):
    config = _validated(yaml.safe_load((REPO / "config" / "config.yaml").read_text()))
    check_config(config)  # the shipped families and data sets are consistent
    broken = copy.deepcopy(config)
    change(broken["expected_motifs"])
    with pytest.raises(ConfigError, match=message):
        check_config(broken)
