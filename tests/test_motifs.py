import numpy as np
import pytest

from gsattn.motifs import fetch_jaspar_motifs, log_odds, sample_instance, score_instance, site_tokens
from gsattn.seq import encode, reverse_complement_tokens


def test_fetch_by_id_and_by_name_from_shipped_jaspar():
    by_id, by_name = fetch_jaspar_motifs([{"id": "MA0079.5"}, {"name": "TBP"}], "JASPAR2024", "predictive")
    assert (by_id.matrix_id, by_id.name, by_id.width) == ("MA0079.5", "SP1", 9)
    assert by_id.consensus() == "GGGGCGGGG"
    assert by_name.name == "TBP" and by_name.matrix_id.startswith("MA0108")
    assert by_id.release == "JASPAR2024" and by_id.label == "MA0079.5:SP1"
    np.testing.assert_allclose(by_id.probs.sum(axis=0), 1.0)
    assert (by_id.probs > 0).all()  # pseudocount


def test_fetch_errors():
    with pytest.raises(ValueError, match="not 'CTCF'"):
        fetch_jaspar_motifs([{"id": "MA0079.5", "name": "CTCF"}], "JASPAR2024", "predictive")
    with pytest.raises(ValueError, match="no JASPAR matrix"):
        fetch_jaspar_motifs([{"id": "MA9999.9"}], "JASPAR2024", "predictive")
    with pytest.raises(ValueError, match="no JASPAR motif named"):
        fetch_jaspar_motifs([{"name": "NOT_A_TF"}], "JASPAR2024", "predictive")


def test_sample_instance_follows_probabilities():
    probs = np.array([[0.7, 0.0], [0.1, 0.0], [0.1, 1.0], [0.1, 0.0]])
    rng = np.random.default_rng(0)
    draws = np.stack([sample_instance(probs, rng) for _ in range(4000)])
    assert (draws[:, 1] == 2).all()
    np.testing.assert_allclose(np.bincount(draws[:, 0], minlength=4) / 4000, probs[:, 0], atol=0.03)


def test_log_odds_score_by_hand():
    probs = np.array([[0.5, 0.25], [0.25, 0.25], [0.125, 0.25], [0.125, 0.25]])
    bg = np.full(4, 0.25)
    assert score_instance(encode("AC"), probs, bg) == pytest.approx(1.0 + 0.0)
    assert log_odds(probs, bg)[3, 0] == pytest.approx(-1.0)


def test_site_tokens_reads_minus_strand_as_reverse_complement():
    tokens = encode("AACCGGTT")
    assert site_tokens(tokens, 1, 4, "+").tolist() == encode("ACC").tolist()
    assert site_tokens(tokens, 1, 4, "-").tolist() == reverse_complement_tokens(encode("ACC")).tolist()


def test_scan_max_matches_brute_force_on_both_strands():
    from gsattn.motifs import scan_max

    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=5).T
    bg = np.array([0.3, 0.2, 0.2, 0.3])
    tokens = rng.integers(0, 4, size=(6, 20)).astype(np.uint8)
    tokens[0, 15:] = 5  # PAD scores 0
    expected = []
    for row in tokens:
        scores = []
        for start in range(20 - 5 + 1):
            for strand in "+-":
                window = site_tokens(row, start, start + 5, strand)
                pad = window >= 4
                lo = log_odds(probs, bg)
                scores.append(sum(lo[t, j] for j, t in enumerate(window) if not pad[j]))
        expected.append(max(scores))
    np.testing.assert_allclose(scan_max(tokens, probs, bg), expected)
