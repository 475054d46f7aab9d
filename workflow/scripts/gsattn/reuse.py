"""Models of one data set evaluated on another (a data set's ``models_from``).

A data set ``D`` with ``models_from: S`` trains nothing: every model of ``D`` (Phase 1,
the Phase 2 students, Phase 3) is ``S``'s model of the same name and seed, evaluated on
``D``'s splits. This is sound only when ``D``'s train and validation splits are ``S``'s,
sequence for sequence and in the same order (the model and its early stopping saw
exactly those); only the test split may differ, e.g. the published test set of
iEnhancer-2L without the test sequences that are also in train.
:func:`check_same_training_data` enforces it; the training scripts then copy the
source's weights, hyper-parameters (with ``reused_from`` added) and history, and compute
``D``'s own metrics and predictions.
"""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np

from gsattn.datasets import load_encoded
from gsattn.io import InputError

log = logging.getLogger(__name__)

#: The splits a reused model was fitted and early-stopped on.
TRAINING_SPLITS = ("train", "validation")

#: Arrays of ``encoded.npz`` that must agree on those splits.
COMPARED_ARRAYS = ("ids", "tokens", "labels")


def training_difference(arrays: dict, source: dict) -> str | None:
    """What differs between the train and validation splits of two encoded data sets.

    Parameters
    ----------
    arrays, source
        ``encoded.npz`` arrays (:func:`gsattn.datasets.load_encoded`): ``ids`` (N,),
        ``tokens`` (N, L), ``labels`` (N,), ``split`` (N,).

    Returns
    -------
    str or None
        A sentence naming the first split and array that differ, or ``None`` when both
        splits hold the same sequences with the same labels in the same order.
    """
    for split in TRAINING_SPLITS:
        mine, theirs = arrays["split"] == split, source["split"] == split
        if mine.sum() != theirs.sum():
            return f"the {split} split has {mine.sum()} sequences, the source's {theirs.sum()}"
        for name in COMPARED_ARRAYS:
            a, b = arrays[name][mine], source[name][theirs]
            if a.shape != b.shape or not np.array_equal(a, b):
                return f"the {split} split's {name} differ from the source's"
    return None


def check_same_training_data(encoded: str, source_encoded: str, source_name: str) -> None:
    """Stop unless ``encoded``'s train and validation splits equal ``source_encoded``'s.

    Raises
    ------
    InputError
        Naming the file, what differs and the fix (``models_from`` needs the same
        training data).
    """
    problem = training_difference(load_encoded(encoded), load_encoded(source_encoded))
    if problem:
        raise InputError(
            encoded,
            None,
            f"models_from: {source_name} needs the same train and validation sequences, but {problem}; "
            f"give this data set the train and validation records of {source_name} (only test may "
            "differ) or remove models_from",
        )
    log.info("train and validation splits equal %s's: its models are reused", source_name)


def copy_reused(source: str, target: str) -> None:
    """Copy one file of the source model (weights or history) byte for byte."""
    shutil.copyfile(source, target)


def write_reused_hparams(source: str, target: str, source_name: str) -> dict:
    """The source model's hyper-parameters with ``reused_from`` added; returns them."""
    with open(source) as handle:
        hparams = json.load(handle)
    hparams["reused_from"] = source_name
    with open(target, "w") as handle:
        json.dump(hparams, handle, indent=2, sort_keys=True)
    return hparams


def reuse_argument(inputs, params) -> dict | None:
    """A training rule's ``reuse`` argument, or ``None`` (train a model).

    Parameters
    ----------
    inputs, params
        The rule's ``snakemake.input`` and ``snakemake.params``: inputs ``reused_model``,
        ``reused_hparams``, ``reused_history``, ``reused_encoded`` and param
        ``reused_from`` (the source data set's name) for a data set with ``models_from``.

    Returns
    -------
    dict or None
        Keys model, hparams, history, encoded (paths) and source (name).
    """
    if "reused_model" not in inputs.keys():
        return None
    keys = ("model", "hparams", "history", "encoded")
    return {k: inputs[f"reused_{k}"] for k in keys} | {"source": params.reused_from}
