"""Figures of a data set without ground-truth sites (the real sets) say so instead of
drawing empty axes or claiming planted sites: the Phase 1 meta-profile, the attention
maps' title and the selected-positions-vs-site distance figure."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from gsattn import plots
from gsattn.receptive import site_distance_figure

matplotlib.use("Agg")


@pytest.fixture
def kept_figures(monkeypatch):
    """Keep the figures the plotting functions close, so their text can be read."""
    monkeypatch.setattr(plt, "close", lambda *a, **k: None)
    plt.close("all")
    yield
    monkeypatch.undo()
    plt.close("all")


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def test_meta_profile_without_sites_says_so(kept_figures, tmp_path):
    plots.meta_profile_figure({"attention": {}}, 10, str(tmp_path / "p.png"))
    fig = plt.gcf()
    assert "no ground-truth sites in this data set" in _texts(fig)
    assert fig.axes[0].get_legend() is None


def test_meta_profile_with_sites_draws_lines_and_legend(kept_figures, tmp_path):
    lines = {"attention, predictive": np.ones(21)}
    plots.meta_profile_figure({"attention": lines}, 10, str(tmp_path / "p.png"))
    fig = plt.gcf()
    assert "no ground-truth sites in this data set" not in _texts(fig)
    assert fig.axes[0].get_legend() is not None


@pytest.mark.parametrize(("index", "expected"), [(-1, "no known sites"), (0, "shaded: planted sites")])
def test_attention_maps_title_follows_the_sites(kept_figures, tmp_path, index, expected):
    motif_index = np.full((1, 4), -1)
    motif_index[0, 1] = index
    plots.attention_maps_figure(
        np.zeros((1, 5, 5)), np.zeros((1, 4)), motif_index, ["predictive"], ["s"], str(tmp_path / "m.png")
    )
    title = plt.gcf().texts[0].get_text()
    assert expected in title
    assert "received (CLS row)" in _texts(plt.gcf())  # 5 x 5 maps over 4 positions: a CLS token


def test_site_distances_without_sites_name_no_group(kept_figures, tmp_path):
    site_distance_figure([], str(tmp_path / "d.png"), "t")
    labels = [ax.get_xlabel() for ax in plt.gcf().axes]
    assert labels == ["distance to the nearest site base (bp)"]
