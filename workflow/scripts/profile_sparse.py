"""Rule profile_sparse: the compute cost of the sparse approximator at one rho.

Closed-form FLOPs per sequence (selector, top-k comparisons reported apart, MLP
on the k kept positions) next to ``FlopCounterMode`` (which counts the two
convolutions and the linear layers only; ``flops.tsv`` lines them up),
parameters (trainable and the frozen classifier), peak memory and throughput at
the trained length. ``flops_analytical_attention_block`` is the part that replaces
the teacher's attention block (everything but the frozen classifier), for the
"attention block only" compute reduction. Weights do not change the cost, so an
untrained model is used. Both tables start with the identifiers of the students
profiled (``dataset``, ``teacher``, ``rho``), given by the rule.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from gsattn.compute import profile_sparse
from gsattn.datasets import load_encoded
from gsattn.flops import sparse_flop_comparison
from gsattn.io import write_tables
from gsattn.logs import rule_logging
from gsattn.seeding import seeded
from gsattn.sparse import SparseApproximator, SparseConfig
from gsattn.train import prepare_device


def run(
    encoded: str,
    model_spec: dict,
    ids: dict,
    profile: dict,
    device: str,
    threads: int,
    out: dict,
    teacher: dict | None = None,
) -> None:
    """Profile one rho (``ids["rho"]``) at the data set's length; write compute and FLOP tables.

    ``teacher`` holds the :class:`SparseConfig` fields a joint-pipeline teacher
    implies (empty for the attention teacher; :func:`gsattn.teachers.profile_fields`)."""
    rho = float(ids["rho"])
    dev = prepare_device(device, threads)
    length = load_encoded(encoded)["tokens"].shape[1]
    config = SparseConfig(rho=rho, max_len=length, **model_spec, **(teacher or {}))
    with seeded(0):
        model = SparseApproximator(config)
    rows = profile_sparse(
        model, config, length, profile["batch_size"], dev, profile["warmup"], profile["repeats"]
    )
    rows.append({"metric": "length", "value": length, "unit": "bp", "method": "encoded.npz"})
    flops = sparse_flop_comparison(config, model.cpu(), length)
    write_tables({out["compute"]: [ids | r for r in rows], out["flops"]: [ids | r for r in flops]})


def main(smk) -> None:
    p = smk.params
    out = {"compute": smk.output.compute, "flops": smk.output.flops}
    with rule_logging(smk.log[0], "profile_sparse"):
        run(
            smk.input.encoded,
            p.model,
            dict(p.ids),
            p.profile,
            p.device,
            smk.threads,
            out,
            p.teacher,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
