# Stage 0: every data set, synthetic or bring-your-own, in one layout under
# results/data/<dataset>/, then encoded for training.


rule plant_motifs:
    input:
        code=script_code("plant_motifs"),
        background=get_background_fasta,
    output:
        fasta=L.data("sequences.fa"),
        labels=L.data("labels.tsv"),
        sites=L.data("sites.bed"),
        motifs=L.data("motifs.tsv"),
    log:
        L.log("plant_motifs", "{dataset}"),
    wildcard_constraints:
        dataset=SYNTHETIC_RE,
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        spec=get_dataset_spec,
    script:
        "../scripts/plant_motifs.py"


rule import_fasta:
    input:
        unpack(get_user_files),
        code=script_code("import_fasta"),
    output:
        fasta=L.data("sequences.fa"),
        labels=L.data("labels.tsv"),
        sites=L.data("sites.bed"),
        motifs=L.data("motifs.tsv"),
    log:
        L.log("import_fasta", "{dataset}"),
    wildcard_constraints:
        dataset=FASTA_RE,
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        spec=get_dataset_spec,
    script:
        "../scripts/import_fasta.py"


rule encode_dataset:
    input:
        code=script_code("encode_dataset"),
        fasta=L.data("sequences.fa"),
        labels=L.data("labels.tsv"),
        sites=L.data("sites.bed"),
        motifs=L.data("motifs.tsv"),
    output:
        encoded=L.data("encoded.npz"),
        summary=report(
            L.data("summary.tsv"),
            caption="../report/summary.rst",
            category="Data",
            labels={"dataset": "{dataset}", "table": "summary"},
        ),
    log:
        L.log("encode_dataset", "{dataset}"),
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        length=get_length,
    script:
        "../scripts/encode_dataset.py"


rule score_pwm_oracle:
    input:
        code=script_code("score_pwm_oracle"),
        encoded=L.data("encoded.npz"),
        motifs=L.data("motifs.tsv"),
    output:
        oracle=report(
            L.data("pwm_oracle.tsv"),
            caption="../report/pwm_oracle.rst",
            category="Data",
            labels={"dataset": "{dataset}", "table": "PWM oracle"},
        ),
    log:
        L.log("score_pwm_oracle", "{dataset}"),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/score_pwm_oracle.py"
