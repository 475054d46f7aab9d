# Optional target `learning_curve` (not in `rule all`): the reference Phase 1
# model trained on re-drawn copies of each synthetic data set at the sizes of
# `learning_curve.sizes`. Run with `snakemake learning_curve --cores N`.


use rule plant_motifs as plant_motifs_curve with:
    output:
        fasta=L.curve_data("sequences.fa"),
        labels=L.curve_data("labels.tsv"),
        sites=L.curve_data("sites.bed"),
        motifs=L.curve_data("motifs.tsv"),
    log:
        L.log("plant_motifs_curve", L.curve_key()),
    params:
        spec=get_curve_spec,


use rule encode_dataset as encode_dataset_curve with:
    input:
        code=script_code("encode_dataset"),
        fasta=L.curve_data("sequences.fa"),
        labels=L.curve_data("labels.tsv"),
        sites=L.curve_data("sites.bed"),
        motifs=L.curve_data("motifs.tsv"),
    output:
        encoded=L.curve_data("encoded.npz"),
        summary=L.curve_data("summary.tsv"),
    log:
        L.log("encode_dataset_curve", L.curve_key()),


use rule score_pwm_oracle as score_pwm_oracle_curve with:
    input:
        code=script_code("score_pwm_oracle"),
        encoded=L.curve_data("encoded.npz"),
        motifs=L.curve_data("motifs.tsv"),
    output:
        oracle=L.curve_data("pwm_oracle.tsv"),
    log:
        L.log("score_pwm_oracle_curve", L.curve_key()),


use rule train_attention as train_attention_curve with:
    input:
        code=script_code("train_attention"),
        encoded=L.curve_data("encoded.npz"),
    output:
        model=L.curve_model("model.pt"),
        hparams=L.curve_model("hparams.json"),
        history=L.curve_model("history.tsv"),
        metrics=L.curve_model("test_metrics.tsv"),
    log:
        L.log("train_attention_curve", L.curve_seed_key()),
    benchmark:
        L.benchmark("train_attention_curve", L.curve_seed_key())
    params:
        spec=get_reference_spec,
        training=PHASE1["training"],
        device=config["device"],
        ids=get_curve_ids,


rule summarize_learning_curve:
    input:
        code=script_code("summarize_learning_curve"),
        metrics=curve_inputs("test_metrics.tsv"),
        hparams=curve_inputs("hparams.json"),
        oracle=curve_oracles,
    output:
        table=report(
            L.curve("learning_curve.tsv"),
            caption="../report/learning_curve.rst",
            category="Phase 1",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "learning curve (table)"},
        ),
        per_seed=L.curve("per_seed.tsv"),
        figure=report(
            L.curve("learning_curve.png"),
            caption="../report/learning_curve.rst",
            category="Phase 1",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "learning curve (figure)"},
        ),
    log:
        L.log("summarize_learning_curve", "{dataset}"),
    wildcard_constraints:
        dataset=SYNTHETIC_RE,
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        sizes=CURVE["sizes"],
        seeds=CURVE["seeds"],
        threshold=PHASE1["criteria"]["accuracy"],
    script:
        "../scripts/summarize_learning_curve.py"


rule learning_curve:
    input:
        synthetic_curves(),
