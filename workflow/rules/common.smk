# Config validation, wildcard constraints and the input/param helpers of every rule.
import re
import sys
from pathlib import Path

from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

# The scripts beside this rule file (workflow/scripts), wherever the workflow is
# deployed: workflow.basedir is the *user's* Snakefile folder when this workflow
# is used as a module. A local checkout is needed (the package is imported here).
SCRIPTS = (
    Path(workflow.current_basedir.get_path_or_uri(secret_free=True)).parent / "scripts"
)
sys.path.insert(0, str(SCRIPTS))
from gsattn import layout as L  # noqa: E402
from gsattn.config import check_config  # noqa: E402
from gsattn.io import read_table  # noqa: E402
from gsattn.teachers import TEACHERS, profile_fields  # noqa: E402
from local_gsattn import package_modules  # noqa: E402

check_config(config)

DATASETS = config["datasets"]


def _names_regex(kind):
    names = [n for n, spec in DATASETS.items() if spec["type"] == kind]
    return "|".join(names) if names else "(?!)"


SYNTHETIC_RE = _names_regex("synthetic")
FASTA_RE = _names_regex("fasta")


wildcard_constraints:
    dataset="|".join(DATASETS),


def script_code(script):
    """The package files rule script ``script`` imports, directly or not, as inputs.

    Snakemake does not track imports; an AST walk of the script and of every
    ``gsattn`` module it reaches (``local_gsattn.package_modules``) lists them.
    """
    return [str(p) for p in package_modules(SCRIPTS / f"{script}.py")]


# Keys of a data set's entry that say how it is studied (seeds, models, reused models),
# not what its data are: left out of the data rules' params, so they never re-make data.
STUDY_KEYS = ("seeds", "phase1_models", "models_from", "tss_index", "tss_groups")


def get_dataset_spec(wildcards):
    """The config entry (defaults filled in) of data set ``wildcards.dataset``, without
    its study keys (``STUDY_KEYS``)."""
    spec = DATASETS[wildcards.dataset]
    return {k: v for k, v in spec.items() if k not in STUDY_KEYS}


def get_planted_motifs(wildcards):
    """The JASPAR matrices synthetic data set ``wildcards.dataset`` plants (rule
    draw_planted_logos): ``release``, ``pseudocount``, ``motifs`` and ``decoys``."""
    spec = DATASETS[wildcards.dataset]
    keys = ("motifs", "decoys", "pseudocount")
    return {"release": spec["jaspar_release"]} | {k: spec[k] for k in keys}


def get_background_fasta(wildcards):
    """FASTA the Markov background is fitted on, or nothing for an i.i.d. background."""
    bg = DATASETS[wildcards.dataset]["background"]
    return [bg["fasta"]] if bg["model"] == "markov" else []


def get_user_files(wildcards):
    """Named user inputs of a ``type: fasta`` data set (sites only when given)."""
    spec = DATASETS[wildcards.dataset]
    files = {"fasta": spec["fasta"], "labels": spec["labels"]}
    if spec.get("sites"):
        files["sites"] = spec["sites"]
    return files


def get_length(wildcards):
    """Model input length of data set ``wildcards.dataset``."""
    return DATASETS[wildcards.dataset]["length"]


def get_dataset_seeds(wildcards):
    """Model seeds of data set ``wildcards.dataset`` (``dataset_seeds``), for params."""
    return dataset_seeds(wildcards.dataset)


def get_frontier_seeds(wildcards):
    """Seeds of the grid points of data set ``wildcards.dataset``, for params."""
    return frontier_seeds(wildcards.dataset)


# models_from: a data set that evaluates another data set's models (gsattn.reuse). Its
# training rules copy the source's model of the same name and seed (inputs reused_*)
# and evaluate it on this data set's splits; nothing is trained.
REUSED_FILES = {
    "model": "model.pt",
    "hparams": "hparams.json",
    "history": "history.tsv",
}


def get_models_source(wildcards):
    """The data set whose models ``wildcards.dataset`` reuses (``models_from``), or None."""
    return DATASETS[wildcards.dataset].get("models_from")


def _reused_inputs(wildcards, folder):
    """``reused_*`` inputs of a training job from ``folder(file, source)``, or none."""
    source = get_models_source(wildcards)
    if not source:
        return {}
    files = {
        f"reused_{key}": folder(file, source) for key, file in REUSED_FILES.items()
    }
    files["reused_encoded"] = dataset_file("encoded.npz", source, wildcards.seed)
    return files


def get_reused_phase1(wildcards):
    """The source data set's Phase 1 model of the same name and seed (``models_from``)."""

    def folder(file, source):
        return L.phase1_model(file, source, wildcards.model, wildcards.seed)

    return _reused_inputs(wildcards, folder)


def get_reused_student(wildcards):
    """The source data set's student of the same teacher, rho, seed and selector."""
    selector = wildcards.get("selector")

    def folder(file, source):
        return L.phase2_model(
            file,
            source,
            wildcards.teacher,
            RHO_VALUES[wildcards.rho],
            wildcards.seed,
            selector=selector,
        )

    return _reused_inputs(wildcards, folder)


def get_reused_phase3(wildcards):
    """The source data set's Phase 3 model of the same name and seed (``models_from``)."""

    def folder(file, source):
        return L.phase3_model(file, source, wildcards.model, wildcards.seed)

    return _reused_inputs(wildcards, folder)


