"""The frontier figure (gsattn.frontier.frontier_axes) and its label placement
(gsattn.plots.separate_labels): labels drawn apart even where selectors sit at nearly the same
point, one label per selector, one curve per rho, the target region shaded."""

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gsattn.frontier import frontier_axes, frontier_figure
from gsattn.plots import separate_labels, text_boxes

CRITERIA = {"accuracy_fraction": 0.95, "compute_reduction": 0.9}

#: (selector, compute reduction, accuracy fraction) at rho 0.1; rho 0.2 sits 0.001 / 0.002 higher.
#: The last three are a hair apart, as the cheap selectors of the default data are.
POINTS = [
    ("design", 0.82, 0.97),
    ("motif_window", 0.915, 0.86),
    ("separable", 0.972, 0.91),
    ("pwm", 0.9850, 0.603),
    ("position_only", 0.9852, 0.603),
    ("tiny_kernel", 0.9855, 0.604),
]


def _rows(points=POINTS):
    rows = []
    for rho, (dx, dy) in ((0.1, (0.0, 0.0)), (0.2, (0.001, 0.002))):
        for name, cut, acc in points:
            rows.append(
                {
                    "selector": name,
                    "rho": rho,
                    "compute_reduction": cut + dx,
                    "accuracy_fraction": acc + dy,
                    "accuracy_fraction_ci_low": acc + dy - 0.03,
                    "accuracy_fraction_ci_high": acc + dy + 0.03,
                    "design_point": "yes" if name == "design" else "no",
                }
            )
    return rows


def _overlaps(boxes):
    """Index pairs of ``(T, 4)`` boxes ``x0, y0, x1, y1`` whose interiors intersect."""
    return [
        (i, j)
        for i, j in itertools.combinations(range(len(boxes)), 2)
        if min(boxes[i][2], boxes[j][2]) > max(boxes[i][0], boxes[j][0])
        and min(boxes[i][3], boxes[j][3]) > max(boxes[i][1], boxes[j][1])
    ]


def _inside(boxes, frame):
    return bool(np.all(boxes[:, :2] >= frame[:2] - 0.5) and np.all(boxes[:, 2:] <= frame[2:] + 0.5))


def test_near_coincident_selectors_get_one_label_each_and_the_labels_do_not_overlap():
    rows = _rows()
    fig = frontier_axes(rows, CRITERIA)
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t for t in ax.texts if t.get_text() in {p[0] for p in POINTS}]
    assert sorted(t.get_text() for t in labels) == sorted(p[0] for p in POINTS)
    boxes = text_boxes(labels, fig.canvas.get_renderer())
    assert _overlaps(boxes) == []
    assert _inside(boxes, np.array(ax.get_window_extent().extents))
    # the leader points at each selector's highest accuracy fraction (here its rho = 0.2 point)
    assert all(np.allclose(t.xy, (c + 0.001, a + 0.002)) for t, (_, c, a) in zip(labels, POINTS, strict=True))
    assert len(ax.containers) == 2  # one error-bar curve per rho
    shaded = [c for c in ax.collections if c.get_label() == "design's target"]
    assert len(shaded) == 1
    plt.close(fig)


def test_the_same_labels_at_their_plain_offsets_would_overlap(monkeypatch):
    """The check above can fail: without separate_labels the near-coincident labels collide."""
    monkeypatch.setattr("gsattn.plots.separate_labels", lambda ax, texts, pad=2.0, rounds=200: True)
    fig = frontier_axes(_rows(), CRITERIA)
    fig.canvas.draw()
    labels = [t for t in fig.axes[0].texts if t.get_text() in {p[0] for p in POINTS}]
    assert _overlaps(text_boxes(labels, fig.canvas.get_renderer())) != []
    plt.close(fig)


def _two_labels(gap_points):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    kw = {"textcoords": "offset points", "fontsize": 8}
    a = ax.annotate("first label", (0.3, 0.5), xytext=(0, 0), **kw)
    b = ax.annotate("second label", (0.3, 0.5), xytext=(0, gap_points), **kw)
    return fig, ax, [a, b]


@pytest.mark.parametrize(("gap", "moved"), [(0, True), (6, True), (30, False)])
def test_separate_labels_moves_only_labels_that_overlap(gap, moved):
    """Labels on one spot, or closer than a text height (8 pt font), are pushed apart; labels
    already apart keep their offsets exactly."""
    fig, ax, texts = _two_labels(gap)
    assert separate_labels(ax, texts, pad=2.0)
    assert (texts[0].xyann != (0, 0) or texts[1].xyann != (0, gap)) == moved
    assert _overlaps(text_boxes(texts)) == []
    plt.close(fig)


def test_separate_labels_keeps_labels_inside_the_axes_and_reports_when_they_cannot_fit():
    fig, ax = plt.subplots(figsize=(4, 3))
    kw = {"textcoords": "offset points", "xytext": (0, 0), "fontsize": 8}
    edge = [ax.annotate(f"label {k}", (0.2, 0.99), **kw) for k in range(3)]
    assert separate_labels(ax, edge)
    boxes = text_boxes(edge)
    assert _overlaps(boxes) == [] and _inside(boxes, np.array(ax.get_window_extent().extents))
    crowd = [ax.annotate(f"label {k}", (0.5, 0.5), **kw) for k in range(40)]
    assert not separate_labels(ax, crowd, rounds=50)
    plt.close(fig)


def test_frontier_figure_writes_a_png(tmp_path):
    path = tmp_path / "frontier.png"
    frontier_figure(_rows(), CRITERIA, str(path), "tiny")
    assert path.read_bytes()[:4] == b"\x89PNG"
