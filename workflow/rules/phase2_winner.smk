# Phase 2 again, with the joint pipeline as the teacher: its compressed
# representation, read through its frozen head, is what the sparse approximator
# reproduces (gsattn.sparse). Runs where phase2.teacher asks for it (see
# joint_pipeline_teacher_outputs in common.smk); same scripts as Phase 2.


use rule train_sparse as train_sparse_joint_pipeline with:
    input:
        code=script_code("train_sparse"),
        encoded="results/data/{dataset}/encoded.npz",
        teacher_model=f"{JP_TEACHER}/model.pt",
        teacher_hparams=f"{JP_TEACHER}/hparams.json",
        truth=f"{JP_TEACHER}/ground_truth.npz",
    output:
        model=f"{JP2}/model.pt",
        hparams=f"{JP2}/hparams.json",
        history=f"{JP2}/history.tsv",
    log:
        "results/logs/train_sparse_joint_pipeline/{dataset}/rho{rho}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_sparse_joint_pipeline/{dataset}/rho{rho}/seed{seed}.tsv"


use rule evaluate_sparse as evaluate_sparse_joint_pipeline with:
    input:
        code=script_code("evaluate_sparse"),
        encoded="results/data/{dataset}/encoded.npz",
        model=f"{JP2}/model.pt",
        hparams=f"{JP2}/hparams.json",
        truth=f"{JP_TEACHER}/ground_truth.npz",
        attributions=f"{JP_TEACHER}/attributions.npz",
    output:
        metrics=f"{JP2}/metrics.tsv",
        selection=f"{JP2}/selection.tsv",
        predictions=f"{JP2}/predictions.npz",
    log:
        "results/logs/evaluate_sparse_joint_pipeline/{dataset}/rho{rho}/seed{seed}.log",


use rule profile_sparse as profile_sparse_joint_pipeline with:
    input:
        code=script_code("profile_sparse"),
        encoded="results/data/{dataset}/encoded.npz",
    output:
        compute="results/phase2/{dataset}/joint_pipeline/rho{rho}/compute.tsv",
        flops="results/phase2/{dataset}/joint_pipeline/rho{rho}/flops.tsv",
    log:
        "results/logs/profile_sparse_joint_pipeline/{dataset}/rho{rho}.log",
    params:
        model=PHASE2["model"],
        profile=PHASE1["profile"],
        device=config["device"],
        teacher={
            "teacher": "joint_pipeline",
            "d_model": PHASE3["pipeline"]["d_model"],
            "out_dim": PHASE3["pipeline"]["compressed"],
            "head_hidden": PHASE3["pipeline"]["hidden"],
        },


use rule measure_receptive_fields as measure_receptive_fields_joint_pipeline with:
    input:
        code=script_code("measure_receptive_fields"),
        encoded="results/data/{dataset}/encoded.npz",
        predictions=joint_pipeline_models("predictions.npz"),
        hparams=joint_pipeline_models("hparams.json"),
    output:
        table=report(
            "results/phase2/{dataset}/joint_pipeline/summary/receptive_fields.tsv",
            caption="../report/phase2_receptive_fields.rst",
            category="Phase 2",
            labels={
                "dataset": "{dataset}",
                "table": "sequence seen (joint-pipeline teacher)",
            },
        ),
        distances=report(
            "results/phase2/{dataset}/joint_pipeline/summary/site_distances.tsv",
            caption="../report/phase2_site_distances.rst",
            category="Phase 2",
            labels={
                "dataset": "{dataset}",
                "table": "distance to sites (joint-pipeline teacher)",
            },
        ),
        figure=report(
            "results/phase2/{dataset}/joint_pipeline/summary/site_distances.png",
            caption="../report/phase2_site_distances.rst",
            category="Phase 2",
            labels={
                "dataset": "{dataset}",
                "figure": "distance to sites (joint-pipeline teacher)",
            },
        ),
    log:
        "results/logs/measure_receptive_fields_joint_pipeline/{dataset}.log",


use rule summarize_phase2 as summarize_phase2_joint_pipeline with:
    input:
        code=script_code("summarize_phase2"),
        metrics=joint_pipeline_models("metrics.tsv"),
        selection=joint_pipeline_models("selection.tsv"),
        predictions=joint_pipeline_models("predictions.npz"),
        sparse_compute=expand(
            "results/phase2/{{dataset}}/joint_pipeline/rho{rho}/compute.tsv", rho=RHOS
        ),
        teacher_compute=f"results/phase3/{{dataset}}/joint_pipeline/seed{SEEDS[0]}/compute.tsv",
        receptive_fields="results/phase2/{dataset}/joint_pipeline/summary/receptive_fields.tsv",
    output:
        criteria=report(
            "results/phase2/{dataset}/joint_pipeline/summary/criteria.tsv",
            caption="../report/phase2_criteria.rst",
            category="Phase 2",
            labels={
                "dataset": "{dataset}",
                "table": "criteria (joint-pipeline teacher)",
            },
        ),
        metrics=report(
            "results/phase2/{dataset}/joint_pipeline/summary/metrics_summary.tsv",
            caption="../report/phase2_metrics.rst",
            category="Phase 2",
            labels={
                "dataset": "{dataset}",
                "table": "fidelity (joint-pipeline teacher)",
            },
        ),
        selection=report(
            "results/phase2/{dataset}/joint_pipeline/summary/selection_summary.tsv",
            caption="../report/phase2_selection.rst",
            category="Phase 2",
            labels={
                "dataset": "{dataset}",
                "table": "selection (joint-pipeline teacher)",
            },
        ),
    log:
        "results/logs/summarize_phase2_joint_pipeline/{dataset}.log",
