"""Every results path of the workflow, built in one place.

Each function returns the path of one folder or file of one stage. Called with
no identifiers it returns the Snakemake pattern (``{dataset}``, ``{model}``,
``{teacher}``, ``{rho}``, ``{seed}``, ``{size}`` wildcards left in); called with
values it returns the concrete path, the same string the pattern formats to::

    phase2_model("model.pt")
    # 'results/phase2/{dataset}/{teacher}/rho{rho}/seed{seed}/model.pt'
    phase2_model("model.pt", dataset="synthetic", teacher="attention", rho=0.1, seed=1)
    # 'results/phase2/synthetic/attention/rho0.1/seed1/model.pt'

The tree::

    results/
      data/<dataset>/                          sequences, labels, sites, encoded.npz, oracle
      data/<dataset>/draw<seed>/               the same, seed <seed>'s own draw (data_seeds: true)
      real/<name>/                             a published set prepared for a type: fasta data set
      phase1/<dataset>/<model>/seed<seed>/     one attention model
      phase1/<dataset>/<model>/                its compute profile (no seed)
      phase1/<dataset>/summary/
      phase2/<dataset>/<teacher>/rho<rho>/seed<seed>/   one sparse student
      phase2/<dataset>/<teacher>/rho<rho>/     its compute profile (no seed)
      phase2/<dataset>/<teacher>/summary/
      phase2/<dataset>/<teacher>/frontier/<selector>/...   the same for a selector of the frontier grid
      phase2/<dataset>/<teacher>/frontier/     the selector-cost frontier (target frontier)
      phase2/scaling/                          long-sequence benchmark (no data set)
      phase3/<dataset>/<model>/seed<seed>/     joint pipeline or CNN
      phase3/<dataset>/floors.tsv
      phase3/<dataset>/draw<seed>/floors.tsv   the floors of seed <seed>'s draw (data_seeds: true)
      phase3/<dataset>/comparison/
      phase3/<dataset>/interpretation/<model>/seed<seed>/
      phase3/verdicts.tsv, phase3/tests_adjusted.tsv
      phase4/literature.tsv                    published sets: this workflow beside the published numbers
      learning_curve/<dataset>/n<size>/{data,seed<seed>}/
      genome/chromosomes/<chrom>.fa(.fai)      decompressed chromosomes (config/genome.yaml)
      genome/<set>/                            windows of one genome set: sequences.fa, labels.tsv, ...
      long/L<length>/data/                     the long-sequence task at one length
      long/L<length>/<model>/                  its budget decision (no seed)
      long/L<length>/<model>/seed<seed>/       one long-sequence model
      long/summary/
      logs/<rule>/<key>.log, benchmarks/<rule>/<key>.tsv

Paths are only built, never parsed: the scripts receive the identifiers of what
they make as rule parameters and write them as table columns. Standard library
only (imported by the rule files when the workflow is parsed).
"""

from __future__ import annotations

from gsattn.teachers import TEACHERS

RESULTS = "results"
SUMMARY = "summary"
SCALING = "scaling"
FRONTIER = "frontier"


def _join(*parts) -> str:
    return "/".join(str(p) for p in parts if p != "")


def rho_text(rho) -> str:
    """The text of a sparsity ratio in paths (``0.1`` → ``"0.1"``; a wildcard stays as it is)."""
    return str(rho)


# ---- keys: the identifying part of a path, shared by results, logs and benchmarks


def phase1_key(dataset="{dataset}", model="{model}", seed="{seed}") -> str:
    """``<dataset>/<model>/seed<seed>``: one Phase 1 model."""
    return f"{dataset}/{model}/seed{seed}"


def _student_group(dataset, teacher, selector) -> str:
    """``<dataset>/<teacher>`` (the Phase 2 students) or, for a selector of the frontier grid,
    ``<dataset>/<teacher>/frontier/<selector>``."""
    group = f"{dataset}/{teacher}"
    return group if selector is None else f"{group}/{FRONTIER}/{selector}"


def phase2_key(dataset="{dataset}", teacher="{teacher}", rho="{rho}", seed="{seed}", selector=None) -> str:
    """``<dataset>/<teacher>[/frontier/<selector>]/rho<rho>/seed<seed>``: one Phase 2 student."""
    return f"{_student_group(dataset, teacher, selector)}/rho{rho_text(rho)}/seed{seed}"


def phase2_rho_key(dataset="{dataset}", teacher="{teacher}", rho="{rho}", selector=None) -> str:
    """``<dataset>/<teacher>[/frontier/<selector>]/rho<rho>``: the students of one rho (their
    compute profile)."""
    return f"{_student_group(dataset, teacher, selector)}/rho{rho_text(rho)}"


def phase3_key(dataset="{dataset}", model="{model}", seed="{seed}") -> str:
    """``<dataset>/<model>/seed<seed>``: one Phase 3 model."""
    return f"{dataset}/{model}/seed{seed}"


