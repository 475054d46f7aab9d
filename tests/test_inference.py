"""Batched inference: batches in order, rows handed to the step, state restored."""

import numpy as np
import pytest
import torch

from gsattn.inference import example_tokens, run_batched
from gsattn.models import ModelConfig, build_model


def _logits_and_rows(model, tokens, rows):
    return {"logits": model(tokens)[:, 0], "rows": torch.tensor(list(rows)), "even": tokens[::2]}


def test_batches_concatenate_in_row_order_whatever_the_batch_size():
    model = build_model(ModelConfig(max_len=12), seed=0).train()
    tokens = example_tokens(10, 12, seed=1)
    whole = run_batched(model, tokens, _logits_and_rows, batch_size=10)
    assert model.training  # the flag comes back
    with torch.no_grad():
        expected = model.eval()(tokens)[:, 0].numpy()
    np.testing.assert_allclose(whole["logits"], expected, rtol=1e-6, atol=1e-7)
    for batch_size in (1, 3, 4):
        parts = run_batched(model, tokens, _logits_and_rows, batch_size=batch_size)
        assert list(parts) == ["logits", "rows", "even"]
        assert parts["rows"].tolist() == list(range(10))
        assert parts["logits"].dtype == np.float32
        np.testing.assert_allclose(parts["logits"], whole["logits"], rtol=1e-5, atol=1e-6)
        assert len(parts["even"]) == sum(
            len(range(0, min(batch_size, 10 - s), 2)) for s in range(0, 10, batch_size)
        )


def test_no_gradients_are_recorded_and_bad_batch_sizes_are_refused():
    model = build_model(ModelConfig(max_len=8), seed=0)

    def step(model, tokens, rows):
        assert not torch.is_grad_enabled() and not model.training
        return {"x": model(tokens)}

    assert run_batched(model, example_tokens(3, 8), step, batch_size=2)["x"].shape == (3, 1)
    with pytest.raises(ValueError, match="batch_size"):
        run_batched(model, example_tokens(3, 8), lambda m, t, r: {"x": m(t)}, batch_size=0)