def get_final_outputs():
    """Everything ``rule all`` asks for."""
    names = list(DATASETS)
    data = [
        dataset_file(file, dataset, seed)
        for dataset in names
        for seed in data_draw_seeds(dataset)
        for file in ("encoded.npz", "summary.tsv", "pwm_oracle.tsv")
    ]
    truth = [
        L.phase1_model("ground_truth.npz", dataset, REFERENCE, seed)
        for dataset in names
        for seed in dataset_seeds(dataset)
    ]
    summary = [L.phase1_summary("metrics_summary.tsv", dataset) for dataset in names]
    phase2 = [
        L.phase2_summary("criteria.tsv", dataset, "attention") for dataset in names
    ]
    phase3 = [
        L.phase3_model("test_metrics.tsv", dataset, model, seed)
        for dataset in names
        for model in PHASE3["models"]
        for seed in dataset_seeds(dataset)
    ]
    floors = [
        floors_file(dataset, seed)
        for dataset in names
        for seed in data_draw_seeds(dataset)
    ]
    if COMPARED:
        floors += [L.phase3_all("verdicts.tsv")]
    floors += [L.comparison("interpretability.tsv", dataset) for dataset in names]
    floors += long_outputs()  # learning at length (long_sequences.smk), if on
    return (
        data + truth + summary + phase2 + [L.scaling("scaling.tsv")] + phase3 + floors
    )


def get_ids(wildcards):
    """Typed identifiers of what a job makes, from its wildcards: ``dataset``,
    ``model``, ``teacher``, ``selector`` (frontier), ``rho`` (the config's float), ``seed``
    (int), whichever apply.
    Scripts write them as the leading columns of their tables."""
    ids = {}
    for name in ("dataset", "model", "teacher"):
        if name in wildcards.keys():
            ids[name] = getattr(wildcards, name)
    if "selector" in wildcards.keys():
        ids["selector"] = wildcards.selector
    if "rho" in wildcards.keys():
        ids["rho"] = RHO_VALUES[wildcards.rho]
    if "seed" in wildcards.keys():
        ids["seed"] = int(wildcards.seed)
    return ids


def get_dataset(wildcards):
    """Name of data set ``wildcards.dataset``."""
    return wildcards.dataset


PHASE1 = config["phase1"]
PHASE1_MODELS = list(PHASE1["models"])
SEEDS = config["seeds"]
REFERENCE = PHASE1["reference"]


wildcard_constraints:
    seed=r"\d+",


def models_source(dataset):
    """The data set whose models ``dataset`` evaluates: its ``models_from``, else itself."""
    return DATASETS[dataset].get("models_from") or dataset


def dataset_seeds(dataset):
    """Model seeds of ``dataset``: its own ``seeds`` (those of the set its models come
    from), else the top-level ``seeds``."""
    return DATASETS[models_source(dataset)].get("seeds") or SEEDS


def data_draw_seeds(dataset):
    """Seeds whose data draw of ``dataset`` is made: every seed under ``data_seeds``, else
    the first (the one draw)."""
    seeds = dataset_seeds(dataset)
    return seeds if DATA_SEEDS else seeds[:1]


def dataset_phase1_models(dataset):
    """Phase 1 models trained on ``dataset`` (config order): its ``phase1_models`` (those
    of the set its models come from), else every model of ``phase1.models``."""
    chosen = DATASETS[models_source(dataset)].get("phase1_models")
    return [m for m in PHASE1_MODELS if chosen is None or m in chosen]


def get_phase1_spec(wildcards):
    """Hyper-parameters of Phase 1 model ``wildcards.model``."""
    return PHASE1["models"][wildcards.model]


def model_seeds(model, dataset):
    """Seeds Phase 1 model ``model`` is trained with on ``dataset``: every seed of the data
    set for the reference, else the first ``ablation_seeds`` of them."""
    n = PHASE1["ablation_seeds"]
    seeds = dataset_seeds(dataset)
    if model == REFERENCE or n is None:
        return seeds
    return seeds[:n]


def phase1_keys(wildcards):
    """``model`` and ``seed`` of every Phase 1 model of one data set, in input order."""
    ds = wildcards.dataset
    return [
        {"model": model, "seed": seed}
        for model in dataset_phase1_models(ds)
        for seed in model_seeds(model, ds)
    ]


def phase1_models(file):
    """``file`` of every Phase 1 model and seed of one data set (order of ``phase1_keys``)."""

    def inputs(wildcards):
        return [
            L.phase1_model(file, wildcards.dataset, k["model"], k["seed"])
            for k in phase1_keys(wildcards)
        ]

    return inputs


def get_reference_truths(wildcards):
    """Ground truth of the reference model, every seed (its test logits feed the criteria)."""
    return [
        L.phase1_model("ground_truth.npz", wildcards.dataset, REFERENCE, seed)
        for seed in dataset_seeds(wildcards.dataset)
    ]


def phase1_profiles(file):
    """``file`` of the compute profile of every Phase 1 model of one data set."""

    def inputs(wildcards):
        return [
            L.phase1_profile(file, wildcards.dataset, model)
            for model in dataset_phase1_models(wildcards.dataset)
        ]

    return inputs


def get_reference_truth(wildcards):
    """Ground truth of the reference model with the first seed (for figures)."""
    seed = dataset_seeds(wildcards.dataset)[0]
    return L.phase1_model("ground_truth.npz", wildcards.dataset, REFERENCE, seed)


PHASE2 = config["phase2"]
RHO_VALUES = {L.rho_text(r): r for r in PHASE2["rhos"]}
RHOS = list(RHO_VALUES)


