# Learning at length (config long_sequences): the motifs and class rule of one
# synthetic data set planted at uniform positions into longer sequences, and three
# models trained on the labels at each length, each only where it fits the stated
# budget (rule check_long_budget). Outputs under results/long/; part of `all`
# unless long_sequences.lengths is empty.


wildcard_constraints:
    length=r"\d+",


use rule plant_motifs as plant_motifs_long with:
    input:
        code=script_code("plant_motifs"),
        background=get_long_background,
    output:
        fasta=L.long_data("sequences.fa"),
        labels=L.long_data("labels.tsv"),
        sites=L.long_data("sites.bed"),
        motifs=L.long_data("motifs.tsv"),
    log:
        L.log("plant_motifs_long", "L{length}"),
    params:
        spec=get_long_spec,


use rule encode_dataset as encode_dataset_long with:
    input:
        code=script_code("encode_dataset"),
        fasta=L.long_data("sequences.fa"),
        labels=L.long_data("labels.tsv"),
        sites=L.long_data("sites.bed"),
        motifs=L.long_data("motifs.tsv"),
    output:
        encoded=L.long_data("encoded.npz"),
        summary=L.long_data("summary.tsv"),
    log:
        L.log("encode_dataset_long", "L{length}"),
    params:
        length=get_long_length,


use rule score_pwm_oracle as score_pwm_oracle_long with:
    input:
        code=script_code("score_pwm_oracle"),
        encoded=L.long_data("encoded.npz"),
        motifs=L.long_data("motifs.tsv"),
    output:
        oracle=L.long_data("pwm_oracle.tsv"),
    log:
        L.log("score_pwm_oracle_long", "L{length}"),


rule check_long_budget:
    input:
        code=script_code("check_long_budget"),
        encoded=L.long_data("encoded.npz"),
    output:
        budget=L.long_budget("budget.tsv"),
    log:
        L.log("check_long_budget", "L{length}/{model}"),
    wildcard_constraints:
        model=LONG_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=get_long_mem_mb,
        runtime=30,
        gpu=GPU_REQUEST,
    params:
        specs=LONG_SPECS,
        training=LONG["training"],
        budget=LONG["budget"],
        seed=LONG["seeds"][0],
        device=config["device"],
        ids=get_long_ids,
    script:
        "../scripts/check_long_budget.py"


rule train_long:
    input:
        code=script_code("train_long"),
        encoded=L.long_data("encoded.npz"),
        budget=L.long_budget("budget.tsv"),
    output:
        model=L.long_model("model.pt"),
        hparams=L.long_model("hparams.json"),
        history=L.long_model("history.tsv"),
    log:
        L.log("train_long", L.long_key()),
    benchmark:
        L.benchmark("train_long", L.long_key())
    wildcard_constraints:
        model=LONG_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=get_long_mem_mb,
        runtime=get_long_runtime,
        gpu=GPU_REQUEST,
    params:
        specs=LONG_SPECS,
        training=LONG["training"],
        device=config["device"],
        ids=get_long_ids,
    script:
        "../scripts/train_long.py"


rule evaluate_long:
    input:
        code=script_code("evaluate_long"),
        encoded=L.long_data("encoded.npz"),
        model=L.long_model("model.pt"),
        hparams=L.long_model("hparams.json"),
    output:
        metrics=L.long_model("metrics.tsv"),
        predictions=L.long_model("predictions.npz"),
        recovery=L.long_model("recovery.tsv"),
        selection=L.long_model("selection.tsv"),
    log:
        L.log("evaluate_long", L.long_key()),
    wildcard_constraints:
        model=LONG_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=get_long_mem_mb,
        runtime=60,
    params:
        rho=LONG["rho"],
        top_k=PHASE1["recovery"]["top_k"],
        tolerance=PHASE1["recovery"]["tolerance"],
        n_permutations=LONG["n_permutations"],
        profile=PHASE1["profile"],
        ids=get_long_ids,
    script:
        "../scripts/evaluate_long.py"


rule summarize_long:
    input:
        code=script_code("summarize_long"),
        metrics=long_models("metrics.tsv"),
        predictions=long_models("predictions.npz"),
        recovery=long_models("recovery.tsv"),
        selection=long_models("selection.tsv"),
        oracle=long_oracles(),
    output:
        summary=report(
            L.long_summary("summary.tsv"),
            caption="../report/long_sequences.rst",
            category="Phase 2",
            subcategory="learning at length",
            labels={"result": "learning at length (table)"},
        ),
        per_seed=L.long_summary("per_seed.tsv"),
        recovery=L.long_summary("recovery.tsv"),
        selection=L.long_summary("selection.tsv"),
        figure=report(
            L.long_summary("long_sequences.png"),
            caption="../report/long_sequences.rst",
            category="Phase 2",
            subcategory="learning at length",
            labels={"result": "learning at length (figure)"},
        ),
    log:
        L.log("summarize_long", "summary"),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        models=long_keys(),
        lengths=LONG_LENGTHS,
        n_boot=LONG["n_bootstrap"],
    script:
        "../scripts/summarize_long.py"
