# Config validation, wildcard constraints and the input/param helpers of every rule.
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
from gsattn.config import check_config  # noqa: E402
from gsattn.io import read_table  # noqa: E402
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


def get_dataset_spec(wildcards):
    """The config entry (defaults filled in) of data set ``wildcards.dataset``."""
    return DATASETS[wildcards.dataset]


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


def get_final_outputs():
    """Everything ``rule all`` asks for."""
    data = expand(
        "results/data/{dataset}/{file}",
        dataset=list(DATASETS),
        file=["encoded.npz", "summary.tsv", "pwm_oracle.tsv"],
    )
    truth = expand(
        "results/phase1/{dataset}/{variant}/seed{seed}/ground_truth.npz",
        dataset=list(DATASETS),
        variant=config["phase1"]["reference"],
        seed=config["seeds"],
    )
    summary = expand(
        "results/phase1/{dataset}/summary/metrics_summary.tsv", dataset=list(DATASETS)
    )
    phase2 = expand(
        "results/phase2/{dataset}/summary/criteria.tsv", dataset=list(DATASETS)
    )
    phase3 = expand(
        "results/phase3/{dataset}/{kind}/seed{seed}/test_metrics.tsv",
        dataset=list(DATASETS),
        kind=config["phase3"]["models"],
        seed=config["seeds"],
    )
    floors = expand("results/phase3/{dataset}/floors.tsv", dataset=list(DATASETS))
    if {"joint_pipeline", "cnn"} <= set(config["phase3"]["models"]):
        floors += ["results/phase3/verdicts.tsv"]
    floors += expand(
        "results/phase3/{dataset}/comparison/interpretability.tsv",
        dataset=list(DATASETS),
    )
    return (
        data
        + truth
        + summary
        + phase2
        + ["results/phase2/scaling/scaling.tsv"]
        + phase3
        + floors
    )


PHASE1 = config["phase1"]
VARIANTS = list(PHASE1["variants"])
SEEDS = config["seeds"]
P1 = "results/phase1/{dataset}/{variant}/seed{seed}"


wildcard_constraints:
    variant="|".join(VARIANTS),
    seed=r"\d+",


def get_variant(wildcards):
    """Model hyper-parameters of variant ``wildcards.variant``."""
    return PHASE1["variants"][wildcards.variant]


def variant_seeds(variant):
    """Seeds variant ``variant`` is trained with: every seed for the reference, else ``ablation_seeds``."""
    n = PHASE1["ablation_seeds"]
    if variant == PHASE1["reference"] or n is None:
        return SEEDS
    return SEEDS[:n]


def phase1_models(pattern):
    """``pattern`` (under a model folder) for every variant and its seeds of one data set."""

    def inputs(wildcards):
        return [
            path
            for variant in VARIANTS
            for path in expand(
                f"{P1}/{pattern}",
                dataset=wildcards.dataset,
                variant=variant,
                seed=variant_seeds(variant),
            )
        ]

    return inputs


def get_reference_truths(wildcards):
    """Ground truth of the reference variant, every seed (its test logits feed the criteria)."""
    return expand(
        f"results/phase1/{wildcards.dataset}/{PHASE1['reference']}/seed{{seed}}/ground_truth.npz",
        seed=SEEDS,
    )


def phase1_variants(pattern):
    """``pattern`` under ``results/phase1/<dataset>/<variant>/`` for every variant."""

    def inputs(wildcards):
        return expand(
            f"results/phase1/{{dataset}}/{{variant}}/{pattern}",
            dataset=wildcards.dataset,
            variant=VARIANTS,
        )

    return inputs


def get_reference_truth(wildcards):
    """Ground truth of the reference variant with the first seed (for figures)."""
    return f"results/phase1/{wildcards.dataset}/{PHASE1['reference']}/seed{SEEDS[0]}/ground_truth.npz"


PHASE2 = config["phase2"]
RHOS = [str(r) for r in PHASE2["rhos"]]
REFERENCE = PHASE1["reference"]
P2 = "results/phase2/{dataset}/rho{rho}/seed{seed}"
TEACHER = f"results/phase1/{{dataset}}/{REFERENCE}/seed{{seed}}"


