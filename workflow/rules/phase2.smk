# Phase 2: can a learned top-k selector + MLP reproduce full attention from 5-20 %
# of the positions? One model per data set x teacher x rho x seed, distilled from
# the teacher trained with the same seed: the Phase 1 reference model (teacher
# `attention`) or, where phase2.teacher asks (joint_pipeline_teacher_outputs in
# common.smk), Phase 3's joint pipeline, whose compressed representation read
# through its frozen head is what the student reproduces (gsattn.sparse).


rule train_sparse:
    input:
        unpack(get_teacher),
        unpack(get_reused_student),
        code=script_code("train_sparse"),
        encoded=get_encoded,
    output:
        model=L.phase2_model("model.pt"),
        hparams=L.phase2_model("hparams.json"),
        history=L.phase2_model("history.tsv"),
    log:
        L.log("train_sparse", L.phase2_key()),
    benchmark:
        L.benchmark("train_sparse", L.phase2_key())
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(4000),
        runtime=attempt_scaled(60),
        gpu=GPU_REQUEST,
    params:
        model=PHASE2["model"],
        training=PHASE2["training"],
        task_weight=PHASE2["task_weight"],
        device=config["device"],
        ids=get_ids,
        reused_from=get_models_source,
    script:
        "../scripts/train_sparse.py"


rule evaluate_sparse:
    input:
        unpack(get_teacher_evidence),
        code=script_code("evaluate_sparse"),
        encoded=get_encoded,
        model=L.phase2_model("model.pt"),
        hparams=L.phase2_model("hparams.json"),
    output:
        metrics=L.phase2_model("metrics.tsv"),
        selection=L.phase2_model("selection.tsv"),
        predictions=L.phase2_model("predictions.npz"),
    log:
        L.log("evaluate_sparse", L.phase2_key()),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=attempt_scaled(4000),
        runtime=attempt_scaled(60),
    params:
        n_perm=PHASE2["n_permutations"],
        n_boot=PHASE2["n_bootstrap"],
        ids=get_ids,
    script:
        "../scripts/evaluate_sparse.py"


rule profile_sparse:
    input:
        code=script_code("profile_sparse"),
        encoded=get_first_encoded,
    output:
        compute=L.phase2_profile("compute.tsv"),
        flops=L.phase2_profile("flops.tsv"),
    log:
        L.log("profile_sparse", L.phase2_rho_key()),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
        gpu=GPU_REQUEST,
    params:
        model=PHASE2["model"],
        profile=PHASE1["profile"],
        device=config["device"],
        teacher=get_teacher_fields,
        ids=get_ids,
    script:
        "../scripts/profile_sparse.py"


rule benchmark_scaling:
    input:
        code=script_code("benchmark_scaling"),
    output:
        table=L.scaling("scaling.tsv"),
        ratios=report(
            L.scaling("speedups.tsv"),
            caption="../report/phase2_scaling.rst",
            category="Phase 2",
            subcategory="scaling",
            labels={"result": "speed-ups vs L (table)"},
        ),
        figure=report(
            L.scaling("scaling.png"),
            caption="../report/phase2_scaling.rst",
            category="Phase 2",
            subcategory="scaling",
            labels={"result": "time and memory vs L (figure)"},
        ),
    log:
        L.log("benchmark_scaling", "benchmark_scaling"),
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
        phase1_model=PHASE1["models"][REFERENCE],
    script:
        "../scripts/benchmark_scaling.py"


rule measure_receptive_fields:
    input:
        code=script_code("measure_receptive_fields"),
        encoded=seed_files("encoded.npz"),
        predictions=phase2_models("predictions.npz"),
        hparams=phase2_models("hparams.json"),
    output:
        table=report(
            L.phase2_summary("receptive_fields.tsv"),
            caption="../report/phase2_receptive_fields.rst",
            category="Phase 2",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "teacher": "{teacher}",
                "result": "sequence seen (table)",
            },
        ),
        distances=report(
            L.phase2_summary("site_distances.tsv"),
            caption="../report/phase2_site_distances.rst",
            category="Phase 2",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "teacher": "{teacher}",
                "result": "distance to sites (table)",
            },
        ),
        figure=report(
            L.phase2_summary("site_distances.png"),
            caption="../report/phase2_site_distances.rst",
            category="Phase 2",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "teacher": "{teacher}",
                "result": "distance to sites (figure)",
            },
        ),
    log:
        L.log("measure_receptive_fields", "{dataset}/{teacher}"),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        n_boot=PHASE2["n_bootstrap"],
        students=phase2_keys,
        seeds=get_dataset_seeds,
        data_seeds=DATA_SEEDS,
    script:
        "../scripts/measure_receptive_fields.py"


rule summarize_phase2:
    input:
        unpack(get_phase2_summary_inputs),
        code=script_code("summarize_phase2"),
        receptive_fields=L.phase2_summary("receptive_fields.tsv"),
        metrics=phase2_models("metrics.tsv"),
        selection=phase2_models("selection.tsv"),
        predictions=phase2_models("predictions.npz"),
        sparse_compute=phase2_profiles("compute.tsv"),
    output:
        criteria=report(
            L.phase2_summary("criteria.tsv"),
            caption="../report/phase2_criteria.rst",
            category="Phase 2",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "teacher": "{teacher}",
                "result": "criteria (table)",
            },
        ),
        metrics=report(
            L.phase2_summary("metrics_summary.tsv"),
            caption="../report/phase2_metrics.rst",
            category="Phase 2",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "teacher": "{teacher}",
                "result": "fidelity and accuracy (table)",
            },
        ),
        selection=report(
            L.phase2_summary("selection_summary.tsv"),
            caption="../report/phase2_selection.rst",
            category="Phase 2",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "teacher": "{teacher}",
                "result": "selection vs motifs (table)",
            },
        ),
    log:
        L.log("summarize_phase2", "{dataset}/{teacher}"),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        criteria=PHASE2["criteria"],
        n_boot=PHASE2["n_bootstrap"],
        students=phase2_keys,
        data_seeds=DATA_SEEDS,
    script:
        "../scripts/summarize_phase2.py"