wildcard_constraints:
    rho="|".join(re.escape(r) for r in RHOS),
    teacher="|".join(TEACHERS),


def phase2_keys(wildcards):
    """``rho`` and ``seed`` of every student of one data set and teacher, in input order."""
    seeds = dataset_seeds(wildcards.dataset)
    return [{"rho": RHO_VALUES[rho], "seed": seed} for rho in RHOS for seed in seeds]


def phase2_models(file):
    """``file`` of every student (rho × seed) of one data set and teacher (order of ``phase2_keys``)."""

    def inputs(wildcards):
        return [
            L.phase2_model(
                file, wildcards.dataset, wildcards.teacher, k["rho"], k["seed"]
            )
            for k in phase2_keys(wildcards)
        ]

    return inputs


def phase2_profiles(file):
    """``file`` of the compute profile of every rho of one data set and teacher."""

    def inputs(wildcards):
        return [
            L.phase2_profile(file, wildcards.dataset, wildcards.teacher, rho)
            for rho in RHOS
        ]

    return inputs


# Optional target frontier (workflow/rules/frontier.smk): the selector grid.
FRONTIER = PHASE2["frontier"]
FRONTIER_SELECTORS = FRONTIER["selectors"]


def frontier_seeds(dataset):
    """Seeds of every grid point on ``dataset``: the first ``phase2.frontier.seeds`` of its seeds."""
    return dataset_seeds(dataset)[: FRONTIER["seeds"]]


wildcard_constraints:
    selector="|".join(FRONTIER_SELECTORS),


def frontier_location(selector):
    """Where a grid selector's students live: ``None`` (the default Phase 2 students) for
    an empty options mapping, which is ``phase2.model`` itself; else its own name."""
    return selector if FRONTIER_SELECTORS[selector] else None


def get_selector_model(wildcards):
    """``phase2.model`` with the options of grid selector ``wildcards.selector``."""
    return PHASE2["model"] | FRONTIER_SELECTORS[wildcards.selector]


def frontier_keys(wildcards):
    """``rho`` and ``seed`` of every student of one grid selector, in input order."""
    return [
        {"rho": RHO_VALUES[rho], "seed": seed}
        for rho in RHOS
        for seed in frontier_seeds(wildcards.dataset)
    ]


def frontier_models(file):
    """``file`` of every student (rho × frontier seed) of one data set, teacher and selector."""

    def inputs(wildcards):
        where = frontier_location(wildcards.selector)
        return [
            L.phase2_model(
                file,
                wildcards.dataset,
                wildcards.teacher,
                k["rho"],
                k["seed"],
                selector=where,
            )
            for k in frontier_keys(wildcards)
        ]

    return inputs


def frontier_profiles(wildcards):
    """Compute profile of every rho of one grid selector."""
    where = frontier_location(wildcards.selector)
    return [
        L.phase2_profile(
            "compute.tsv", wildcards.dataset, wildcards.teacher, rho, selector=where
        )
        for rho in RHOS
    ]


def frontier_summary_inputs(wildcards):
    """Per grid selector (grid order): criteria, metric summary, compute profiles (× rho)
    and students' predictions (× rho × frontier seed)."""
    names = list(FRONTIER_SELECTORS)
    ds, teacher = wildcards.dataset, wildcards.teacher
    return {
        "criteria": [
            L.phase2_summary("criteria.tsv", ds, teacher, selector=n) for n in names
        ],
        "metrics": [
            L.phase2_summary("metrics_summary.tsv", ds, teacher, selector=n)
            for n in names
        ],
        "compute": [
            L.phase2_profile(
                "compute.tsv", ds, teacher, rho, selector=frontier_location(n)
            )
            for n in names
            for rho in RHOS
        ],
        "predictions": [
            L.phase2_model(
                "predictions.npz",
                ds,
                teacher,
                RHO_VALUES[rho],
                seed,
                selector=frontier_location(n),
            )
            for n in names
            for rho in RHOS
            for seed in frontier_seeds(ds)
        ],
    }


def frontier_grid():
    """The grid as the summary reads it: name and full selector options, in grid order."""
    return [
        {"name": name, "options": PHASE2["model"] | options}
        for name, options in FRONTIER_SELECTORS.items()
    ]


def get_teacher(wildcards):
    """Weights, hyper-parameters and ground truth of the student's teacher, same seed."""
    files = {
        "teacher_model": "model.pt",
        "teacher_hparams": "hparams.json",
        "truth": "ground_truth.npz",
    }
    return {
        name: L.teacher_model(
            file, wildcards.dataset, wildcards.teacher, wildcards.seed, REFERENCE
        )
        for name, file in files.items()
    }


def get_teacher_evidence(wildcards):
    """Ground truth and attributions of the student's teacher, same seed."""
    files = {"truth": "ground_truth.npz", "attributions": "attributions.npz"}
    return {
        name: L.teacher_model(
            file, wildcards.dataset, wildcards.teacher, wildcards.seed, REFERENCE
        )
        for name, file in files.items()
    }


def get_teacher_fields(wildcards):
    """Sparse-student fields the teacher implies (none for attention)."""
    return profile_fields(wildcards.teacher, PHASE3["pipeline"])


def get_teacher_compute(wildcards):
    """The teacher's compute table (the reference model's first seed)."""
    seed = dataset_seeds(wildcards.dataset)[0]
    return L.teacher_compute(wildcards.dataset, wildcards.teacher, seed, REFERENCE)


