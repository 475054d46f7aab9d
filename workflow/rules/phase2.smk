# Phase 2: can a learned top-k selector + MLP reproduce full attention from 5-20 %
# of the positions? One model per data set x rho x seed, distilled from the Phase 1
# reference variant trained with the same seed.


rule train_sparse:
    input:
        code=script_code("train_sparse"),
        encoded="results/data/{dataset}/encoded.npz",
        teacher_model=f"{TEACHER}/model.pt",
        teacher_hparams=f"{TEACHER}/hparams.json",
        truth=f"{TEACHER}/ground_truth.npz",
    output:
        model=f"{P2}/model.pt",
        hparams=f"{P2}/hparams.json",
        history=f"{P2}/history.tsv",
    log:
        "results/logs/train_sparse/{dataset}/rho{rho}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_sparse/{dataset}/rho{rho}/seed{seed}.tsv"
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        model=PHASE2["model"],
        training=PHASE2["training"],
        task_weight=PHASE2["task_weight"],
        device=config["device"],
    script:
        "../scripts/train_sparse.py"


rule evaluate_sparse:
    input:
        code=script_code("evaluate_sparse"),
        encoded="results/data/{dataset}/encoded.npz",
        model=f"{P2}/model.pt",
        hparams=f"{P2}/hparams.json",
        truth=f"{TEACHER}/ground_truth.npz",
        attributions=f"{TEACHER}/attributions.npz",
    output:
        metrics=f"{P2}/metrics.tsv",
        selection=f"{P2}/selection.tsv",
        predictions=f"{P2}/predictions.npz",
    log:
        "results/logs/evaluate_sparse/{dataset}/rho{rho}/seed{seed}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        n_perm=PHASE2["n_permutations"],
        n_boot=PHASE2["n_bootstrap"],
    script:
        "../scripts/evaluate_sparse.py"


rule profile_sparse:
    input:
        code=script_code("profile_sparse"),
        encoded="results/data/{dataset}/encoded.npz",
    output:
        compute="results/phase2/{dataset}/rho{rho}/compute.tsv",
        flops="results/phase2/{dataset}/rho{rho}/flops.tsv",
    log:
        "results/logs/profile_sparse/{dataset}/rho{rho}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        model=PHASE2["model"],
        profile=PHASE1["profile"],
        device=config["device"],
        teacher={},
    script:
        "../scripts/profile_sparse.py"


rule benchmark_scaling:
    input:
        code=script_code("benchmark_scaling"),
    output:
        table="results/phase2/scaling/scaling.tsv",
        ratios=report(
            "results/phase2/scaling/speedups.tsv",
            caption="../report/phase2_scaling.rst",
            category="Phase 2",
            labels={"table": "speed-ups vs L"},
        ),
        figure=report(
            "results/phase2/scaling/scaling.png",
            caption="../report/phase2_scaling.rst",
            category="Phase 2",
            labels={"figure": "time and memory vs L"},
        ),
    log:
        "results/logs/benchmark_scaling/benchmark_scaling.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=12000,
        runtime=60,
    params:
        lengths=PHASE2["scaling"]["lengths"],
        rhos=PHASE2["rhos"],
        memory_budget_gb=PHASE2["scaling"]["memory_budget_gb"],
        repeats=PHASE2["scaling"]["repeats"],
        sparse_model=PHASE2["model"],
        phase1_model=PHASE1["variants"][REFERENCE],
    script:
        "../scripts/benchmark_scaling.py"


rule measure_receptive_fields:
    input:
        code=script_code("measure_receptive_fields"),
        encoded="results/data/{dataset}/encoded.npz",
        predictions=phase2_models("predictions.npz"),
        hparams=phase2_models("hparams.json"),
    output:
        table=report(
            "results/phase2/{dataset}/summary/receptive_fields.tsv",
            caption="../report/phase2_receptive_fields.rst",
            category="Phase 2",
            labels={"dataset": "{dataset}", "table": "sequence seen"},
        ),
        distances=report(
            "results/phase2/{dataset}/summary/site_distances.tsv",
            caption="../report/phase2_site_distances.rst",
            category="Phase 2",
            labels={"dataset": "{dataset}", "table": "distance to sites"},
        ),
        figure=report(
            "results/phase2/{dataset}/summary/site_distances.png",
            caption="../report/phase2_site_distances.rst",
            category="Phase 2",
            labels={"dataset": "{dataset}", "figure": "distance to sites"},
        ),
    log:
        "results/logs/measure_receptive_fields/{dataset}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        n_boot=PHASE2["n_bootstrap"],
    script:
        "../scripts/measure_receptive_fields.py"


rule summarize_phase2:
    input:
        code=script_code("summarize_phase2"),
        receptive_fields="results/phase2/{dataset}/summary/receptive_fields.tsv",
        metrics=phase2_models("metrics.tsv"),
        selection=phase2_models("selection.tsv"),
        predictions=phase2_models("predictions.npz"),
        sparse_compute=phase2_rhos("compute.tsv"),
        teacher_compute=f"results/phase1/{{dataset}}/{REFERENCE}/compute.tsv",
        speedups="results/phase2/scaling/speedups.tsv",
        scaling="results/phase2/scaling/scaling.tsv",
    output:
        criteria=report(
            "results/phase2/{dataset}/summary/criteria.tsv",
            caption="../report/phase2_criteria.rst",
            category="Phase 2",
            labels={"dataset": "{dataset}", "table": "criteria"},
        ),
        metrics=report(
            "results/phase2/{dataset}/summary/metrics_summary.tsv",
            caption="../report/phase2_metrics.rst",
            category="Phase 2",
            labels={"dataset": "{dataset}", "table": "fidelity and accuracy"},
        ),
        selection=report(
            "results/phase2/{dataset}/summary/selection_summary.tsv",
            caption="../report/phase2_selection.rst",
            category="Phase 2",
            labels={"dataset": "{dataset}", "table": "selection vs motifs"},
        ),
    log:
        "results/logs/summarize_phase2/{dataset}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        criteria=PHASE2["criteria"],
        n_boot=PHASE2["n_bootstrap"],
    script:
        "../scripts/summarize_phase2.py"
