# Phase 1: full-attention baselines, their attention as ground truth, motif
# recovery and the compute baseline. One model per data set x model x seed.


rule train_attention:
    input:
        unpack(get_reused_phase1),
        code=script_code("train_attention"),
        encoded=get_encoded,
    output:
        model=L.phase1_model("model.pt"),
        hparams=L.phase1_model("hparams.json"),
        history=L.phase1_model("history.tsv"),
        metrics=L.phase1_model("test_metrics.tsv"),
    log:
        L.log("train_attention", L.phase1_key()),
    benchmark:
        L.benchmark("train_attention", L.phase1_key())
    wildcard_constraints:
        model=PHASE1_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(4000),
        runtime=attempt_scaled(120),
        gpu=GPU_REQUEST,
    params:
        spec=get_phase1_spec,
        training=PHASE1["training"],
        device=config["device"],
        ids=get_ids,
        reused_from=get_models_source,
    script:
        "../scripts/train_attention.py"


rule extract_attention:
    input:
        code=script_code("extract_attention"),
        encoded=get_encoded,
        model=L.phase1_model("model.pt"),
        hparams=L.phase1_model("hparams.json"),
    output:
        truth=L.phase1_model("ground_truth.npz"),
    log:
        L.log("extract_attention", L.phase1_key()),
    wildcard_constraints:
        model=PHASE1_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(8000),
        runtime=attempt_scaled(60),
    params:
        n_maps=PHASE1["n_attention_maps"],
    script:
        "../scripts/extract_attention.py"


rule evaluate_recovery:
    input:
        code=script_code("evaluate_recovery"),
        encoded=get_encoded,
        model=L.phase1_model("model.pt"),
        hparams=L.phase1_model("hparams.json"),
    output:
        table=L.phase1_model("recovery.tsv"),
        attributions=L.phase1_model("attributions.npz"),
    log:
        L.log("evaluate_recovery", L.phase1_key()),
    wildcard_constraints:
        model=PHASE1_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(4000),
        runtime=attempt_scaled(60),
    params:
        top_k=PHASE1["recovery"]["top_k"],
        tolerance=PHASE1["recovery"]["tolerance"],
        ids=get_ids,
    script:
        "../scripts/evaluate_recovery.py"


rule profile_compute:
    input:
        code=script_code("profile_compute"),
        encoded=get_first_encoded,
    output:
        compute=L.phase1_profile("compute.tsv"),
        flops=L.phase1_profile("flops.tsv"),
    log:
        L.log("profile_compute", "{dataset}/{model}"),
    wildcard_constraints:
        model=PHASE1_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
        gpu=GPU_REQUEST,
    params:
        spec=get_phase1_spec,
        profile=PHASE1["profile"],
        device=config["device"],
        ids=get_ids,
    script:
        "../scripts/profile_compute.py"


rule summarize_phase1:
    input:
        code=script_code("summarize_phase1"),
        encoded=seed_files("encoded.npz"),
        metrics=phase1_models("test_metrics.tsv"),
        hparams=phase1_models("hparams.json"),
        recovery=phase1_models("recovery.tsv"),
        attributions=phase1_models("attributions.npz"),
        compute=phase1_profiles("compute.tsv"),
        truth=get_reference_truth,
        truths=get_reference_truths,
        oracle=seed_files("pwm_oracle.tsv"),
    output:
        criteria=report(
            L.phase1_summary("criteria.tsv"),
            caption="../report/phase1_criteria.rst",
            category="Phase 1",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "criteria (table)"},
        ),
        metrics=L.phase1_summary("test_metrics.tsv"),
        metrics_summary=report(
            L.phase1_summary("metrics_summary.tsv"),
            caption="../report/phase1_metrics.rst",
            category="Phase 1",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "test metrics (table)"},
        ),
        recovery=L.phase1_summary("recovery.tsv"),
        recovery_summary=report(
            L.phase1_summary("recovery_summary.tsv"),
            caption="../report/phase1_recovery.rst",
            category="Phase 1",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "motif recovery (table)"},
        ),
        compute=report(
            L.phase1_summary("compute.tsv"),
            caption="../report/phase1_compute.rst",
            category="Phase 1",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "compute baseline (table)"},
        ),
        maps=report(
            L.phase1_summary("attention_maps.png"),
            caption="../report/phase1_maps.rst",
            category="Phase 1",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "attention maps (figure)"},
        ),
        profile=report(
            L.phase1_summary("meta_profile.png"),
            caption="../report/phase1_profile.rst",
            category="Phase 1",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "meta-profile (figure)"},
        ),
    log:
        L.log("summarize_phase1", "{dataset}"),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        reference=REFERENCE,
        criteria=PHASE1["criteria"],
        models=phase1_keys,
        data_seeds=DATA_SEEDS,
    script:
        "../scripts/summarize_phase1.py"
