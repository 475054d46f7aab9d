# Phase 3: does task-specific learning without an attention intermediate (the
# joint pipeline) beat traditional attention? Rivals: a one-layer CNN and floors.


rule train_pipeline:
    input:
        unpack(get_reused_phase3),
        code=script_code("train_pipeline"),
        encoded=get_encoded,
    output:
        model=L.phase3_model("model.pt"),
        hparams=L.phase3_model("hparams.json"),
        history=L.phase3_model("history.tsv"),
        metrics=L.phase3_model("test_metrics.tsv"),
        predictions=L.phase3_model("predictions.npz"),
    log:
        L.log("train_pipeline", L.phase3_key()),
    benchmark:
        L.benchmark("train_pipeline", L.phase3_key())
    wildcard_constraints:
        model=PHASE3_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(4000),
        runtime=attempt_scaled(60),
        gpu=GPU_REQUEST,
    params:
        spec=PHASE3["pipeline"],
        training=PHASE3["training"],
        rates=PHASE3["learning_rates"],
        device=config["device"],
        ids=get_ids,
        reused_from=get_models_source,
    script:
        "../scripts/train_pipeline.py"


rule fit_floors:
    input:
        code=script_code("fit_floors"),
        encoded=L.data("encoded.npz"),
    output:
        floors=L.phase3_dataset("floors.tsv"),
    log:
        L.log("fit_floors", "{dataset}"),
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


use rule fit_floors as fit_floors_draw with:
    input:
        code=script_code("fit_floors"),
        encoded=L.data_draw("encoded.npz"),
    output:
        floors=L.phase3_draw("floors.tsv"),
    log:
        L.log("fit_floors_draw", L.draw_key()),


rule compare_models:
    input:
        code=script_code("compare_models"),
        encoded=seed_files("encoded.npz"),
        floors=get_floors,
        attention_metrics=reference_models("test_metrics.tsv"),
        attention_truth=reference_models("ground_truth.npz"),
        pipeline_metrics=phase3_models("test_metrics.tsv", "joint_pipeline"),
        pipeline_predictions=phase3_models("predictions.npz", "joint_pipeline"),
        cnn_metrics=phase3_models("test_metrics.tsv", "cnn"),
        cnn_predictions=phase3_models("predictions.npz", "cnn"),
        attention_models=reference_models("model.pt"),
        attention_hparams=reference_models("hparams.json"),
        attention_history=reference_models("history.tsv"),
        attention_compute=get_reference_compute,
        joint_pipeline_models=phase3_models("model.pt", "joint_pipeline"),
        joint_pipeline_hparams=phase3_models("hparams.json", "joint_pipeline"),
        cnn_models=phase3_models("model.pt", "cnn"),
        cnn_hparams=phase3_models("hparams.json", "cnn"),
    output:
        per_seed=report(
            L.comparison("per_seed.tsv"),
            caption="../report/phase3_per_seed.rst",
            category="Phase 3",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "per-seed test metrics (table)"},
        ),
        tests=report(
            L.comparison("tests.tsv"),
            caption="../report/phase3_tests.rst",
            category="Phase 3",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "head-to-head tests (table)"},
        ),
        evidence=report(
            L.comparison("evidence.tsv"),
            caption="../report/phase3_evidence.rst",
            category="Phase 3",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "models and floors (table)"},
        ),
        efficiency=report(
            L.comparison("efficiency.tsv"),
            caption="../report/phase3_efficiency.rst",
            category="Phase 3",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "efficiency (table)"},
        ),
        paired=report(
            L.comparison("paired_seeds.png"),
            caption="../report/phase3_paired.rst",
            category="Phase 3",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "per-seed accuracy (figure)"},
        ),
        forest=report(
            L.comparison("forest.png"),
            caption="../report/phase3_forest.rst",
            category="Phase 3",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "differences (figure)"},
        ),
    log:
        L.log("compare_models", "{dataset}"),
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
        dataset=get_dataset,
        seeds=get_dataset_seeds,
        data_seeds=DATA_SEEDS,
    script:
        "../scripts/compare_models.py"


checkpoint declare_verdicts:
    input:
        code=script_code("declare_verdicts"),
        tests=[L.comparison("tests.tsv", dataset) for dataset in DATASETS],
        evidence=[L.comparison("evidence.tsv", dataset) for dataset in DATASETS],
    output:
        verdicts=report(
            L.phase3_all("verdicts.tsv"),
            caption="../report/phase3_verdict.rst",
            category="Phase 3",
            subcategory="all data sets",
            labels={"result": "declared verdicts (table)"},
        ),
        tests=report(
            L.phase3_all("tests_adjusted.tsv"),
            caption="../report/phase3_tests_adjusted.rst",
            category="Phase 3",
            subcategory="all data sets",
            labels={"result": "tests adjusted across data sets (table)"},
        ),
    log:
        L.log("declare_verdicts", "declare_verdicts"),
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
        encoded=get_encoded,
    output:
        table=L.interpretation("interpretation.tsv"),
        scores=L.interpretation("attributions.npz"),
    log:
        L.log("interpret_model", L.phase3_key()),
    benchmark:
        L.benchmark("interpret_model", L.phase3_key())
    wildcard_constraints:
        model=INTERPRETED_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(4000),
        runtime=attempt_scaled(60),
        gpu=GPU_REQUEST,
    params:
        recovery=PHASE1["recovery"],
        max_sequences=PHASE3["interpretability"]["max_sequences"],
        device=config["device"],
        ids=get_ids,
    script:
        "../scripts/interpret_model.py"


rule summarize_interpretability:
    input:
        code=script_code("summarize_interpretability"),
        tables=interpretation_tables,
    output:
        table=report(
            L.comparison("interpretability.tsv"),
            caption="../report/phase3_interpretability.rst",
            category="Phase 3",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "interpretability (table)"},
        ),
    log:
        L.log("summarize_interpretability", "{dataset}"),
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
        encoded=get_encoded,
        model=L.phase3_model("model.pt", model="joint_pipeline"),
        hparams=L.phase3_model("hparams.json", model="joint_pipeline"),
    output:
        truth=L.phase3_model("ground_truth.npz", model="joint_pipeline"),
        attributions=L.phase3_model("attributions.npz", model="joint_pipeline"),
        compute=L.phase3_model("compute.tsv", model="joint_pipeline"),
    log:
        L.log("extract_pipeline", "{dataset}/seed{seed}"),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        ids=get_extract_ids,
    script:
        "../scripts/extract_pipeline.py"
