"""Does the CPU kernel path change a training run? (a check, not a test)

Usage: ``python benchmarks/kernel_paths.py [--steps N]``. Trains the same model (the
reference-like attention classifier: conv stem, learned positions, CLS pooling; seed 1) for
``--steps`` Adam steps on the same random batches (L = 200, batch 64, one thread) in a fresh
process per setting of the environment variables that choose CPU kernels: PyTorch's
``ATEN_CPU_CAPABILITY`` (which vectorised ATen kernels run), MKL's ``MKL_CBWR``
(conditional numerical reproducibility: a fixed code branch) and oneDNN's
``ONEDNN_MAX_CPU_ISA``. Prints, per setting, the final loss and a hash of the weights,
and whether they equal the unset default bit for bit. Two machines whose default kernel
paths differ (e.g. AVX-512 against AVX2, or MKL's branch on Intel against AMD) train
different models from the same seeds; a setting that changes the weights here names a
source of that difference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETTINGS = (
    {},
    {"ATEN_CPU_CAPABILITY": "default"},
    {"ATEN_CPU_CAPABILITY": "avx2"},
    {"MKL_CBWR": "AVX2"},
    {"MKL_CBWR": "COMPATIBLE"},
    {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
)
CHILD = """
import hashlib, sys
sys.path.insert(0, {scripts!r})
import torch
from gsattn.models import ModelConfig, build_model
torch.set_num_threads(1)
spec = dict(positional="learned", stem="conv", stem_kernel=15, stem_channels=64, pooling="cls")
model = build_model(ModelConfig(**spec, max_len=200), seed=1)
g = torch.Generator().manual_seed(0)
x = torch.randint(0, 4, (64 * 20, 200), generator=g)
y = (x[:, 90:110] == 2).float().mean(1, keepdim=True).gt(0.25).float()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range({steps}):
    i = step % 20
    out = model(x[i * 64 : (i + 1) * 64])
    out = out[0] if isinstance(out, tuple) else out
    loss = torch.nn.functional.binary_cross_entropy_with_logits(out.reshape(-1, 1), y[i * 64 : (i + 1) * 64])
    opt.zero_grad()
    loss.backward()
    opt.step()
digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()
print(torch.backends.cpu.get_cpu_capability(), f"{{loss.item():.10f}}", digest[:16])
"""
KNOBS = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA")


def train(setting: dict, steps: int) -> list[str]:
    """``[capability, loss, weights hash]`` of one training in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k not in KNOBS} | setting
    code = CHILD.format(scripts=str(REPO / "workflow" / "scripts"), steps=steps)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.split()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv[1:])
    rows = [(setting, train(setting, args.steps)) for setting in SETTINGS]
    default = rows[0][1]
    print(f"{'setting':<70} {'ATen':<8} {'loss':<14} {'weights':<17} same as default")
    for setting, (capability, loss, digest) in rows:
        name = " ".join(f"{k}={v}" for k, v in setting.items()) or "(nothing set)"
        same = "yes" if [loss, digest] == default[1:] else "no"
        print(f"{name:<70} {capability:<8} {loss:<14} {digest:<17} {same}")


if __name__ == "__main__":
    main(sys.argv)
