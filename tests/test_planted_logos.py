"""Rule draw_planted_logos: logos of the JASPAR matrices a synthetic data set plants."""

import sys
import types

import numpy as np
import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "workflow/scripts"))
import draw_planted_logos as D  # noqa: E402

from gsattn.motifs import fetch_jaspar_motifs  # noqa: E402

PLANTED = {
    "release": "JASPAR2024",
    "pseudocount": 0.5,
    "motifs": [{"id": "MA0108.3", "name": "TBP"}],
    "decoys": [{"id": "MA0148.5", "name": "FOXA1"}],
}


def test_the_logos_are_of_the_matrices_plant_motifs_plants():
    motifs = D.planted_motifs(PLANTED)
    assert [(m.matrix_id, m.role) for m in motifs] == [("MA0108.3", "predictive"), ("MA0148.5", "decoy")]
    planted = fetch_jaspar_motifs(PLANTED["motifs"], "JASPAR2024", "predictive", 0.5)
    np.testing.assert_array_equal(motifs[0].probs, planted[0].probs)
    assert D.logo_title(motifs[1]) == "MA0148.5 FOXA1 (decoy, JASPAR2024)"


def test_main_writes_one_png_and_no_partial_output(tmp_path):
    out = tmp_path / "planted_logos.png"
    smk = types.SimpleNamespace(
        params=types.SimpleNamespace(planted=PLANTED),
        wildcards=types.SimpleNamespace(dataset="syn"),
        output=types.SimpleNamespace(logos=str(out)),
        log=[str(tmp_path / "log.txt")],
    )
    D.main(smk)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.txt", "planted_logos.png"]
    bad = dict(PLANTED, motifs=[{"id": "MA9999.9", "name": "NONE"}])
    with pytest.raises(ValueError, match="MA9999.9"):
        D.run(bad, "syn", str(tmp_path / "bad.png"))
    assert not (tmp_path / "bad.png").exists()
