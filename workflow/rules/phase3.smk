# Phase 3: does task-specific learning without an attention intermediate (the
# joint pipeline) beat traditional attention? Rivals: a one-layer CNN and floors.


rule train_pipeline:
    input:
        code=script_code("train_pipeline"),
        encoded="results/data/{dataset}/encoded.npz",
    output:
        model=f"{P3}/model.pt",
        hparams=f"{P3}/hparams.json",
        history=f"{P3}/history.tsv",
        metrics=f"{P3}/test_metrics.tsv",
        predictions=f"{P3}/predictions.npz",
    log:
        "results/logs/train_pipeline/{dataset}/{kind}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_pipeline/{dataset}/{kind}/seed{seed}.tsv"
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        spec=PHASE3["pipeline"],
        training=PHASE3["training"],
        rates=PHASE3["learning_rates"],
        device=config["device"],
    script:
        "../scripts/train_pipeline.py"


rule fit_floors:
    input:
        code=script_code("fit_floors"),
        encoded="results/data/{dataset}/encoded.npz",
    output:
        floors="results/phase3/{dataset}/floors.tsv",
    log:
        "results/logs/fit_floors/{dataset}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        kmer_k=PHASE3["kmer_k"],
    script:
        "../scripts/fit_floors.py"


rule compare_models:
    input:
        code=script_code("compare_models"),
        encoded="results/data/{dataset}/encoded.npz",
        floors="results/phase3/{dataset}/floors.tsv",
        attention_metrics=expand(
            "results/phase1/{{dataset}}/{variant}/seed{seed}/test_metrics.tsv",
            variant=REFERENCE,
            seed=SEEDS,
        ),
        attention_truth=expand(
            "results/phase1/{{dataset}}/{variant}/seed{seed}/ground_truth.npz",
            variant=REFERENCE,
            seed=SEEDS,
        ),
        pipeline_metrics=expand(
            "results/phase3/{{dataset}}/joint_pipeline/seed{seed}/test_metrics.tsv",
            seed=SEEDS,
        ),
        pipeline_predictions=expand(
            "results/phase3/{{dataset}}/joint_pipeline/seed{seed}/predictions.npz",
            seed=SEEDS,
        ),
        cnn_metrics=expand(
            "results/phase3/{{dataset}}/cnn/seed{seed}/test_metrics.tsv", seed=SEEDS
        ),
        cnn_predictions=expand(
            "results/phase3/{{dataset}}/cnn/seed{seed}/predictions.npz", seed=SEEDS
        ),
        attention_models=expand(
            "results/phase1/{{dataset}}/{variant}/seed{seed}/model.pt",
            variant=REFERENCE,
            seed=SEEDS,
        ),
        attention_hparams=expand(
            "results/phase1/{{dataset}}/{variant}/seed{seed}/hparams.json",
            variant=REFERENCE,
            seed=SEEDS,
        ),
        attention_history=expand(
            "results/phase1/{{dataset}}/{variant}/seed{seed}/history.tsv",
            variant=REFERENCE,
            seed=SEEDS,
        ),
        attention_compute=f"results/phase1/{{dataset}}/{REFERENCE}/compute.tsv",
        joint_pipeline_models=expand(
            "results/phase3/{{dataset}}/joint_pipeline/seed{seed}/model.pt", seed=SEEDS
        ),
        joint_pipeline_hparams=expand(
            "results/phase3/{{dataset}}/joint_pipeline/seed{seed}/hparams.json",
            seed=SEEDS,
        ),
        cnn_models=expand(
            "results/phase3/{{dataset}}/cnn/seed{seed}/model.pt", seed=SEEDS
        ),
        cnn_hparams=expand(
            "results/phase3/{{dataset}}/cnn/seed{seed}/hparams.json", seed=SEEDS
        ),
    output:
        per_seed=report(
            "results/phase3/{dataset}/comparison/per_seed.tsv",
            caption="../report/phase3_per_seed.rst",
            category="Phase 3",
            labels={"dataset": "{dataset}", "table": "per-seed test metrics"},
        ),
        tests=report(
            "results/phase3/{dataset}/comparison/tests.tsv",
            caption="../report/phase3_tests.rst",
            category="Phase 3",
            labels={"dataset": "{dataset}", "table": "head-to-head tests"},
        ),
        evidence=report(
            "results/phase3/{dataset}/comparison/evidence.tsv",
            caption="../report/phase3_evidence.rst",
            category="Phase 3",
            labels={"dataset": "{dataset}", "table": "models and floors"},
        ),
        efficiency=report(
            "results/phase3/{dataset}/comparison/efficiency.tsv",
            caption="../report/phase3_efficiency.rst",
            category="Phase 3",
            labels={"dataset": "{dataset}", "table": "efficiency"},
        ),
        paired=report(
            "results/phase3/{dataset}/comparison/paired_seeds.png",
            caption="../report/phase3_paired.rst",
            category="Phase 3",
            labels={"dataset": "{dataset}", "figure": "per-seed accuracy"},
        ),
        forest=report(
            "results/phase3/{dataset}/comparison/forest.png",
            caption="../report/phase3_forest.rst",
            category="Phase 3",
            labels={"dataset": "{dataset}", "figure": "differences"},
        ),
    log:
        "results/logs/compare_models/{dataset}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        margin=PHASE3["margin"],
        alpha=PHASE3["alpha"],
        n_boot=PHASE3["n_bootstrap"],
        primary_test=PHASE3["primary_test"],
        n_datasets=len(DATASETS),
    script:
        "../scripts/compare_models.py"