def get_phase2_summary_inputs(wildcards):
    """The teacher's compute table and, for the attention teacher, the scaling benchmark."""
    files = {
        "teacher_compute": L.teacher_compute(
            wildcards.dataset,
            wildcards.teacher,
            dataset_seeds(wildcards.dataset)[0],
            REFERENCE,
        )
    }
    if wildcards.teacher == "attention":
        files |= {
            "speedups": L.scaling("speedups.tsv"),
            "scaling": L.scaling("scaling.tsv"),
        }
    return files


PHASE3 = config["phase3"]
PHASE3_MODELS = list(PHASE3["models"])


COMPARED = {"joint_pipeline", "cnn"} <= set(PHASE3_MODELS)
INTERPRETED_MODELS = ["attention", *PHASE3_MODELS]


wildcard_constraints:
    model="|".join(sorted({*PHASE1_MODELS, *INTERPRETED_MODELS})),


def _alternatives(names):
    return "|".join(names) if names else "(?!)"


PHASE1_RE = _alternatives(PHASE1_MODELS)
PHASE3_RE = _alternatives(PHASE3_MODELS)
INTERPRETED_RE = _alternatives(INTERPRETED_MODELS)


def get_interpreted_model(wildcards):
    """Weights and hyper-parameters of the model ``interpret_model`` attributes."""
    if wildcards.model == "attention":
        folder = L.phase1_model("", wildcards.dataset, REFERENCE, wildcards.seed)
    else:
        folder = L.phase3_model("", wildcards.dataset, wildcards.model, wildcards.seed)
    return {"model": f"{folder}/model.pt", "hparams": f"{folder}/hparams.json"}


def reference_models(file):
    """``file`` of the reference Phase 1 model of one data set, every seed."""

    def inputs(wildcards):
        ds = wildcards.dataset
        return [L.phase1_model(file, ds, REFERENCE, s) for s in dataset_seeds(ds)]

    return inputs


def phase3_models(file, model):
    """``file`` of Phase 3 model ``model`` of one data set, every seed."""

    def inputs(wildcards):
        ds = wildcards.dataset
        return [L.phase3_model(file, ds, model, s) for s in dataset_seeds(ds)]

    return inputs


def get_reference_compute(wildcards):
    """Compute table of the reference Phase 1 model."""
    return L.phase1_profile("compute.tsv", wildcards.dataset, REFERENCE)


def interpretation_tables(wildcards):
    """Every interpretation table of one data set, model-major."""
    return [
        L.interpretation("interpretation.tsv", wildcards.dataset, model, seed)
        for model in INTERPRETED_MODELS
        for seed in dataset_seeds(wildcards.dataset)
    ]


def joint_pipeline_teacher_outputs(wildcards):
    """Phase 2 criteria with the joint pipeline as teacher, where ``phase2.teacher`` asks.

    ``winner`` reads the declared verdicts (checkpoint ``declare_verdicts``) and
    asks for the data sets where the joint pipeline is superior.
    """
    teacher = PHASE2["teacher"]
    if teacher == "attention" or "joint_pipeline" not in PHASE3_MODELS:
        return []
    names = list(DATASETS)
    if teacher == "winner":
        if not COMPARED:
            return []
        verdicts = checkpoints.declare_verdicts.get().output.verdicts
        names = [
            r["dataset"]
            for r in read_table(verdicts)
            if r["phase2_joint_pipeline_teacher"] == "yes"
        ]
    return [L.phase2_summary("criteria.tsv", name, "joint_pipeline") for name in names]


# Optional target learning_curve (workflow/rules/learning_curve.smk).
CURVE = config["learning_curve"]


wildcard_constraints:
    size=r"\d+",


def get_curve_spec(wildcards):
    """The data set's config entry with ``n_sequences`` replaced by ``wildcards.size``."""
    return DATASETS[wildcards.dataset] | {"n_sequences": int(wildcards.size)}


def get_reference_spec(wildcards):
    """Hyper-parameters of the reference Phase 1 model."""
    return PHASE1["models"][REFERENCE]


def get_curve_ids(wildcards):
    """``dataset``, ``model`` (the reference) and ``seed`` of one learning-curve model."""
    return {
        "dataset": wildcards.dataset,
        "model": REFERENCE,
        "seed": int(wildcards.seed),
    }


def curve_inputs(file):
    """``file`` under every size and seed of one data set, size-major (the script's order)."""

    def inputs(wildcards):
        return [
            L.curve_model(file, wildcards.dataset, size, seed)
            for size in CURVE["sizes"]
            for seed in CURVE["seeds"]
        ]

    return inputs


def curve_oracles(wildcards):
    """The PWM-oracle table of every size of one data set."""
    return [
        L.curve_data("pwm_oracle.tsv", wildcards.dataset, size)
        for size in CURVE["sizes"]
    ]


def synthetic_curves():
    """The learning-curve table of every synthetic data set."""
    return [
        L.curve("learning_curve.tsv", n)
        for n, s in DATASETS.items()
        if s["type"] == "synthetic"
    ]


def get_extract_ids(wildcards):
    """``dataset``, ``model`` (``joint_pipeline``) and ``seed`` of an extracted pipeline."""
    return {
        "dataset": wildcards.dataset,
        "model": "joint_pipeline",
        "seed": int(wildcards.seed),
    }


# Phase 4 sources (workflow/rules/real_data.smk): the pinned files of the published
# benchmark sets, resources/real/<source>/<file>, from resources/real_sources.yaml.
from gsattn.sources import load_sources, names_regex, remote_params  # noqa: E402

