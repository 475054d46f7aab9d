# Stage 0: every data set, synthetic or bring-your-own, in one layout under
# results/data/<dataset>/, then encoded for training.


rule plant_motifs:
    input:
        code=script_code("plant_motifs"),
        background=get_background_fasta,
    output:
        fasta="results/data/{dataset}/sequences.fa",
        labels="results/data/{dataset}/labels.tsv",
        sites="results/data/{dataset}/sites.bed",
        motifs="results/data/{dataset}/motifs.tsv",
    log:
        "results/logs/plant_motifs/{dataset}.log",
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
        fasta="results/data/{dataset}/sequences.fa",
        labels="results/data/{dataset}/labels.tsv",
        sites="results/data/{dataset}/sites.bed",
        motifs="results/data/{dataset}/motifs.tsv",
    log:
        "results/logs/import_fasta/{dataset}.log",
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
        fasta="results/data/{dataset}/sequences.fa",
        labels="results/data/{dataset}/labels.tsv",
        sites="results/data/{dataset}/sites.bed",
        motifs="results/data/{dataset}/motifs.tsv",
    output:
        encoded="results/data/{dataset}/encoded.npz",
        summary=report(
            "results/data/{dataset}/summary.tsv",
            caption="../report/summary.rst",
            category="Data",
            labels={"dataset": "{dataset}", "table": "summary"},
        ),
    log:
        "results/logs/encode_dataset/{dataset}.log",
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
        encoded="results/data/{dataset}/encoded.npz",
        motifs="results/data/{dataset}/motifs.tsv",
    output:
        oracle=report(
            "results/data/{dataset}/pwm_oracle.tsv",
            caption="../report/pwm_oracle.rst",
            category="Data",
            labels={"dataset": "{dataset}", "table": "PWM oracle"},
        ),
    log:
        "results/logs/score_pwm_oracle/{dataset}.log",
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/score_pwm_oracle.py"