checkpoint declare_verdicts:
    input:
        code=script_code("declare_verdicts"),
        tests=expand(
            "results/phase3/{dataset}/comparison/tests.tsv", dataset=list(DATASETS)
        ),
        evidence=expand(
            "results/phase3/{dataset}/comparison/evidence.tsv", dataset=list(DATASETS)
        ),
    output:
        verdicts=report(
            "results/phase3/verdicts.tsv",
            caption="../report/phase3_verdict.rst",
            category="Phase 3",
            labels={"table": "declared verdicts"},
        ),
        tests=report(
            "results/phase3/tests_adjusted.tsv",
            caption="../report/phase3_tests_adjusted.rst",
            category="Phase 3",
            labels={"table": "tests adjusted across data sets"},
        ),
    log:
        "results/logs/declare_verdicts/declare_verdicts.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        datasets=list(DATASETS),
        alpha=PHASE3["alpha"],
        margin=PHASE3["margin"],
        adjustment=PHASE3["adjustment"],
        primary_test=PHASE3["primary_test"],
        teacher=PHASE2["teacher"],
    script:
        "../scripts/declare_verdicts.py"


rule interpret_model:
    input:
        unpack(get_interpreted_model),
        code=script_code("interpret_model"),
        encoded="results/data/{dataset}/encoded.npz",
    output:
        table=f"{INTERPRET}/interpretation.tsv",
        scores=f"{INTERPRET}/attributions.npz",
    log:
        "results/logs/interpret_model/{dataset}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/interpret_model/{dataset}/{model}/seed{seed}.tsv"
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        recovery=PHASE1["recovery"],
        max_sequences=PHASE3["interpretability"]["max_sequences"],
    script:
        "../scripts/interpret_model.py"


rule summarize_interpretability:
    input:
        code=script_code("summarize_interpretability"),
        tables=expand(
            f"{INTERPRET}/interpretation.tsv",
            dataset="{dataset}",
            model=INTERPRETED_MODELS,
            seed=SEEDS,
        ),
    output:
        table=report(
            "results/phase3/{dataset}/comparison/interpretability.tsv",
            caption="../report/phase3_interpretability.rst",
            category="Phase 3",
            labels={"dataset": "{dataset}", "table": "interpretability"},
        ),
    log:
        "results/logs/summarize_interpretability/{dataset}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/summarize_interpretability.py"


rule extract_pipeline:
    input:
        code=script_code("extract_pipeline"),
        encoded="results/data/{dataset}/encoded.npz",
        model="results/phase3/{dataset}/joint_pipeline/seed{seed}/model.pt",
        hparams="results/phase3/{dataset}/joint_pipeline/seed{seed}/hparams.json",
    output:
        truth="results/phase3/{dataset}/joint_pipeline/seed{seed}/ground_truth.npz",
        attributions="results/phase3/{dataset}/joint_pipeline/seed{seed}/attributions.npz",
        compute="results/phase3/{dataset}/joint_pipeline/seed{seed}/compute.tsv",
    log:
        "results/logs/extract_pipeline/{dataset}/seed{seed}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/extract_pipeline.py"