REAL_DATA = config["real_data"]
REAL_SOURCES = load_sources(SCRIPTS.parents[1] / "resources" / "real_sources.yaml")
REAL_SOURCE_RE = names_regex(REAL_SOURCES)
REAL_FILE_RE = names_regex({f for files in REAL_SOURCES.values() for f in files})


def get_remote_file(wildcards):
    """URL, sha256, size, format and mirror path of one registered file."""
    return remote_params(REAL_SOURCES, wildcards.source, wildcards.file)


def get_real_data_mirror(wildcards):
    """The configured offline mirror folder (``None``: ``$GSA_REAL_DATA``, else download)."""
    return REAL_DATA["mirror"]


def real_source_files(source):
    """Every file of registered source ``source`` under ``resources/real/``."""
    return [f"resources/real/{source}/{file}" for file in REAL_SOURCES[source]]


# Phase 4 preparation (prepare_real in real_sets.smk): the published sets of real_data.sets,
# results/real/<name>/, each from the pinned files of its recipe (gsattn.real_recipes).
from gsattn.real_recipes import RECIPES, check_real_sets, recipe_paths  # noqa: E402

REAL_SETS = REAL_DATA["sets"]
check_real_sets(REAL_SETS)
REAL_SET_RE = names_regex(REAL_SETS)


def get_real_spec(wildcards):
    """The ``real_data.sets`` entry (defaults filled in) of set ``wildcards.real``."""
    return REAL_SETS[wildcards.real]


def get_real_sources(wildcards):
    """The pinned files of set ``wildcards.real``'s recipe, in recipe order."""
    return recipe_paths(REAL_SETS[wildcards.real]["recipe"])


def get_real_file_names(wildcards):
    """Registry names of those files, in the same order (the script pairs them up)."""
    return [f.name for f in RECIPES[REAL_SETS[wildcards.real]["recipe"]].files]


# data_seeds: every model seed trains and is evaluated on its own draw of every
# data set, results/data/<dataset>/draw<seed>/ (workflow/rules/data.smk's *_draw
# rules); false keeps the one draw of results/data/<dataset>/.
from gsattn.seeding import data_seed  # noqa: E402

DATA_SEEDS = config["data_seeds"]


def get_draw_spec(wildcards):
    """The data set's config entry with ``seed`` replaced by seed ``wildcards.seed``'s data seed.

    The data seed is ``gsattn.seeding.data_seed(<data set seed>, <model seed>)``.
    """
    spec = DATASETS[wildcards.dataset]
    return spec | {"seed": data_seed(spec["seed"], int(wildcards.seed))}


def dataset_file(file, dataset, seed):
    """``file`` of the data the model of ``seed`` reads: its own draw under ``data_seeds``."""
    if DATA_SEEDS:
        return L.data_draw(file, dataset, seed)
    return L.data(file, dataset)


def get_encoded(wildcards):
    """The encoded data set the job of ``wildcards.seed`` trains or is evaluated on."""
    return dataset_file("encoded.npz", wildcards.dataset, wildcards.seed)


def get_first_encoded(wildcards):
    """The encoded data of the first seed (rules without a seed that only need the length)."""
    return dataset_file(
        "encoded.npz", wildcards.dataset, data_draw_seeds(wildcards.dataset)[0]
    )


def seed_files(file, seeds=None):
    """``file`` of the data of every seed of one data set, in seed order (one file without
    ``data_seeds``); ``seeds``: a function of the data set's name giving them (default
    ``dataset_seeds``)."""

    def inputs(wildcards):
        if not DATA_SEEDS:
            return L.data(file, wildcards.dataset)
        seeds_ = seeds(wildcards.dataset) if seeds else dataset_seeds(wildcards.dataset)
        return [L.data_draw(file, wildcards.dataset, s) for s in seeds_]

    return inputs


def floors_file(dataset, seed):
    """The floors table the comparison of ``seed`` uses: its own draw's under ``data_seeds``."""
    if DATA_SEEDS:
        return L.phase3_draw("floors.tsv", dataset, seed)
    return L.phase3_dataset("floors.tsv", dataset)


def get_floors(wildcards):
    """The floors table(s) of one data set: one file, or one per seed in seed order (``data_seeds``)."""
    if not DATA_SEEDS:
        return L.phase3_dataset("floors.tsv", wildcards.dataset)
    seeds = dataset_seeds(wildcards.dataset)
    return [L.phase3_draw("floors.tsv", wildcards.dataset, s) for s in seeds]


# Genome windows (workflow/rules/genome.smk, config/genome.yaml): downloads under
# resources/genome/, chromosomes and labelled windows under results/genome/.
from gsattn.genome import (  # noqa: E402
    annotation_file,
    chromosome_file,
    download_plan,
    md5_list_file,
)

GENOME_DATA = config["genome_data"]
GENOME_SETS = GENOME_DATA["sets"]
GENOME_CHROMS = GENOME_DATA["genome"]["chromosomes"]
GENOME_PLAN = download_plan(GENOME_DATA)
GENOME_FILE_RE = names_regex(GENOME_PLAN)
GENOME_SET_RE = names_regex(GENOME_SETS)
GENOME_CHROM_RE = names_regex(GENOME_CHROMS)


def get_genome_remote(wildcards):
    """URL, checksums and format of one file of the genome download plan."""
    return GENOME_PLAN[wildcards.file]


def get_genome_md5_list(wildcards):
    """The published md5 list a chromosome is checked against (nothing for other files)."""
    if GENOME_PLAN[wildcards.file]["uses_md5_list"]:
        return L.genome_resource(md5_list_file(GENOME_DATA["genome"]))
    return []


