"""Seeded initialisation: one seed, one set of weights, and the global random state untouched."""

import torch

from gsattn.models import ModelConfig, build_model
from gsattn.pipeline import PipelineConfig, build_pipeline_model
from gsattn.seeding import seeded
from gsattn.sparse import SparseConfig, from_teacher


def _weights(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.state_dict().values()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_seeded_draws_the_stream_of_a_generator_with_that_seed():
    with seeded(11):
        inside = torch.randn(5)
    assert torch.equal(inside, torch.randn(5, generator=torch.Generator().manual_seed(11)))


def test_seeded_leaves_the_global_state_as_it_was():
    before = torch.random.get_rng_state()
    with seeded(3):
        torch.randn(100)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_same_seed_same_weights_other_seed_other_weights():
    config = ModelConfig(pooling="cls", max_len=20)
    for build in (
        lambda s: build_model(config, s),
        lambda s: build_pipeline_model(PipelineConfig(length=20), s),
        lambda s: from_teacher(build_model(config, 0), SparseConfig(rho=0.2, max_len=20), s),
    ):
        assert _same(_weights(build(4)), _weights(build(4)))
        assert not _same(_weights(build(4)), _weights(build(5)))


def test_weights_equal_those_after_a_global_seed():
    """The numbers of the runs before the generator was made explicit: ``torch.manual_seed`` + init."""
    config = ModelConfig(stem="conv", stem_kernel=3, stem_channels=8, pooling="cls", max_len=20)
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(7)
        expected = _weights(type(build_model(config, 0))(config))
    finally:
        torch.random.set_rng_state(state)
    assert _same(_weights(build_model(config, 7)), expected)