def curve_key(dataset="{dataset}", size="{size}") -> str:
    """``<dataset>/n<size>``: one learning-curve size."""
    return f"{dataset}/n{size}"


def curve_seed_key(dataset="{dataset}", size="{size}", seed="{seed}") -> str:
    """``<dataset>/n<size>/seed<seed>``: one learning-curve model."""
    return f"{curve_key(dataset, size)}/seed{seed}"


def draw_key(dataset="{dataset}", seed="{seed}") -> str:
    """``<dataset>/draw<seed>``: model seed ``seed``'s own draw of a data set (``data_seeds``)."""
    return f"{dataset}/draw{seed}"


def log(rule: str, key: str) -> str:
    """``results/logs/<rule>/<key>.log``."""
    return f"{RESULTS}/logs/{rule}/{key}.log"


def benchmark(rule: str, key: str) -> str:
    """``results/benchmarks/<rule>/<key>.tsv``."""
    return f"{RESULTS}/benchmarks/{rule}/{key}.tsv"


# ---- data


def data(file: str = "", dataset="{dataset}") -> str:
    """``results/data/<dataset>/<file>``."""
    return _join(RESULTS, "data", dataset, file)


def real(file: str = "", real="{real}") -> str:
    """``results/real/<real>/<file>``: published set ``real`` prepared by rule ``prepare_real``."""
    return _join(RESULTS, "real", real, file)


def data_draw(file: str = "", dataset="{dataset}", seed="{seed}") -> str:
    """``results/data/<dataset>/draw<seed>/<file>``: seed ``seed``'s own draw (``data_seeds: true``)."""
    return _join(RESULTS, "data", draw_key(dataset, seed), file)


# ---- Phase 1


def phase1_model(file: str = "", dataset="{dataset}", model="{model}", seed="{seed}") -> str:
    """``results/phase1/<dataset>/<model>/seed<seed>/<file>``."""
    return _join(RESULTS, "phase1", phase1_key(dataset, model, seed), file)


def phase1_profile(file: str = "", dataset="{dataset}", model="{model}") -> str:
    """``results/phase1/<dataset>/<model>/<file>``: compute profile of a Phase 1 model."""
    return _join(RESULTS, "phase1", dataset, model, file)


def phase1_summary(file: str = "", dataset="{dataset}") -> str:
    """``results/phase1/<dataset>/summary/<file>``."""
    return _join(RESULTS, "phase1", dataset, SUMMARY, file)


# ---- Phase 2


def phase2_model(
    file: str = "", dataset="{dataset}", teacher="{teacher}", rho="{rho}", seed="{seed}", selector=None
) -> str:
    """``results/phase2/<dataset>/<teacher>/rho<rho>/seed<seed>/<file>``; with a ``selector``
    of the frontier grid, ``.../<teacher>/frontier/<selector>/rho<rho>/seed<seed>/<file>``."""
    return _join(RESULTS, "phase2", phase2_key(dataset, teacher, rho, seed, selector), file)


def phase2_profile(
    file: str = "", dataset="{dataset}", teacher="{teacher}", rho="{rho}", selector=None
) -> str:
    """``results/phase2/<dataset>/<teacher>[/frontier/<selector>]/rho<rho>/<file>``: compute
    profile of one rho."""
    return _join(RESULTS, "phase2", phase2_rho_key(dataset, teacher, rho, selector), file)


def phase2_summary(file: str = "", dataset="{dataset}", teacher="{teacher}", selector=None) -> str:
    """``results/phase2/<dataset>/<teacher>[/frontier/<selector>]/summary/<file>``."""
    return _join(RESULTS, "phase2", _student_group(dataset, teacher, selector), SUMMARY, file)


def frontier(file: str = "", dataset="{dataset}", teacher="{teacher}") -> str:
    """``results/phase2/<dataset>/<teacher>/frontier/<file>``: the selector-cost frontier."""
    return _join(RESULTS, "phase2", dataset, teacher, FRONTIER, file)


def scaling(file: str = "") -> str:
    """``results/phase2/scaling/<file>``: the long-sequence benchmark."""
    return _join(RESULTS, "phase2", SCALING, file)


# ---- Phase 3


def phase3_model(file: str = "", dataset="{dataset}", model="{model}", seed="{seed}") -> str:
    """``results/phase3/<dataset>/<model>/seed<seed>/<file>``."""
    return _join(RESULTS, "phase3", phase3_key(dataset, model, seed), file)


def phase3_dataset(file: str = "", dataset="{dataset}") -> str:
    """``results/phase3/<dataset>/<file>`` (the floors)."""
    return _join(RESULTS, "phase3", dataset, file)