def get_genome_set_spec(wildcards):
    """The config entry (defaults filled in) of genome set ``wildcards.genome_set``."""
    return GENOME_SETS[wildcards.genome_set]


def get_genome_anchors(wildcards):
    """The downloaded anchor file of genome set ``wildcards.genome_set``."""
    spec = GENOME_SETS[wildcards.genome_set]
    return L.genome_resource(annotation_file(wildcards.genome_set, spec["url"]))


def get_genome_chromosome_gz(wildcards):
    """The downloaded gzip FASTA of chromosome ``wildcards.chrom``."""
    return L.genome_resource(chromosome_file(wildcards.chrom))


def genome_chromosome_files(suffix):
    """Every configured chromosome's decompressed file ``<chrom><suffix>``, in config order."""
    return [L.genome_chromosome(suffix, c) for c in GENOME_CHROMS]


# Learning at length (workflow/rules/long_sequences.smk): the long-sequence task of
# config long_sequences, results/long/L<length>/...; off when no length is given or
# no data set is synthetic (base: null takes the first synthetic one).
from gsattn.long_task import LONG_MODELS, base_dataset, long_spec  # noqa: E402

LONG = config["long_sequences"]
LONG_BASE = base_dataset(DATASETS, LONG["base"])
LONG_LENGTHS = LONG["lengths"] if LONG_BASE else []
LONG_RE = _alternatives([m for m in LONG_MODELS if m in LONG["models"]])
LONG_SPECS = {
    "attention": PHASE1["models"][REFERENCE],
    "sparse": {"rho": LONG["rho"], **PHASE2["model"]},
    "cnn": PHASE3["pipeline"],
}


def get_long_spec(wildcards):
    """The base data set's entry at length ``wildcards.length`` (uniform positions)."""
    base = DATASETS[LONG_BASE]
    return long_spec(base, int(wildcards.length), LONG["n_sequences"])


def get_long_background(wildcards):
    """FASTA the base data set's Markov background is fitted on, or nothing (i.i.d.)."""
    bg = DATASETS[LONG_BASE]["background"]
    return [bg["fasta"]] if bg["model"] == "markov" else []


def get_long_length(wildcards):
    """Model input length of the long task at ``wildcards.length``."""
    return int(wildcards.length)


def get_long_ids(wildcards):
    """``length`` (int), ``model`` and, where the job has one, ``seed`` (int)."""
    ids = {"length": int(wildcards.length), "model": wildcards.model}
    if "seed" in wildcards.keys():
        ids["seed"] = int(wildcards.seed)
    return ids


def get_long_mem_mb(wildcards):
    """Memory of a long-sequence job: the budget's memory plus 2 GB for the process."""
    return int(LONG["budget"]["memory_gb"] * 1000) + 2000


def get_long_runtime(wildcards):
    """Minutes a long-sequence training job may run: twice the time budget, at least 10."""
    return max(10, int(2 * LONG["budget"]["seconds"] / 60))


def long_keys():
    """``length``, ``model``, ``seed`` of every long-sequence model, length-major."""
    return [
        {"length": length, "model": model, "seed": seed}
        for length in LONG_LENGTHS
        for model in LONG_MODELS
        if model in LONG["models"]
        for seed in LONG["seeds"]
    ]


def long_models(file):
    """``file`` of every long-sequence model (order of ``long_keys``)."""
    return [L.long_model(file, k["length"], k["model"], k["seed"]) for k in long_keys()]


def long_oracles():
    """The PWM-oracle table of every length (in ``LONG_LENGTHS`` order)."""
    return [L.long_data("pwm_oracle.tsv", length) for length in LONG_LENGTHS]


def long_outputs():
    """The long-sequence summary, or nothing when the task is off."""
    return [L.long_summary("summary.tsv")] if LONG_LENGTHS else []


# Phase 4 literature table (workflow/rules/phase4.smk): this workflow's models on every
# data set that is one of the published sets, beside the published numbers of
# resources/literature.tsv. A data set is a published set when its name is a key of
# real_data.sets or, failing that, when it reads that set's FASTA (results/real/<set>/).
LITERATURE = SCRIPTS.parents[1] / "resources" / "literature.tsv"


def published_set(dataset):
    """The ``real_data.sets`` key data set ``dataset`` is, or ``None``."""
    if dataset in REAL_SETS:
        return dataset
    fasta = DATASETS[dataset].get("fasta")
    found = [name for name in REAL_SETS if fasta == L.real("sequences.fa", name)]
    return found[0] if found else None


def literature_entry(dataset, name):
    """The files (per seed, in seed order) the literature table reads for one data set."""
    seeds = list(dataset_seeds(dataset))
    return {
        "dataset": dataset,
        "set": name,
        "benchmark": REAL_SETS[name]["recipe"],
        "test": REAL_SETS[name]["test"],
        "seeds": seeds,
        "encoded": [dataset_file("encoded.npz", dataset, s) for s in seeds],
        "reference": REFERENCE,
        "truths": [
            L.phase1_model("ground_truth.npz", dataset, REFERENCE, s) for s in seeds
        ],
        "students": {
            rho: [
                L.phase2_model("predictions.npz", dataset, "attention", rho, s)
                for s in seeds
            ]
            for rho in RHOS
        },
        "phase3": {
            model: [L.phase3_model("predictions.npz", dataset, model, s) for s in seeds]
            for model in PHASE3_MODELS
        },
        "floors": list(dict.fromkeys(floors_file(dataset, s) for s in seeds)),
    }


