"""Models reused by a data set with ``models_from`` (gsattn.reuse): the training-data check."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from gsattn.io import InputError, save_npz
from gsattn.reuse import (
    check_same_training_data,
    reuse_argument,
    training_difference,
    write_reused_hparams,
)


def _arrays(split, tokens=None, labels=None, ids=None) -> dict:
    n = len(split)
    return {
        "ids": np.array(ids or [f"s{i}" for i in range(n)]),
        "tokens": np.arange(n * 4).reshape(n, 4) % 5 if tokens is None else tokens,
        "labels": np.array(labels or [i % 2 for i in range(n)], dtype=np.int8),
        "split": np.array(split),
    }


SPLIT = ["train"] * 4 + ["validation"] * 2 + ["test"] * 3


def test_same_training_splits_with_another_test_split_pass():
    source = _arrays(SPLIT)
    fewer_tests = {k: v[:-1] for k, v in source.items()}  # one test sequence left out
    assert training_difference(fewer_tests, source) is None
    other_tests = {k: v.copy() for k, v in source.items()}
    other_tests["tokens"][-1] = 0  # a different test sequence
    assert training_difference(other_tests, source) is None


def test_a_changed_training_sequence_label_or_order_is_named():
    source = _arrays(SPLIT)
    changed = {k: v.copy() for k, v in source.items()}
    changed["tokens"][5, 0] += 1  # one base of one validation sequence
    assert training_difference(changed, source) == "the validation split's tokens differ from the source's"
    relabelled = {k: v.copy() for k, v in source.items()}
    relabelled["labels"][0] = 1 - relabelled["labels"][0]
    assert training_difference(relabelled, source) == "the train split's labels differ from the source's"
    swapped = {k: v.copy() for k, v in source.items()}
    swapped["ids"][[0, 1]] = swapped["ids"][[1, 0]]
    assert training_difference(swapped, source) == "the train split's ids differ from the source's"


def test_a_sequence_moved_between_splits_changes_the_counts():
    source = _arrays(SPLIT)
    moved = {k: v.copy() for k, v in source.items()}
    moved["split"][6] = "validation"  # a test sequence moved into validation
    assert training_difference(moved, source) == "the validation split has 3 sequences, the source's 2"


def test_check_stops_with_the_file_the_source_and_the_fix(tmp_path):
    source = _arrays(SPLIT)
    changed = {k: v.copy() for k, v in source.items()}
    changed["labels"][4] = 1 - changed["labels"][4]
    save_npz(tmp_path / "source.npz", source)
    save_npz(tmp_path / "mine.npz", changed)
    check_same_training_data(str(tmp_path / "source.npz"), str(tmp_path / "source.npz"), "src")
    with pytest.raises(InputError, match=r"mine\.npz: models_from: src needs the same train and validation"):
        check_same_training_data(str(tmp_path / "mine.npz"), str(tmp_path / "source.npz"), "src")


def test_reused_hparams_name_their_source(tmp_path):
    (tmp_path / "h.json").write_text(json.dumps({"seed": 2, "model": {"d_model": 16}}))
    written = write_reused_hparams(str(tmp_path / "h.json"), str(tmp_path / "out.json"), "src")
    assert written == {"seed": 2, "model": {"d_model": 16}, "reused_from": "src"}
    assert json.loads((tmp_path / "out.json").read_text()) == written


class _Inputs(dict):
    """Stands in for ``snakemake.input`` (a mapping with ``keys``)."""


def test_reuse_argument_only_with_reused_inputs():
    assert reuse_argument(_Inputs(encoded="e.npz"), SimpleNamespace(reused_from=None)) is None
    inputs = _Inputs(
        encoded="e.npz",
        reused_model="m.pt",
        reused_hparams="h.json",
        reused_history="t.tsv",
        reused_encoded="s.npz",
    )
    assert reuse_argument(inputs, SimpleNamespace(reused_from="src")) == {
        "model": "m.pt",
        "hparams": "h.json",
        "history": "t.tsv",
        "encoded": "s.npz",
        "source": "src",
    }