def phase3_draw(file: str = "", dataset="{dataset}", seed="{seed}") -> str:
    """``results/phase3/<dataset>/draw<seed>/<file>`` (the floors of seed ``seed``'s draw, ``data_seeds``)."""
    return _join(RESULTS, "phase3", draw_key(dataset, seed), file)


def comparison(file: str = "", dataset="{dataset}") -> str:
    """``results/phase3/<dataset>/comparison/<file>``."""
    return _join(RESULTS, "phase3", dataset, "comparison", file)


def interpretation(file: str = "", dataset="{dataset}", model="{model}", seed="{seed}") -> str:
    """``results/phase3/<dataset>/interpretation/<model>/seed<seed>/<file>``."""
    return _join(RESULTS, "phase3", dataset, "interpretation", model, f"seed{seed}", file)


def phase3_all(file: str = "") -> str:
    """``results/phase3/<file>``: across data sets (verdicts, adjusted tests)."""
    return _join(RESULTS, "phase3", file)


# ---- Phase 4


def phase4(file: str = "") -> str:
    """``results/phase4/<file>``: across the published sets (the literature table)."""
    return _join(RESULTS, "phase4", file)


# ---- learning curve


def curve(file: str = "", dataset="{dataset}") -> str:
    """``results/learning_curve/<dataset>/<file>``: the summary of one data set."""
    return _join(RESULTS, "learning_curve", dataset, file)


def curve_data(file: str = "", dataset="{dataset}", size="{size}") -> str:
    """``results/learning_curve/<dataset>/n<size>/data/<file>``: one re-drawn copy."""
    return _join(RESULTS, "learning_curve", curve_key(dataset, size), "data", file)


def curve_model(file: str = "", dataset="{dataset}", size="{size}", seed="{seed}") -> str:
    """``results/learning_curve/<dataset>/n<size>/seed<seed>/<file>``."""
    return _join(RESULTS, "learning_curve", curve_seed_key(dataset, size, seed), file)


# ---- learning at length (long_sequences)


def long_key(length="{length}", model="{model}", seed="{seed}") -> str:
    """``L<length>/<model>/seed<seed>``: one long-sequence model."""
    return f"L{length}/{model}/seed{seed}"


def long_data(file: str = "", length="{length}") -> str:
    """``results/long/L<length>/data/<file>``: the long-sequence task at one length."""
    return _join(RESULTS, "long", f"L{length}", "data", file)


def long_budget(file: str = "", length="{length}", model="{model}") -> str:
    """``results/long/L<length>/<model>/<file>``: the budget decision of one model at one length."""
    return _join(RESULTS, "long", f"L{length}", model, file)


def long_model(file: str = "", length="{length}", model="{model}", seed="{seed}") -> str:
    """``results/long/L<length>/<model>/seed<seed>/<file>``."""
    return _join(RESULTS, "long", long_key(length, model, seed), file)


def long_summary(file: str = "") -> str:
    """``results/long/summary/<file>``: across lengths, models and seeds."""
    return _join(RESULTS, "long", SUMMARY, file)


# ---- teachers


def teacher_model(file: str, dataset: str, teacher: str, seed, reference: str) -> str:
    """``file`` in the folder of the Phase 2 teacher ``teacher`` of seed ``seed``.

    ``attention``: the Phase 1 ``reference`` model; ``joint_pipeline``: Phase 3's.
    """
    if teacher == "attention":
        return phase1_model(file, dataset, reference, seed)
    if teacher == "joint_pipeline":
        return phase3_model(file, dataset, "joint_pipeline", seed)
    raise ValueError(f"unknown Phase 2 teacher {teacher!r} (one of {', '.join(TEACHERS)})")


def teacher_compute(dataset: str, teacher: str, first_seed, reference: str) -> str:
    """The compute table of teacher ``teacher`` (the joint pipeline's: of its first seed)."""
    if teacher == "attention":
        return phase1_profile("compute.tsv", dataset, reference)
    return teacher_model("compute.tsv", dataset, teacher, first_seed, reference)


# ---- genome windows (config/genome.yaml, workflow/rules/genome.smk)

GENOME_RESOURCES = "resources/genome"


def genome_resource(file="{file}") -> str:
    """``resources/genome/<file>``: a downloaded chromosome, md5 list or anchor file."""
    return _join(GENOME_RESOURCES, file)


def genome_chromosome(suffix: str = ".fa", chrom="{chrom}") -> str:
    """``results/genome/chromosomes/<chrom><suffix>``: a decompressed chromosome (``.fa``, ``.fa.fai``)."""
    return _join(RESULTS, "genome", "chromosomes", f"{chrom}{suffix}")


def genome_set(file: str = "", genome_set="{genome_set}") -> str:
    """``results/genome/<set>/<file>``: the labelled windows of one genome set."""
    return _join(RESULTS, "genome", genome_set, file)