def literature_plan():
    """One ``literature_entry`` per data set that is a published set, in config order."""
    pairs = [(d, published_set(d)) for d in DATASETS]
    return [literature_entry(d, name) for d, name in pairs if name]


def literature_inputs(wildcards):
    """Every file of ``literature_plan``, flattened (the script reads them from the plan)."""
    files = []
    for entry in literature_plan():
        files += entry["encoded"] + entry["truths"] + entry["floors"]
        for group in ("students", "phase3"):
            files += [p for paths in entry[group].values() for p in paths]
    return list(dict.fromkeys(files))


def literature_outputs():
    """The literature table, or nothing when no data set is a published set."""
    return [L.phase4("literature.tsv")] if literature_plan() else []


# Phase 4 known-motif enrichment (workflow/rules/phase4_enrichment.smk): the JASPAR scan
# of every data set's sequences (one per draw under data_seeds), shared by every model and
# seed, and the enrichment of each position set. numba (memelite's FIMO) compiles on its
# first call; its cache lives in .snakemake/numba_cache so later jobs reuse it.
ENRICHMENT = config["enrichment"]
NUMBA_CACHE = ".snakemake/numba_cache"


def motif_hits_file(file, dataset, seed):
    """``file`` of the scan of the data ``seed``'s model reads: its own draw under ``data_seeds``."""
    if DATA_SEEDS:
        return L.phase4(f"{dataset}/draw{seed}/{file}")
    return L.phase4(f"{dataset}/{file}")


def enrichment_entry(dataset, seed):
    """The files the enrichment of one data set reads for one seed (rho in ``RHOS`` order)."""
    return {
        "seed": seed,
        "encoded": dataset_file("encoded.npz", dataset, seed),
        "planted": dataset_file("motifs.tsv", dataset, seed),
        "hits": motif_hits_file("motif_hits.tsv", dataset, seed),
        "motifs": motif_hits_file("motifs.tsv", dataset, seed),
        "truth": L.phase1_model("ground_truth.npz", dataset, REFERENCE, seed),
        "saliency": L.phase1_model("attributions.npz", dataset, REFERENCE, seed),
        "ism": L.interpretation("attributions.npz", dataset, "attention", seed),
        "students": {
            rho: L.phase2_model("predictions.npz", dataset, "attention", rho, seed)
            for rho in RHOS
        },
    }


def get_enrichment_plan(wildcards):
    """``rhos`` and one ``enrichment_entry`` per seed of data set ``wildcards.dataset``."""
    seeds = dataset_seeds(wildcards.dataset)
    entries = [enrichment_entry(wildcards.dataset, s) for s in seeds]
    return {"rhos": [RHO_VALUES[r] for r in RHOS], "seeds": entries}


def enrichment_inputs(wildcards):
    """Every file of ``get_enrichment_plan``, flattened (the script reads them from the plan)."""
    files = []
    for entry in get_enrichment_plan(wildcards)["seeds"]:
        files += [entry[k] for k in ("encoded", "planted", "hits", "motifs", "truth")]
        files += [entry["saliency"], entry["ism"], *entry["students"].values()]
    return list(dict.fromkeys(files))


def enrichment_outputs():
    """The enrichment tables of every data set (part of ``rule all``)."""
    return [
        L.phase4(f"{dataset}/enrichment/{file}")
        for dataset in DATASETS
        for file in ("positions.tsv", "classes.tsv")
    ]


# The study page (workflow/rules/report.smk): the tables and figures of the phases that
# rule all's plan makes, nothing else, so that asking for the page never plans more than
# the run would; a file the plan names but the run lacks is shown as "not in this run".
REPORT_TEMPLATE = SCRIPTS.parent / "report" / "templates" / "index.html.j2"
REAL_SOURCES_YAML = SCRIPTS.parents[1] / "resources" / "real_sources.yaml"


def _report_dataset_files(name):
    """The files the page shows for data set ``name`` (the first draw under ``data_seeds``)."""
    seed = data_draw_seeds(name)[0]
    files = {
        "data_summary": dataset_file("summary.tsv", name, seed),
        "data_motifs": dataset_file("motifs.tsv", name, seed),
        "pwm_oracle": dataset_file("pwm_oracle.tsv", name, seed),
    }
    p1 = {
        "phase1_criteria": "criteria.tsv",
        "phase1_metrics": "metrics_summary.tsv",
        "phase1_per_seed": "test_metrics.tsv",
        "phase1_recovery": "recovery_summary.tsv",
        "phase1_compute": "compute.tsv",
        "phase1_maps": "attention_maps.png",
        "phase1_profile": "meta_profile.png",
    }
    files |= {key: L.phase1_summary(file, name) for key, file in p1.items()}
    p2 = {
        "phase2_criteria": "criteria.tsv",
        "phase2_metrics": "metrics_summary.tsv",
        "phase2_selection": "selection_summary.tsv",
        "phase2_distances": "site_distances.png",
    }
    files |= {
        key: L.phase2_summary(file, name, "attention") for key, file in p2.items()
    }
    p3 = {"phase3_interpretability": "interpretability.tsv"}
    if COMPARED:
        p3 |= {
            "phase3_forest": "forest.png",
            "phase3_paired": "paired_seeds.png",
            "phase3_evidence": "evidence.tsv",
            "phase3_efficiency": "efficiency.tsv",
        }
    files |= {key: L.comparison(file, name) for key, file in p3.items()}
    if DATASETS[name]["type"] == "synthetic":
        files["planted_logos"] = L.data("planted_logos.png", name)
    files["enrichment_positions"] = L.phase4(f"{name}/enrichment/positions.tsv")
    files["enrichment_classes"] = L.phase4(f"{name}/enrichment/classes.tsv")
    files["expected_motifs"] = L.phase4(f"{name}/expected_motifs.tsv")
    if DATASETS[name].get("tss_index") is not None:
        files["tss_profile"] = L.phase4(f"{name}/tss_profile.png")
        files["tss_region"] = L.phase4(f"{name}/tss_region.tsv")
    return files


