# Optional target `learning_curve` (not in `rule all`): the reference Phase 1
# variant trained on re-drawn copies of each synthetic data set at the sizes of
# `learning_curve.sizes`. Run with `snakemake learning_curve --cores N`.


use rule plant_motifs as plant_motifs_curve with:
    output:
        fasta=f"{LC}/data/sequences.fa",
        labels=f"{LC}/data/labels.tsv",
        sites=f"{LC}/data/sites.bed",
        motifs=f"{LC}/data/motifs.tsv",
    log:
        "results/logs/plant_motifs_curve/{dataset}/n{size}.log",
    params:
        spec=get_curve_spec,


use rule encode_dataset as encode_dataset_curve with:
    input:
        code=script_code("encode_dataset"),
        fasta=f"{LC}/data/sequences.fa",
        labels=f"{LC}/data/labels.tsv",
        sites=f"{LC}/data/sites.bed",
        motifs=f"{LC}/data/motifs.tsv",
    output:
        encoded=f"{LC}/data/encoded.npz",
        summary=f"{LC}/data/summary.tsv",
    log:
        "results/logs/encode_dataset_curve/{dataset}/n{size}.log",


use rule score_pwm_oracle as score_pwm_oracle_curve with:
    input:
        code=script_code("score_pwm_oracle"),
        encoded=f"{LC}/data/encoded.npz",
        motifs=f"{LC}/data/motifs.tsv",
    output:
        oracle=f"{LC}/data/pwm_oracle.tsv",
    log:
        "results/logs/score_pwm_oracle_curve/{dataset}/n{size}.log",


use rule train_attention as train_attention_curve with:
    input:
        code=script_code("train_attention"),
        encoded=f"{LC}/data/encoded.npz",
    output:
        model=f"{LC}/seed{{seed}}/model.pt",
        hparams=f"{LC}/seed{{seed}}/hparams.json",
        history=f"{LC}/seed{{seed}}/history.tsv",
        metrics=f"{LC}/seed{{seed}}/test_metrics.tsv",
    log:
        "results/logs/train_attention_curve/{dataset}/n{size}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_attention_curve/{dataset}/n{size}/seed{seed}.tsv"
    params:
        variant=get_reference_variant,
        training=PHASE1["training"],
        device=config["device"],


rule summarize_learning_curve:
    input:
        code=script_code("summarize_learning_curve"),
        metrics=curve_inputs("test_metrics.tsv"),
        hparams=curve_inputs("hparams.json"),
        oracle=curve_oracles,
    output:
        table=report(
            "results/learning_curve/{dataset}/learning_curve.tsv",
            caption="../report/learning_curve.rst",
            category="Phase 1",
            subcategory="learning curve",
            labels={"dataset": "{dataset}", "table": "learning curve"},
        ),
        per_seed="results/learning_curve/{dataset}/per_seed.tsv",
        figure=report(
            "results/learning_curve/{dataset}/learning_curve.png",
            caption="../report/learning_curve.rst",
            category="Phase 1",
            subcategory="learning curve",
            labels={"dataset": "{dataset}", "figure": "learning curve"},
        ),
    log:
        "results/logs/summarize_learning_curve/{dataset}.log",
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
        expand(
            "results/learning_curve/{dataset}/learning_curve.tsv",
            dataset=[n for n, s in DATASETS.items() if s["type"] == "synthetic"],
        ),
