import numpy as np
import pytest
import torch

from gsattn.models import ModelConfig, build_model
from gsattn.seeding import seeded
from gsattn.seq import PAD_TOKEN
from gsattn.sparse import (
    SparseApproximator,
    SparseConfig,
    count_trainable,
    distillation_objective,
    from_teacher,
    select_top_k,
)
from gsattn.train import Split, TrainConfig, fit


def _tokens(n=4, length=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, 5, (n, length), generator=g)
    tokens[1, 25:] = PAD_TOKEN
    tokens[2, 3:] = PAD_TOKEN  # shorter than k: 3 valid positions
    return tokens


@pytest.mark.parametrize("rho", [0.05, 0.1, 0.2])
def test_selector_returns_exactly_k_distinct_positions_never_pad(rho):
    config = SparseConfig(rho=rho, max_len=40)
    model = SparseApproximator(config)
    tokens = _tokens()
    out = model.approximate(tokens)
    k = config.k(40)
    assert out["index"].shape == (4, k) == out["valid"].shape
    pad = tokens == PAD_TOKEN
    for i in range(4):
        chosen = out["index"][i][out["valid"][i]].tolist()
        assert len(set(chosen)) == len(chosen)
        assert not pad[i, chosen].any()
        n_real = int((~pad[i]).sum())
        assert len(chosen) == min(k, n_real)
    torch.testing.assert_close(out["weights"].sum(1), torch.ones(4))
    assert (out["weights"][~out["valid"]] == 0).all()


def test_k_is_ceil_of_rho_times_length():
    assert [SparseConfig(rho=r).k(100) for r in (0.05, 0.1, 0.2)] == [5, 10, 20]
    assert SparseConfig(rho=0.05).k(10) == 1 and SparseConfig(rho=0.1).k(16384) == 1639


def test_select_top_k_by_hand():
    scores = torch.tensor([[0.1, 0.9, 0.5, 2.0], [3.0, 1.0, 2.0, 0.0]])
    pad = torch.tensor([[False, False, False, True], [False, False, False, False]])
    index, valid = select_top_k(scores, pad, 2)
    assert index.tolist() == [[1, 2], [0, 2]] and valid.all()
    with pytest.raises(ValueError):
        select_top_k(scores, pad, 5)


def test_gradients_reach_the_selector_and_not_the_frozen_classifier():
    teacher = build_model(ModelConfig(max_len=40), seed=0)
    model = from_teacher(teacher, SparseConfig(rho=0.1, max_len=40), seed=1)
    torch.testing.assert_close(model.embedding.weight, teacher.embedding.weight)
    loss = distillation_objective(task_weight=1.0)(model, _tokens(), torch.ones(4), torch.randn(4, 16))
    loss.backward()
    for module in (
        model.selector.context,
        model.selector.score,
        model.approximator.compress,
        model.embedding,
    ):
        assert module.weight.grad is not None and module.weight.grad.abs().sum() > 0
    assert model.classifier.weight.grad is None
    assert count_trainable(model) == sum(p.numel() for p in model.parameters()) - 17


def test_design_bottleneck_shapes():
    model = SparseApproximator(SparseConfig())
    assert model.config.n_features == 48
    assert tuple(model.approximator.compress.weight.shape) == (8, 48)
    assert tuple(model.approximator.expand.weight.shape) == (16, 8)