wildcard_constraints:
    rho=r"[0-9.]+",


def phase2_models(pattern):
    """``pattern`` (under a sparse model folder) for every rho and seed of one data set."""

    def inputs(wildcards):
        return expand(
            f"{P2}/{pattern}", dataset=wildcards.dataset, rho=RHOS, seed=SEEDS
        )

    return inputs


def phase2_rhos(pattern):
    """``pattern`` under ``results/phase2/<dataset>/rho<rho>/`` for every rho."""

    def inputs(wildcards):
        return expand(
            f"results/phase2/{{dataset}}/rho{{rho}}/{pattern}",
            dataset=wildcards.dataset,
            rho=RHOS,
        )

    return inputs


PHASE3 = config["phase3"]
P3 = "results/phase3/{dataset}/{kind}/seed{seed}"


COMPARED = {"joint_pipeline", "cnn"} <= set(PHASE3["models"])
INTERPRETED_MODELS = ["attention", *PHASE3["models"]]
INTERPRET = "results/phase3/{dataset}/interpretation/{model}/seed{seed}"


wildcard_constraints:
    kind="|".join(PHASE3["models"]),
    model="|".join(INTERPRETED_MODELS),


def get_interpreted_model(wildcards):
    """Weights and hyper-parameters of the model ``interpret_model`` attributes."""
    if wildcards.model == "attention":
        folder = f"results/phase1/{wildcards.dataset}/{REFERENCE}/seed{wildcards.seed}"
    else:
        folder = (
            f"results/phase3/{wildcards.dataset}/{wildcards.model}/seed{wildcards.seed}"
        )
    return {"model": f"{folder}/model.pt", "hparams": f"{folder}/hparams.json"}


JP2 = "results/phase2/{dataset}/joint_pipeline/rho{rho}/seed{seed}"
JP_TEACHER = "results/phase3/{dataset}/joint_pipeline/seed{seed}"


def joint_pipeline_models(pattern):
    """``pattern`` under every joint-pipeline-teacher sparse model of one data set."""

    def inputs(wildcards):
        return expand(
            f"{JP2}/{pattern}", dataset=wildcards.dataset, rho=RHOS, seed=SEEDS
        )

    return inputs


def joint_pipeline_teacher_outputs(wildcards):
    """Phase 2 criteria with the joint pipeline as teacher, where ``phase2.teacher`` asks.

    ``winner`` reads the declared verdicts (checkpoint ``declare_verdicts``) and
    asks for the data sets where the joint pipeline is superior.
    """
    teacher = PHASE2["teacher"]
    if teacher == "attention" or "joint_pipeline" not in PHASE3["models"]:
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
    return expand(
        "results/phase2/{dataset}/joint_pipeline/summary/criteria.tsv", dataset=names
    )


# Optional target learning_curve (workflow/rules/learning_curve.smk).
CURVE = config["learning_curve"]
LC = "results/learning_curve/{dataset}/n{size}"


wildcard_constraints:
    size=r"\d+",


def get_curve_spec(wildcards):
    """The data set's config entry with ``n_sequences`` replaced by ``wildcards.size``."""
    return DATASETS[wildcards.dataset] | {"n_sequences": int(wildcards.size)}


def get_reference_variant(wildcards):
    """Hyper-parameters of the reference Phase 1 variant."""
    return PHASE1["variants"][REFERENCE]


def curve_inputs(pattern):
    """``pattern`` under every size and seed of one data set, size-major (the script's order)."""

    def inputs(wildcards):
        return [
            f"results/learning_curve/{wildcards.dataset}/n{size}/seed{seed}/{pattern}"
            for size in CURVE["sizes"]
            for seed in CURVE["seeds"]
        ]

    return inputs


def curve_oracles(wildcards):
    return [
        f"results/learning_curve/{wildcards.dataset}/n{size}/data/pwm_oracle.tsv"
        for size in CURVE["sizes"]
    ]