def report_plan():
    """What the study page reads: ``datasets`` (type and files of each) and ``study`` (the
    files across data sets); the de novo folder of each data set is globbed, not an input.
    """
    datasets = {}
    for name, spec in DATASETS.items():
        files = _report_dataset_files(name)
        files["denovo"] = L.phase4(f"{name}/denovo")
        datasets[name] = {"type": spec["type"], "files": files}
    study = {
        "scaling_figure": L.scaling("scaling.png"),
        "speedups": L.scaling("speedups.tsv"),
    }
    if COMPARED:
        study["verdicts"] = L.phase3_all("verdicts.tsv")
    if literature_outputs():
        study["literature"] = L.phase4("literature.tsv")
    if LONG_LENGTHS:
        study["long_summary"] = L.long_summary("summary.tsv")
        study["long_figure"] = L.long_summary("long_sequences.png")
    return {"datasets": datasets, "study": study}


def report_inputs(wildcards):
    """Every file of ``report_plan`` (the de novo folders as the de novo rule's outputs)."""
    plan = report_plan()
    files = [
        path
        for entry in plan["datasets"].values()
        for key, path in entry["files"].items()
        if key != "denovo"
    ]
    return files + list(plan["study"].values()) + denovo_outputs()


def report_sources():
    """The registered sources the configured published sets are prepared from."""
    return list(dict.fromkeys(RECIPES[s["recipe"]].source for s in REAL_SETS.values()))


def report_config():
    """The run's config as the page prints it (plain data)."""
    return dict(config)


# Phase 4 de novo motifs (discover_motifs, in phase4_enrichment.smk): the same
# position sets and files as test_enrichment.
DENOVO = config["denovo"]


def denovo_outputs():
    """The de novo motif tables and logos of every data set (part of ``rule all``)."""
    return [
        L.phase4(f"{dataset}/denovo/{file}")
        for dataset in DATASETS
        for file in ("motifs.tsv", "logos.png")
    ]


EXPECTED_MOTIFS = config["expected_motifs"]


def get_scanned_motifs(wildcards):
    """The scanned JASPAR collection of ``wildcards.dataset`` (``motifs.tsv`` of its scan;
    under ``data_seeds`` the first draw's: every draw scans the same collection)."""
    dataset = wildcards.dataset
    return motif_hits_file("motifs.tsv", dataset, data_draw_seeds(dataset)[0])


def expected_motifs_outputs():
    """The expected-motif table of every data set (part of ``rule all``)."""
    return [L.phase4(f"{dataset}/expected_motifs.tsv") for dataset in DATASETS]


# Phase 4 TSS meta-profile (profile_tss, in phase4_enrichment.smk): the position sets of
# test_enrichment relative to the TSS, for data sets with a `tss_index` only; positives
# grouped by the labels' `origin` file (`tss_groups`).
def tss_datasets():
    """The data sets whose windows hold the TSS at a fixed index."""
    return [d for d, spec in DATASETS.items() if spec.get("tss_index") is not None]


def get_tss(wildcards):
    """``index``, ``groups`` and the ``labels`` (with ``origin``) of ``wildcards.dataset``."""
    spec = DATASETS[wildcards.dataset]
    return {
        "index": spec["tss_index"],
        "groups": spec.get("tss_groups") or {},
        "labels": spec["labels"],
    }


def get_tss_labels(wildcards):
    """The labels TSV whose ``origin`` column groups the positives."""
    return get_tss(wildcards)["labels"]


def tss_inputs(wildcards):
    """The files of ``get_enrichment_plan`` that the position sets are built from (no scan)."""
    files = [get_tss_labels(wildcards)]
    for entry in get_enrichment_plan(wildcards)["seeds"]:
        files += [entry[k] for k in ("encoded", "truth", "saliency", "ism")]
        files += list(entry["students"].values())
    return list(dict.fromkeys(files))


def tss_outputs():
    """The TSS profiles and region tests of the data sets with a TSS (part of ``rule all``)."""
    return [
        L.phase4(f"{dataset}/{file}")
        for dataset in tss_datasets()
        for file in ("tss_profile.tsv", "tss_region.tsv", "tss_profile.png")
    ]


# Scheduling (profiles/slurm, README "Running on a cluster"). A rule that trains or
# attributes on the torch device asks for one `gpu` when that device is CUDA (device:
# cuda, or auto with a GPU visible here; gsattn.hardware), so `--resources gpu=1` runs
# one such job at a time on a one-GPU workstation. On a cluster the login node sees no
# GPU: the profile's set-resources asks for it there.
from gsattn.hardware import gpu_request  # noqa: E402

GPU_REQUEST = gpu_request(config["device"])


def attempt_scaled(base):
    """A resource (mem_mb, runtime) of ``base`` on the first attempt, ``base * attempt``
    on a retry (``--retries``, the profile's ``retries: 1``): an out-of-memory kill or
    a time-limit hit gets twice as much the second time."""

    def scaled(wildcards, attempt):
        return base * attempt

    return scaled