def test_distillation_learns_a_planted_position_target():
    """Teacher output = embedding-free function of whether a 'G' run is present: the
    approximator reduces the distillation loss well below its start."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, (256, 30))
    has = rng.random(256) < 0.5
    for i in np.flatnonzero(has):
        start = rng.integers(0, 25)
        tokens[i, start : start + 5] = 2
    target = torch.zeros(256, 16)
    target[torch.from_numpy(has), 0] = 3.0
    split = Split(torch.from_numpy(tokens), torch.from_numpy(has.astype(np.float32)), np.arange(256), target)
    with seeded(0):
        model = SparseApproximator(SparseConfig(rho=0.2, max_len=30, selector_kernel=5))
    cfg = TrainConfig(max_epochs=25, patience=25, learning_rate=0.01, batch_size=32)
    history, _ = fit(model, split, split, cfg, seed=0, objective=distillation_objective())
    assert history[-1]["val_loss"] < 0.3 * history[0]["val_loss"]


# --------------------------------------------------------------------------- joint-pipeline teacher
def _pipeline_student(length=40, rho=0.1, seed=1):
    from gsattn.pipeline import PipelineConfig, build_pipeline_model

    teacher = build_pipeline_model(PipelineConfig(length=length), seed=0)
    config = SparseConfig(rho=rho, max_len=length, teacher="joint_pipeline", out_dim=8, head_hidden=32)
    return teacher, config, from_teacher(teacher, config, seed)


def test_sparse_head_equals_the_dense_layer_on_a_zero_filled_representation():
    teacher, config, student = _pipeline_student()
    values = torch.randn(3, 4, 8)
    index = torch.tensor([[0, 5, 9, 39], [1, 2, 3, 4], [39, 38, 20, 10]])
    dense = torch.zeros(3, 40, 8)
    dense.scatter_(1, index[..., None].expand(-1, -1, 8), values)
    expected = torch.relu(teacher.hidden(dense.flatten(1)))
    torch.testing.assert_close(student.head(values, index), expected, rtol=1e-5, atol=1e-6)


def test_pipeline_student_copies_and_freezes_the_teacher_head_and_trains_the_rest():
    teacher, config, student = _pipeline_student()
    torch.testing.assert_close(student.embedding.weight, teacher.embedding.weight)
    torch.testing.assert_close(student.classifier.weight, teacher.output.weight)
    tokens = _tokens()
    out = student.approximate(tokens)
    assert out["pooled"].shape == (4, 32) and student(tokens).shape == (4, 1)
    loss = distillation_objective(task_weight=1.0)(student, tokens, torch.ones(4), torch.randn(4, 32))
    loss.backward()
    for module in (student.selector.context, student.selector.score, student.approximator.expand):
        assert module.weight.grad is not None and module.weight.grad.abs().sum() > 0
    assert student.head.weight.grad is None and student.classifier.weight.grad is None
    frozen = 40 * 8 * 32 + 32 + 32 + 1
    assert count_trainable(student) == sum(p.numel() for p in student.parameters()) - frozen
    with pytest.raises(ValueError, match="length"):
        student.approximate(tokens[:, :30])
    with pytest.raises(ValueError, match="out_dim"):
        SparseConfig(teacher="joint_pipeline")
    with pytest.raises(ValueError, match="teacher"):
        SparseConfig(teacher="cnn")


def test_pipeline_student_round_trips_through_load_sparse(tmp_path):
    import json

    from gsattn.sparse import load_sparse

    _, config, student = _pipeline_student()
    torch.save(student.state_dict(), tmp_path / "m.pt")
    (tmp_path / "h.json").write_text(json.dumps({"sparse": config.to_dict()}))
    loaded, _ = load_sparse(str(tmp_path / "m.pt"), str(tmp_path / "h.json"))
    tokens = _tokens()
    torch.testing.assert_close(loaded(tokens), student.eval()(tokens))


# --------------------------------------------------------------------------- receptive fields
def test_value_field_is_the_context_convolution_of_the_actual_modules():
    from gsattn.receptive import value_offsets

    assert value_offsets(SparseApproximator(SparseConfig())).tolist() == list(range(-7, 8))  # 15 bp
    assert value_offsets(SparseApproximator(SparseConfig(selector_kernel=5))).tolist() == [-2, -1, 0, 1, 2]
    assert value_offsets(SparseApproximator(SparseConfig(selector_kernel=1))).tolist() == [0]
    separable = SparseApproximator(SparseConfig(selector_kernel=7, selector_separable=True))
    assert value_offsets(separable).tolist() == list(range(-3, 4))  # depthwise 7 bp, then 1x1
    stacked = SparseApproximator(SparseConfig(selector_kernel=3))
    stacked.selector.context = torch.nn.Sequential(
        torch.nn.Conv1d(16, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv1d(16, 16, 5, padding=2)
    )
    assert value_offsets(stacked).tolist() == list(range(-3, 4))  # fields add up: 3 + 5 - 1 bp
    dilated = SparseApproximator(SparseConfig(selector_kernel=3))
    dilated.selector.context = torch.nn.Conv1d(16, 16, 3, padding=2, dilation=2)
    assert value_offsets(dilated).tolist() == [-2, 0, 2]  # read from the module, holes included
    with pytest.raises(ValueError, match="stride"):
        dilated.selector.context = torch.nn.Conv1d(16, 16, 3, stride=2)
        value_offsets(dilated)


@torch.no_grad()
@pytest.mark.parametrize("separable", [False, True])
def test_brute_force_output_reads_only_the_bases_inside_the_selected_fields(separable):
    """Change every base to every other base, one at a time: with the selection unchanged,
    the logit moves iff the base lies in a selected position's value field (outside it, by
    float rounding at most: the summation order of the kernels may differ)."""
    from gsattn.receptive import seen_mask, value_offsets

    length = 40
    with seeded(3):
        config = SparseConfig(rho=0.1, max_len=length, selector_kernel=5, selector_separable=separable)
        model = SparseApproximator(config).eval()
    tokens = torch.randint(0, 4, (5, length), generator=torch.Generator().manual_seed(4))
    tokens[2, 30:] = PAD_TOKEN  # a shorter sequence: the field stops at its end
    lengths = (tokens != PAD_TOKEN).sum(1).numpy()
    offsets = value_offsets(model)
    checked = {"inside": 0, "outside": 0}
    for i in range(tokens.shape[0]):
        base = model.approximate(tokens[i : i + 1])
        chosen = set(base["index"][0].tolist())
        selected = np.zeros((1, length), dtype=bool)
        selected[0, list(chosen)] = True
        seen = seen_mask(selected, lengths[i : i + 1], offsets)[0]
        logit = model(tokens[i : i + 1])
        for p in range(int(lengths[i])):
            changes = []
            for b in range(4):
                if b == tokens[i, p]:
                    continue
                mutant = tokens[i : i + 1].clone()
                mutant[0, p] = b
                if set(model.approximate(mutant)["index"][0].tolist()) != chosen:
                    continue  # the perturbation changed which positions are read
                changes.append(float((model(mutant) - logit).abs().max()))
            if not changes:
                continue
            if seen[p]:
                checked["inside"] += 1
                assert max(changes) > 1e-5, (i, p)  # ten times the rounding bound below
            else:
                checked["outside"] += 1
                assert max(changes) < 1e-6, (i, p)  # float rounding only
    assert checked["inside"] >= 40 and checked["outside"] >= 40, checked


def test_seen_shares_on_a_hand_made_selection_with_the_sequence_ends():
    from gsattn.receptive import coverage, distance_bins, distance_histogram, distance_to_sites, seen_mask

    lengths = np.array([10, 6])
    selected = np.zeros((2, 10), dtype=bool)
    selected[0, [0, 9]] = True  # both ends: fields cut to 0..2 and 7..9
    selected[1, 4] = True  # field 2..6, cut at the length 6 to 2..5
    sites = np.zeros((2, 10), dtype=bool)
    sites[0, 2:5] = True  # 3 site bases, one (2) seen
    sites[1, 5] = True  # 1 site base, seen
    offsets = [-2, -1, 0, 1, 2]
    seen = seen_mask(selected, lengths, offsets)
    assert np.flatnonzero(seen[0]).tolist() == [0, 1, 2, 7, 8, 9]
    assert np.flatnonzero(seen[1]).tolist() == [2, 3, 4, 5]
    shares = coverage(selected, lengths, offsets, {"recovery": sites, "decoy": np.zeros_like(sites)})
    np.testing.assert_allclose(shares["selected"], [2 / 10, 1 / 6])
    np.testing.assert_allclose(shares["seen"], [6 / 10, 4 / 6])
    np.testing.assert_allclose(shares["recovery_seen"], [1 / 3, 1.0])
    np.testing.assert_allclose(shares["recovery_share"], [3 / 10, 1 / 6])
    np.testing.assert_allclose(shares["recovery_selected"], [0.0, 0.0])
    assert np.isnan(shares["decoy_seen"]).all()  # no decoy site: undefined, not 0
    distances = distance_to_sites(selected, sites)
    assert distances.tolist() == [2, 5, 1]
    bins = distance_bins(2, 9)
    assert bins == [(0, 0), (1, 2), (3, 4), (5, 8), (9, 16)]
    assert distance_histogram(distances, bins).tolist() == [0, 2, 0, 1, 0]
    with pytest.raises(ValueError, match="PAD"):
        bad = selected.copy()
        bad[1, 8] = True
        seen_mask(bad, lengths, offsets)
