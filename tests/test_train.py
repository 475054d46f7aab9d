import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score
from torch import nn

from gsattn.interpret import gradient_x_input
from gsattn.models import ModelConfig, build_model
from gsattn.seeding import seeded
from gsattn.seq import PAD_TOKEN, reverse_complement_tokens
from gsattn.train import (
    Split,
    TrainConfig,
    augment_reverse_complement,
    fit,
    load_split,
    metrics,
    predict,
    reverse_complement_batch,
    set_determinism,
    task_objective,
)


def _separable(n=128, length=20, seed=0):
    """Class 1 is all-G sequences with noise, class 0 all-A: trivially separable."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    tokens = np.where(labels[:, None] == 1, 2, 0) * np.ones((1, length), int)
    noise = rng.random((n, length)) < 0.2
    tokens[noise] = rng.integers(0, 4, noise.sum())
    return Split(torch.from_numpy(tokens), torch.from_numpy(labels.astype(np.float32)), np.arange(n))


def test_training_drops_the_loss_on_separable_data():
    set_determinism(1)
    train, val = _separable(seed=1), _separable(seed=2)
    model = build_model(ModelConfig(max_len=20), seed=0)
    history, best = fit(
        model, train, val, TrainConfig(max_epochs=15, patience=15, learning_rate=0.01), seed=0
    )
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    model.load_state_dict(best)
    assert metrics("binary", val.targets.numpy(), predict(model, val.tokens))["accuracy"] > 0.95


def test_training_is_deterministic_for_a_seed():
    runs = []
    for _ in range(2):
        set_determinism(1)
        model = build_model(ModelConfig(stem="conv", stem_kernel=3, stem_channels=8, max_len=20), seed=5)
        history, _ = fit(model, _separable(seed=1), _separable(seed=2), TrainConfig(max_epochs=3), seed=5)
        runs.append([(r["train_loss"], r["val_loss"]) for r in history])
    assert runs[0] == runs[1]


def test_one_pass_validation_gives_the_two_pass_history_and_weights():
    """fit() without an objective validates in one forward pass; passing the same
    task objective takes the two-pass path (objective_value, then predict)."""
    runs = []
    for objective in (None, task_objective("binary")):
        set_determinism(1)
        model = build_model(ModelConfig(max_len=20), seed=3)
        val = _separable(n=300, seed=2)  # more than one 256-row validation batch
        history, best = fit(
            model, _separable(seed=1), val, TrainConfig(max_epochs=4), seed=3, objective=objective
        )
        runs.append(([{k: v for k, v in r.items() if k != "seconds"} for r in history], best))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(runs[0][1][k], runs[1][1][k]) for k in runs[0][1])


def test_binary_and_regression_metrics_match_reference_implementations():
    rng = np.random.default_rng(0)
    y, score = rng.integers(0, 2, 50), rng.normal(size=50)
    got = metrics("binary", y, score)
    assert got["auroc"] == pytest.approx(roc_auc_score(y, score))
    assert got["auprc"] == pytest.approx(average_precision_score(y, score))
    assert got["accuracy"] == pytest.approx(np.mean((score > 0) == y))
    t, p = rng.normal(size=40), rng.normal(size=40)
    reg = metrics("regression", t, p)
    assert reg["pearson"] == pytest.approx(stats.pearsonr(t, p)[0])
    assert reg["spearman"] == pytest.approx(stats.spearmanr(t, p)[0])


def test_load_split_standardises_regression_targets():
    arrays = {
        "split": np.array(["train", "train", "test"]),
        "tokens": np.zeros((3, 4), np.uint8),
        "labels": np.array([0, 1, 1]),
        "strength": np.array([1.0, 3.0, 5.0], np.float32),
    }
    split = load_split(arrays, "test", "regression", scale=(2.0, 1.0))
    assert split.targets.tolist() == [3.0] and split.index.tolist() == [2]
    arrays["strength"][2] = np.nan
    with pytest.raises(ValueError, match="finite 'strength'"):
        load_split(arrays, "test", "regression")


class MeanLinear(nn.Module):
    """logit = w · mean_l e_l: gradient×input at l is exactly w · e_l / L."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(6, 4)
        self.head = nn.Linear(4, 1)

    def forward(self, tokens):
        return self.head(self.embedding(tokens).mean(dim=1))


def test_gradient_x_input_by_hand():
    with seeded(0):
        model = MeanLinear()
    tokens = torch.randint(0, 4, (3, 5), generator=torch.Generator().manual_seed(0))
    expected = (model.embedding(tokens) @ model.head.weight[0]).detach().numpy() / 5
    np.testing.assert_allclose(gradient_x_input(model, tokens, batch_size=2), expected, rtol=1e-5, atol=1e-7)


def test_reverse_complement_batch_keeps_trailing_padding_in_place():
    rng = np.random.default_rng(3)
    tokens = rng.integers(0, 5, (6, 12))
    lengths = [12, 11, 7, 1, 0, 9]
    for row, n in enumerate(lengths):
        tokens[row, n:] = PAD_TOKEN
    got = reverse_complement_batch(torch.from_numpy(tokens)).numpy()
    for row, n in enumerate(lengths):
        assert got[row, :n].tolist() == reverse_complement_tokens(tokens[row, :n]).tolist()
        assert (got[row, n:] == PAD_TOKEN).all()
    assert (reverse_complement_batch(torch.from_numpy(got)).numpy() == tokens).all()


def test_reverse_complement_augmentation_flips_about_half_reproducibly():
    tokens = torch.from_numpy(np.random.default_rng(4).integers(0, 4, (400, 10)))
    first = augment_reverse_complement(tokens, torch.Generator().manual_seed(1))
    again = augment_reverse_complement(tokens, torch.Generator().manual_seed(1))
    assert torch.equal(first, again)
    flipped = (first != tokens).any(dim=1)
    assert torch.equal(first[flipped], reverse_complement_batch(tokens[flipped]))
    assert 150 < int(flipped.sum()) < 250


def test_augmented_training_learns_a_strand_free_task_and_refuses_a_teacher():
    set_determinism(1)
    train, val = _separable(seed=1), _separable(seed=2)  # all-G vs all-A: RC maps G to C, A to T
    model = build_model(ModelConfig(max_len=20), seed=0)
    cfg = TrainConfig(max_epochs=15, patience=15, learning_rate=0.01, augment_rc=True)
    history, best = fit(model, train, val, cfg, seed=0)
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    model.load_state_dict(best)
    assert metrics("binary", val.targets.numpy(), predict(model, val.tokens))["accuracy"] > 0.95
    train.teacher = torch.zeros(len(train.tokens), 16)
    with pytest.raises(ValueError, match="augment_rc needs a task objective"):
        fit(model, train, val, cfg, seed=0)


def test_set_determinism_requires_deterministic_kernels_on_cuda_and_keeps_float32(monkeypatch):
    import os

    from gsattn.train import device_info, prepare_device

    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    try:
        set_determinism(1, torch.device("cuda"))  # flags only: no CUDA work is done
        assert torch.are_deterministic_algorithms_enabled()
        assert not torch.is_deterministic_algorithms_warn_only_enabled()  # an op without one raises
        assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
        set_determinism(1, "cuda")
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"  # a user's setting is kept
    finally:
        set_determinism(1)  # the CPU default: deterministic, a missing kernel warns
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    set_determinism(1, "cuda")
    assert prepare_device("cpu", 1) == torch.device("cpu")  # resolves, then applies the CPU's settings
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert device_info(torch.device("cpu")) == {"device": "cpu", "gpu": None, "cuda": None}
