"""The models on CUDA (skipped where torch sees no GPU; run on a GPU machine).

A model trained on the GPU must be saved device-free, give the CPU's outputs once loaded
there, and train reproducibly; the sparse student must select the same positions on both
devices; the peak-memory probe reads the CUDA allocator.
"""

import numpy as np
import pytest
import torch

from gsattn.interpret import gradient_x_input
from gsattn.measure import peak_memory_bytes
from gsattn.models import ModelConfig, build_model, load_model, save_model
from gsattn.sparse import SparseConfig, from_teacher
from gsattn.train import Split, TrainConfig, fit, predict, resolve_device, set_determinism

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device")
CUDA = torch.device("cuda")


@pytest.fixture(autouse=True)
def cpu_determinism_after():
    """Leave the process as the other tests expect it: the CPU's settings (a missing
    deterministic kernel warns)."""
    yield
    set_determinism(1)


def _split(n=96, length=40, seed=0) -> Split:
    """Class 1 holds a GGGG run at a random place, class 0 none."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 4, (n, length))
    labels = rng.integers(0, 2, n)
    for row in np.flatnonzero(labels):
        start = rng.integers(0, length - 4)
        tokens[row, start : start + 4] = 2
    return Split(torch.from_numpy(tokens), torch.from_numpy(labels.astype(np.float32)), np.arange(n))


def _train(seed: int, device: torch.device):
    set_determinism(1, device)  # as the training rules do: deterministic kernels required on CUDA
    model = build_model(ModelConfig(max_len=40), seed=seed)
    cfg = TrainConfig(max_epochs=3, patience=3, batch_size=16)
    history, best = fit(model, _split(seed=1), _split(seed=2), cfg, seed, device=device)
    model.load_state_dict(best)
    return model, history


def test_auto_resolves_to_cuda_where_torch_sees_it():
    assert resolve_device("auto").type == "cuda"


def test_a_gpu_trained_model_is_saved_device_free_and_predicts_the_same_on_the_cpu(tmp_path):
    model, history = _train(0, CUDA)
    assert next(model.parameters()).device.type == "cuda"
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    tokens = _split(seed=3).tokens
    on_gpu = predict(model, tokens)
    save_model(model.cpu(), str(tmp_path / "m.pt"), str(tmp_path / "h.json"), {"device": "cuda"})
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    assert {t.device.type for t in state.values()} == {"cpu"}
    loaded, _ = load_model(str(tmp_path / "m.pt"), str(tmp_path / "h.json"), device="cpu")
    np.testing.assert_allclose(predict(loaded, tokens), on_gpu, rtol=1e-4, atol=1e-4)


def test_training_on_cuda_is_reproducible_to_float_precision():
    first, _ = _train(5, CUDA)
    second, _ = _train(5, CUDA)
    pairs = zip(first.state_dict().values(), second.state_dict().values(), strict=True)
    diffs = [(a - b).abs().max().item() for a, b in pairs]
    print("largest weight difference between two CUDA trainings:", max(diffs))
    assert max(diffs) < 1e-5


def test_the_sparse_student_selects_the_same_positions_on_gpu_and_cpu():
    teacher = build_model(ModelConfig(max_len=40), seed=0)
    student = from_teacher(teacher, SparseConfig(rho=0.1, max_len=40), seed=0).eval()
    tokens = _split(seed=4).tokens
    with torch.no_grad():
        cpu = student.approximate(tokens)
        gpu = {k: v.cpu() for k, v in student.to(CUDA).approximate(tokens.to(CUDA)).items()}
    assert torch.equal(gpu["index"], cpu["index"])
    np.testing.assert_allclose(gpu["pooled"].numpy(), cpu["pooled"].numpy(), rtol=1e-4, atol=1e-5)


def test_saliency_is_the_same_on_both_devices():
    model = build_model(ModelConfig(max_len=40), seed=2)
    tokens = _split(seed=5).tokens[:16]
    cpu = gradient_x_input(model, tokens)
    gpu = gradient_x_input(model.to(CUDA), tokens)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-3, atol=1e-5)


def test_peak_memory_reads_the_cuda_allocator():
    model = build_model(ModelConfig(max_len=40), seed=0).to(CUDA)
    small = peak_memory_bytes(model, _split(n=8, seed=6).tokens.to(CUDA))
    large = peak_memory_bytes(model, _split(n=512, seed=6).tokens.to(CUDA))
    assert 0 < small < large
