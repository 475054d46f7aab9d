# Optional target `frontier` (Phase 2, issue 12): the selector-cost frontier. Each
# selector of phase2.frontier.selectors (options over phase2.model) gets the Phase 2
# rules again, under results/phase2/<dataset>/<teacher>/frontier/<selector>/, with the
# frontier's seeds; a selector without options is phase2.model itself, whose default
# students are reused (only its summaries are redone over the frontier's seeds).
# summarize_frontier then puts the grid side by side and chooses the design point of
# each rho on the validation split (gsattn.frontier).


use rule train_sparse as train_frontier with:
    output:
        model=L.phase2_model("model.pt", selector="{selector}"),
        hparams=L.phase2_model("hparams.json", selector="{selector}"),
        history=L.phase2_model("history.tsv", selector="{selector}"),
    log:
        L.log("train_sparse", L.phase2_key(selector="{selector}")),
    benchmark:
        L.benchmark("train_sparse", L.phase2_key(selector="{selector}"))
    params:
        model=get_selector_model,
        training=PHASE2["training"],
        task_weight=PHASE2["task_weight"],
        device=config["device"],
        ids=get_ids,
        reused_from=get_models_source,


use rule evaluate_sparse as evaluate_frontier with:
    input:
        unpack(get_teacher_evidence),
        code=script_code("evaluate_sparse"),
        encoded=get_encoded,
        model=L.phase2_model("model.pt", selector="{selector}"),
        hparams=L.phase2_model("hparams.json", selector="{selector}"),
    output:
        metrics=L.phase2_model("metrics.tsv", selector="{selector}"),
        selection=L.phase2_model("selection.tsv", selector="{selector}"),
        predictions=L.phase2_model("predictions.npz", selector="{selector}"),
    log:
        L.log("evaluate_sparse", L.phase2_key(selector="{selector}")),


use rule profile_sparse as profile_frontier with:
    output:
        compute=L.phase2_profile("compute.tsv", selector="{selector}"),
        flops=L.phase2_profile("flops.tsv", selector="{selector}"),
    log:
        L.log("profile_sparse", L.phase2_rho_key(selector="{selector}")),
    params:
        model=get_selector_model,
        profile=PHASE1["profile"],
        device=config["device"],
        teacher=get_teacher_fields,
        ids=get_ids,


use rule measure_receptive_fields as measure_frontier_fields with:
    input:
        code=script_code("measure_receptive_fields"),
        encoded=seed_files("encoded.npz", frontier_seeds),
        predictions=frontier_models("predictions.npz"),
        hparams=frontier_models("hparams.json"),
    output:
        table=L.phase2_summary("receptive_fields.tsv", selector="{selector}"),
        distances=L.phase2_summary("site_distances.tsv", selector="{selector}"),
        figure=L.phase2_summary("site_distances.png", selector="{selector}"),
    log:
        L.log("measure_receptive_fields", "{dataset}/{teacher}/frontier/{selector}"),
    params:
        n_boot=PHASE2["n_bootstrap"],
        students=frontier_keys,
        seeds=get_frontier_seeds,
        data_seeds=DATA_SEEDS,


use rule summarize_phase2 as summarize_frontier_selector with:
    input:
        code=script_code("summarize_phase2"),
        teacher_compute=get_teacher_compute,
        receptive_fields=L.phase2_summary("receptive_fields.tsv", selector="{selector}"),
        metrics=frontier_models("metrics.tsv"),
        selection=frontier_models("selection.tsv"),
        predictions=frontier_models("predictions.npz"),
        sparse_compute=frontier_profiles,
    output:
        criteria=L.phase2_summary("criteria.tsv", selector="{selector}"),
        metrics=L.phase2_summary("metrics_summary.tsv", selector="{selector}"),
        selection=L.phase2_summary("selection_summary.tsv", selector="{selector}"),
    log:
        L.log("summarize_phase2", "{dataset}/{teacher}/frontier/{selector}"),
    params:
        criteria=PHASE2["criteria"],
        n_boot=PHASE2["n_bootstrap"],
        students=frontier_keys,
        data_seeds=DATA_SEEDS,


rule summarize_frontier:
    input:
        unpack(frontier_summary_inputs),
        code=script_code("summarize_frontier"),
    output:
        table=report(
            L.frontier("frontier.tsv"),
            caption="../report/phase2_frontier.rst",
            category="Phase 2",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "teacher": "{teacher}",
                "result": "selector-cost frontier (table)",
            },
        ),
        criteria=report(
            L.frontier("criteria.tsv"),
            caption="../report/phase2_frontier.rst",
            category="Phase 2",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "teacher": "{teacher}",
                "result": "design point criteria (table)",
            },
        ),
        figure=report(
            L.frontier("frontier.png"),
            caption="../report/phase2_frontier.rst",
            category="Phase 2",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "teacher": "{teacher}",
                "result": "selector-cost frontier (figure)",
            },
        ),
    log:
        L.log("summarize_frontier", "{dataset}/{teacher}"),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        selectors=frontier_grid(),
        rhos=list(RHO_VALUES.values()),
        seeds=get_frontier_seeds,
        teacher_model=PHASE1["models"][REFERENCE],
        criteria=PHASE2["criteria"],
        tolerance=FRONTIER["tolerance"],
        max_length=FRONTIER["max_length"],
        ids=get_ids,
    script:
        "../scripts/summarize_frontier.py"


rule frontier:
    input:
        [L.frontier("criteria.tsv", dataset, "attention") for dataset in DATASETS],
