import numpy as np
import pytest
import torch

from gsattn.floors import fit_floor, gc_features, kmer_features, kmer_names
from gsattn.pipeline import (
    CNNBaseline,
    JointPipelineModel,
    PipelineConfig,
    build_pipeline_model,
    load_pipeline,
    pipeline_flops,
    pipeline_optimizer,
    save_pipeline,
)
from gsattn.seq import PAD_TOKEN, encode
from gsattn.train import Split, TrainConfig, fit


def test_joint_pipeline_is_the_design():
    model = JointPipelineModel(length=50)
    assert tuple(model.embedding.weight.shape) == (6, 16)
    assert tuple(model.compressor.weight.shape) == (8, 16)
    assert tuple(model.hidden.weight.shape) == (32, 8 * 50)
    assert tuple(model.output.weight.shape) == (1, 32)
    assert model(torch.zeros(3, 50, dtype=torch.long)).shape == (3, 1)
    with pytest.raises(ValueError, match="length 50"):
        model(torch.zeros(1, 40, dtype=torch.long))


def test_optimizer_has_two_groups_with_differential_rates():
    model = build_pipeline_model(PipelineConfig(length=20), seed=0)
    optimizer = pipeline_optimizer(model, 0.01, 0.002)
    groups = {g["name"]: g for g in optimizer.param_groups}
    assert groups["embedding"]["lr"] == 0.01 and groups["rest"]["lr"] == 0.002
    assert groups["embedding"]["params"] == [model.embedding.weight]
    n_rest = sum(p.numel() for p in groups["rest"]["params"])
    assert n_rest == sum(p.numel() for p in model.parameters()) - model.embedding.weight.numel()


def test_cnn_ignores_padding():
    model = build_pipeline_model(PipelineConfig(kind="cnn", cnn_kernel=3, cnn_channels=4), seed=0).eval()
    tokens = torch.randint(0, 4, (1, 30))
    padded = tokens.clone()
    padded[0, 20:] = PAD_TOKEN
    longer = torch.cat([tokens[:, :20], torch.full((1, 40), PAD_TOKEN)], dim=1)
    torch.testing.assert_close(model(padded), model(longer))
    assert isinstance(model, CNNBaseline)


def test_flops_by_hand():
    assert pipeline_flops(PipelineConfig(length=10)) == (2 * 16 * 8 + 8) * 10 + (2 * 80 * 32 + 32) + 32 + 65
    cnn = PipelineConfig(kind="cnn", length=10, cnn_channels=2, cnn_kernel=3)
    assert pipeline_flops(cnn) == (2 * 16 * 2 * 3 + 4) * 10 + 2 * 9 + 5


def test_joint_pipeline_learns_a_fixed_position_signal_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, (256, 20))
    labels = rng.integers(0, 2, 256)
    tokens[:, 7] = np.where(labels == 1, 2, 0)  # class is written at position 7
    split = Split(torch.from_numpy(tokens), torch.from_numpy(labels.astype(np.float32)), np.arange(256))
    config = PipelineConfig(length=20)
    model = build_pipeline_model(config, seed=0)
    cfg = TrainConfig(max_epochs=15, patience=15, batch_size=32)
    history, best = fit(model, split, split, cfg, seed=0, optimizer=pipeline_optimizer(model, 0.01, 0.002))
    assert history[-1]["val_accuracy"] > 0.95
    model.load_state_dict(best)
    save_pipeline(model, config, tmp_path / "m.pt", tmp_path / "h.json", {"seed": 0})
    loaded, info = load_pipeline(tmp_path / "m.pt", tmp_path / "h.json")
    torch.testing.assert_close(loaded(split.tokens), model.eval()(split.tokens))
    assert info["pipeline"]["kind"] == "joint_pipeline"


def test_floor_features_by_hand():
    tokens = np.stack([encode("GGCCAT"), encode("AAAANN")])
    np.testing.assert_allclose(gc_features(tokens, np.array([6, 6]))[:, 0], [4 / 6, 0.0])
    kmers = kmer_features(tokens, 2)
    names = kmer_names(2)
    assert kmers[0, names.index("GG")] == pytest.approx(1 / 5)
    assert kmers[1, names.index("AA")] == pytest.approx(1.0)  # windows with N skipped


def test_gc_floor_separates_gc_classes():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 400)
    p = np.where(labels[:, None] == 1, [0.2, 0.3, 0.3, 0.2], [0.3, 0.2, 0.2, 0.3])
    tokens = np.array([rng.choice(4, 60, p=row) for row in p])
    split = np.where(np.arange(400) < 300, "train", "test")
    result = fit_floor(gc_features(tokens, np.full(400, 60)), labels, split)
    assert result["accuracy"] > 0.75 and result["logits"].shape == (100,)
