"""Rule profile_compute: the compute baseline of one Phase 1 model at the trained length.

FLOPs per sequence (closed form next to ``FlopCounterMode``, which misses fused
attention and element-wise ops: the ``flops.tsv`` notes say which), parameters,
peak memory of one inference batch and throughput (warm-up, then the median of
repeats). The weights do not change any of it, so an untrained model is used.
Both tables start with the model's ``dataset`` and ``model`` (from the rule).
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from gsattn.compute import profile_model
from gsattn.datasets import load_encoded
from gsattn.flops import flop_comparison
from gsattn.io import write_tables
from gsattn.logs import rule_logging
from gsattn.models import ModelConfig, build_model
from gsattn.train import prepare_device


def run(
    encoded: str, spec: dict, profile: dict, device: str, threads: int, out: dict, ids: dict | None = None
) -> None:
    """Profile one model (hyper-parameters ``spec``) at the data set's length; write compute
    and FLOP tables, each row led by ``ids``."""
    ids = ids or {}
    dev = prepare_device(device, threads)
    length = load_encoded(encoded)["tokens"].shape[1]
    config = ModelConfig(**spec, max_len=length)
    model = build_model(config, seed=0)
    rows = profile_model(
        model, config, length, profile["batch_size"], dev, profile["warmup"], profile["repeats"]
    )
    rows.append({"metric": "length", "value": length, "unit": "bp", "method": "encoded.npz"})
    flops = flop_comparison(config, model.cpu(), length)
    write_tables({out["compute"]: [ids | r for r in rows], out["flops"]: [ids | r for r in flops]})


def main(smk) -> None:
    out = {"compute": smk.output.compute, "flops": smk.output.flops}
    with rule_logging(smk.log[0], "profile_compute"):
        p = smk.params
        run(smk.input.encoded, p.spec, p.profile, p.device, smk.threads, out, dict(p.ids))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
