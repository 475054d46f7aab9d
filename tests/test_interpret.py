import numpy as np
import torch
from torch import nn

from gsattn.interpret import in_silico_mutagenesis
from gsattn.models import ModelConfig, build_model
from gsattn.pipeline import PipelineConfig, build_pipeline_model
from gsattn.seq import PAD_TOKEN


class PositionWeights(nn.Module):
    """logit = sum_l w[l, x_l] (PAD contributes 0): ISM is known in closed form."""

    def __init__(self, length=6):
        super().__init__()
        self.w = nn.Parameter(torch.randn(length, 6, generator=torch.Generator().manual_seed(0)))
        with torch.no_grad():
            self.w[:, PAD_TOKEN] = 0.0

    def forward(self, tokens):
        return self.w.gather(1, tokens.T).T.sum(dim=1, keepdim=True)


def test_ism_equals_closed_form_and_is_zero_at_pad():
    model = PositionWeights()
    tokens = torch.tensor([[0, 1, 2, 3, 4, 5], [3, 3, 0, 5, 5, 5]])
    w = model.w.detach().numpy()
    expected = np.zeros((2, 6), np.float32)
    for i, row in enumerate(tokens.numpy()):
        for pos, tok in enumerate(row):
            if tok != PAD_TOKEN:
                expected[i, pos] = np.abs(w[pos, :4] - w[pos, tok]).max()
    got = in_silico_mutagenesis(model, tokens, batch_size=5)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert (got[1, 3:] == 0).all()


def brute_force_ism(model, tokens):
    out = np.zeros(tokens.shape, np.float32)
    with torch.no_grad():
        for i in range(tokens.shape[0]):
            ref = model(tokens[i : i + 1])[0, 0]
            for pos in range(tokens.shape[1]):
                if tokens[i, pos] == PAD_TOKEN:
                    continue
                for base in range(4):
                    mutant = tokens[i : i + 1].clone()
                    mutant[0, pos] = base
                    out[i, pos] = max(out[i, pos], float((model(mutant)[0, 0] - ref).abs()))
    return out


def test_ism_matches_brute_force_for_attention_and_pipeline_models():
    tokens = torch.randint(0, 4, (2, 12))
    tokens[1, 9:] = PAD_TOKEN
    attention = build_model(
        ModelConfig(positional="learned", stem="conv", stem_kernel=3, pooling="cls"), seed=0
    )
    pipeline = build_pipeline_model(PipelineConfig(length=12), seed=0)
    for model in (attention.eval(), pipeline.eval()):
        np.testing.assert_allclose(
            in_silico_mutagenesis(model, tokens, batch_size=7),
            brute_force_ism(model, tokens),
            rtol=1e-4,
            atol=1e-5,
        )
