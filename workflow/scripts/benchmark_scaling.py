"""Rule benchmark_scaling: time and peak memory of full attention and of the sparse model against L.

At batch 1 on CPU, for each length (doubling from the trained length up to 16384 by
default): ``nn.MultiheadAttention`` with and without ``need_weights``,
``scaled_dot_product_attention``, the whole Phase 1 reference model and the sparse
model at each rho (untrained: the weights do not change the cost). A method whose
estimated memory exceeds the budget is skipped at that length, and its row says so.
Peak memory is given twice: the profiler's allocator figure and the OS figure (the
high-water mark of one pass in a fresh subprocess that rebuilds the same case,
about 2 s per measured row).
Writes the table, the speed-ups of the sparse model over each full-attention method
and a log-log figure (see :mod:`gsattn.scaling`). The whole models' rows also carry
closed-form FLOPs (whole forward pass and attention block only), and the speed-up
table the two compute reductions against the Phase 1 model at every length, which
summarize_phase2 reports above the trained length.
"""

import local_gsattn  # noqa: F401  # isort: skip (first: the checkout's gsattn, not an installed one)

from gsattn.io import atomic_outputs, write_table
from gsattn.logs import rule_logging
from gsattn.scaling import benchmark, scaling_figure, speedups, torch_threads


def run(
    lengths: list[int],
    rhos: list[float],
    out_tsv: str,
    out_ratios: str,
    out_png: str,
    threads: int,
    memory_budget_gb: float,
    repeats: int,
    sparse_model: dict | None = None,
    phase1_model: dict | None = None,
    os_memory: bool = True,
) -> None:
    """Benchmark every method at every length; ``memory_budget_gb`` is in GiB (2**30 bytes).

    ``os_memory=False`` leaves the OS peak (``peak_rss_bytes``) unmeasured (NaN), for tests."""
    with torch_threads(threads):
        rows = benchmark(
            lengths,
            rhos,
            memory_budget_bytes=memory_budget_gb * 2**30,
            repeats=repeats,
            sparse_model=sparse_model,
            phase1_model=phase1_model,
            os_memory=os_memory,
        )
    ratios = speedups(rows)
    title = (
        f"Batch 1, CPU, {max(1, int(threads))} thread(s); missing points: estimated memory "
        f"over {memory_budget_gb:g} GiB"
    )
    with atomic_outputs(out_tsv, out_ratios, out_png) as (tsv_path, ratios_path, png_path):
        with open(tsv_path, "w") as handle:
            write_table(handle, rows)
        with open(ratios_path, "w") as handle:
            write_table(handle, ratios)
        scaling_figure(rows, str(png_path), title)


def main(smk) -> None:
    params = smk.params
    with rule_logging(smk.log[0], "benchmark_scaling"):
        run(
            list(params.lengths),
            list(params.rhos),
            smk.output.table,
            smk.output.ratios,
            smk.output.figure,
            smk.threads,
            params.memory_budget_gb,
            params.repeats,
            dict(getattr(params, "sparse_model", None) or {}),
            dict(getattr(params, "phase1_model", None) or {}),
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
