"""Motif masks: positives and scored positions, dilation."""

import numpy as np
import pytest

from gsattn.masks import dilate, position_sets

ROLES = np.array(["predictive", "decoy"])


def test_position_sets_exclude_other_motifs_and_padding():
    motif_index = np.array([[-1, 0, 0, 1, 1, -1, -1, -1]], dtype=np.int16)
    positive, scored = position_sets(motif_index, np.array([6]), ROLES, role="predictive")
    assert positive.tolist() == [[False, True, True, False, False, False, False, False]]
    assert scored.tolist() == [[True, True, True, False, False, True, False, False]]
    positive, scored = position_sets(motif_index, np.array([6]), ROLES, role="decoy")
    assert positive.tolist() == [[False, False, False, True, True, False, False, False]]
    assert scored.tolist() == [[True, False, False, True, True, True, False, False]]


def test_position_sets_single_motif_and_validation():
    motif_index = np.array([[0, 1, 2, -1]], dtype=np.int16)
    roles = np.array(["predictive", "predictive", "decoy"])
    positive, scored = position_sets(motif_index, np.array([4]), roles, motif=1)
    assert positive.tolist() == [[False, True, False, False]]
    assert scored.tolist() == [[False, True, False, True]]
    with pytest.raises(ValueError, match="role"):
        position_sets(motif_index, np.array([4]), roles, role="predicitve")
    with pytest.raises(ValueError, match="motif_index values"):
        position_sets(motif_index, np.array([4]), roles[:2])
    with pytest.raises(ValueError, match="lengths"):
        position_sets(motif_index, np.array([5]), roles)


def test_dilate():
    mask = np.array([[False, False, True, False, False, False]])
    assert dilate(mask, 1).astype(int).tolist() == [[0, 1, 1, 1, 0, 0]]
    assert dilate(mask, 0).tolist() == mask.tolist()
