import pytest
import torch
from torch import nn

from gsattn.models import (
    AttentionClassifier,
    ModelConfig,
    build_model,
    count_parameters,
    load_model,
    multihead_parts,
    save_model,
)
from gsattn.seq import PAD_TOKEN

CONFIGS = {
    "seed": ModelConfig(),
    "attention": ModelConfig(positional="sinusoidal", stem="conv", stem_kernel=5, stem_channels=8),
    "cls": ModelConfig(positional="learned", stem="conv", stem_kernel=3, stem_channels=16, pooling="cls"),
}


def _tokens(n=3, length=30, pad_from=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, 5, (n, length), generator=g)
    tokens[0, pad_from:] = PAD_TOKEN
    return tokens


def test_seed_variant_is_exactly_the_design():
    model = AttentionClassifier(ModelConfig(max_len=50))
    assert isinstance(model.embedding, nn.Embedding) and tuple(model.embedding.weight.shape) == (6, 16)
    assert isinstance(model.attention, nn.MultiheadAttention)
    assert model.attention.embed_dim == 16 and model.attention.num_heads == 4
    assert isinstance(model.classifier, nn.Linear) and tuple(model.classifier.weight.shape) == (1, 16)
    assert model.stem is None and model.cls is None
    assert count_parameters(model) == 96 + (16 * 48 + 48) + (16 * 16 + 16) + 17


@pytest.mark.parametrize("name", list(CONFIGS))
def test_attention_rows_sum_to_one_and_pad_gets_none(name):
    model = build_model(CONFIGS[name], seed=1).eval()
    tokens = _tokens()
    with torch.no_grad():
        parts = model.attend(tokens)
    weights = parts["weights"]
    torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1]))
    offset = 1 if name == "cls" else 0
    assert weights[0, :, :, offset + 20 :].abs().max() == 0  # PAD keys receive nothing
    assert parts["received"][0, :, 20:].abs().max() == 0
    if name != "cls":
        torch.testing.assert_close(parts["received"].sum(-1), torch.ones(3, 4))


@pytest.mark.parametrize("name", list(CONFIGS))
def test_attend_matches_the_module_forward(name):
    model = build_model(CONFIGS[name], seed=2).eval()
    tokens = _tokens()
    with torch.no_grad():
        parts = model.attend(tokens)
        logits, weights = model(tokens, return_attention=True)
    torch.testing.assert_close(parts["logits"], logits, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(parts["weights"], weights, atol=1e-6, rtol=1e-5)
    n, h, length, dh = parts["head_outputs"].shape
    assert (n, h, length, dh) == (3, 4, 30, 4) and parts["outputs"].shape == (3, 30, 16)
    recombined = model.attention.out_proj(parts["head_outputs"].transpose(1, 2).reshape(n, length, h * dh))
    torch.testing.assert_close(recombined, parts["outputs"])


def test_multihead_parts_matches_torch_with_a_mask():
    mha = nn.MultiheadAttention(16, 4, batch_first=True).eval()
    x = torch.randn(2, 7, 16)
    pad = torch.zeros(2, 7, dtype=torch.bool)
    pad[1, 5:] = True
    heads, weights = multihead_parts(mha, x, pad)
    ref_out, ref_w = mha(x, x, x, key_padding_mask=pad, average_attn_weights=False)
    torch.testing.assert_close(weights, ref_w, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(
        mha.out_proj(heads.transpose(1, 2).reshape(2, 7, 16)), ref_out, atol=1e-6, rtol=1e-5
    )


def test_seeded_forward_is_reproducible_and_seeds_differ():
    tokens = _tokens()
    config = CONFIGS["attention"]
    outs = [build_model(config, seed=s).eval()(tokens) for s in (7, 7, 8)]
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)
    assert not torch.equal(outs[0], outs[2])


def test_bad_configs_raise():
    with pytest.raises(ValueError, match="odd"):
        AttentionClassifier(ModelConfig(stem="conv", stem_kernel=4))
    with pytest.raises(ValueError, match="positional"):
        AttentionClassifier(ModelConfig(positional="rotary"))
    model = AttentionClassifier(ModelConfig(positional="sinusoidal", max_len=10))
    with pytest.raises(ValueError, match="max_len"):
        model(torch.zeros(1, 11, dtype=torch.long))


def test_save_and_load_round_trip(tmp_path):
    model = build_model(CONFIGS["cls"], seed=3).eval()
    save_model(model, tmp_path / "m.pt", tmp_path / "h.json", {"seed": 3})
    loaded, hparams = load_model(tmp_path / "m.pt", tmp_path / "h.json")
    assert hparams["seed"] == 3 and hparams["model"]["pooling"] == "cls"
    tokens = _tokens()
    torch.testing.assert_close(loaded(tokens), model(tokens))
