# Phase 1: full-attention baselines, their attention as ground truth, motif
# recovery and the compute baseline. One model per data set x variant x seed.


rule train_attention:
    input:
        code=script_code("train_attention"),
        encoded="results/data/{dataset}/encoded.npz",
    output:
        model=f"{P1}/model.pt",
        hparams=f"{P1}/hparams.json",
        history=f"{P1}/history.tsv",
        metrics=f"{P1}/test_metrics.tsv",
    log:
        "results/logs/train_attention/{dataset}/{variant}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_attention/{dataset}/{variant}/seed{seed}.tsv"
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        variant=get_variant,
        training=PHASE1["training"],
        device=config["device"],
    script:
        "../scripts/train_attention.py"


rule extract_attention:
    input:
        code=script_code("extract_attention"),
        encoded="results/data/{dataset}/encoded.npz",
        model=f"{P1}/model.pt",
        hparams=f"{P1}/hparams.json",
    output:
        truth=f"{P1}/ground_truth.npz",
    log:
        "results/logs/extract_attention/{dataset}/{variant}/seed{seed}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        n_maps=PHASE1["n_attention_maps"],
    script:
        "../scripts/extract_attention.py"


rule evaluate_recovery:
    input:
        code=script_code("evaluate_recovery"),
        encoded="results/data/{dataset}/encoded.npz",
        model=f"{P1}/model.pt",
        hparams=f"{P1}/hparams.json",
    output:
        table=f"{P1}/recovery.tsv",
        attributions=f"{P1}/attributions.npz",
    log:
        "results/logs/evaluate_recovery/{dataset}/{variant}/seed{seed}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        top_k=PHASE1["recovery"]["top_k"],
        tolerance=PHASE1["recovery"]["tolerance"],
    script:
        "../scripts/evaluate_recovery.py"


rule profile_compute:
    input:
        code=script_code("profile_compute"),
        encoded="results/data/{dataset}/encoded.npz",
    output:
        compute="results/phase1/{dataset}/{variant}/compute.tsv",
        flops="results/phase1/{dataset}/{variant}/flops.tsv",
    log:
        "results/logs/profile_compute/{dataset}/{variant}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        variant=get_variant,
        profile=PHASE1["profile"],
        device=config["device"],
    script:
        "../scripts/profile_compute.py"


rule summarize_phase1:
    input:
        code=script_code("summarize_phase1"),
        encoded="results/data/{dataset}/encoded.npz",
        metrics=phase1_models("test_metrics.tsv"),
        hparams=phase1_models("hparams.json"),
        recovery=phase1_models("recovery.tsv"),
        attributions=phase1_models("attributions.npz"),
        compute=phase1_variants("compute.tsv"),
        truth=get_reference_truth,
        truths=get_reference_truths,
        oracle="results/data/{dataset}/pwm_oracle.tsv",
    output:
        criteria=report(
            "results/phase1/{dataset}/summary/criteria.tsv",
            caption="../report/phase1_criteria.rst",
            category="Phase 1",
            labels={"dataset": "{dataset}", "table": "criteria"},
        ),
        metrics="results/phase1/{dataset}/summary/test_metrics.tsv",
        metrics_summary=report(
            "results/phase1/{dataset}/summary/metrics_summary.tsv",
            caption="../report/phase1_metrics.rst",
            category="Phase 1",
            labels={"dataset": "{dataset}", "table": "test metrics"},
        ),
        recovery="results/phase1/{dataset}/summary/recovery.tsv",
        recovery_summary=report(
            "results/phase1/{dataset}/summary/recovery_summary.tsv",
            caption="../report/phase1_recovery.rst",
            category="Phase 1",
            labels={"dataset": "{dataset}", "table": "motif recovery"},
        ),
        compute=report(
            "results/phase1/{dataset}/summary/compute.tsv",
            caption="../report/phase1_compute.rst",
            category="Phase 1",
            labels={"dataset": "{dataset}", "table": "compute baseline"},
        ),
        maps=report(
            "results/phase1/{dataset}/summary/attention_maps.png",
            caption="../report/phase1_maps.rst",
            category="Phase 1",
            labels={"dataset": "{dataset}", "figure": "attention maps"},
        ),
        profile=report(
            "results/phase1/{dataset}/summary/meta_profile.png",
            caption="../report/phase1_profile.rst",
            category="Phase 1",
            labels={"dataset": "{dataset}", "figure": "meta-profile"},
        ),
    log:
        "results/logs/summarize_phase1/{dataset}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        reference=PHASE1["reference"],
        criteria=PHASE1["criteria"],
    script:
        "../scripts/summarize_phase1.py"
