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
        motifs=report(
            L.data("motifs.tsv"),
            caption="../report/data_motifs.rst",
            category="Data",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "motifs (table)"},
        ),
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
        motifs=report(
            L.data("motifs.tsv"),
            caption="../report/data_motifs.rst",
            category="Data",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "motifs (table)"},
        ),
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
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "summary (table)"},
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
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "PWM oracle (table)"},
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


# The planted motifs of a synthetic data set as sequence logos (logomaker), drawn from the
# JASPAR matrices plant_motifs plants (same release, IDs and pseudocount, offline through
# pyjaspar); the study page shows them in its Data section. Data sets without planted
# motifs (type: fasta) have none.


rule draw_planted_logos:
    input:
        code=script_code("draw_planted_logos"),
    output:
        logos=report(
            L.data("planted_logos.png"),
            caption="../report/planted_logos.rst",
            category="Data",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "planted motif logos (figure)"},
        ),
    log:
        L.log("draw_planted_logos", "{dataset}"),
    wildcard_constraints:
        dataset=SYNTHETIC_RE,
    conda:
        "../../envs/motifs.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        planted=get_planted_motifs,
    script:
        "../scripts/draw_planted_logos.py"


# data_seeds: true: seed <seed>'s own draw of every data set under
# results/data/<dataset>/draw<seed>/, the data set's seed replaced by the derived
# data seed (get_draw_spec). Synthetic sets are re-planted and re-split; fasta
# sets keep their sequences and re-draw the split (a split column is kept).


use rule plant_motifs as plant_motifs_draw with:
    output:
        fasta=L.data_draw("sequences.fa"),
        labels=L.data_draw("labels.tsv"),
        sites=L.data_draw("sites.bed"),
        motifs=L.data_draw("motifs.tsv"),
    log:
        L.log("plant_motifs_draw", L.draw_key()),
    params:
        spec=get_draw_spec,


use rule import_fasta as import_fasta_draw with:
    output:
        fasta=L.data_draw("sequences.fa"),
        labels=L.data_draw("labels.tsv"),
        sites=L.data_draw("sites.bed"),
        motifs=L.data_draw("motifs.tsv"),
    log:
        L.log("import_fasta_draw", L.draw_key()),
    params:
        spec=get_draw_spec,


use rule encode_dataset as encode_dataset_draw with:
    input:
        code=script_code("encode_dataset"),
        fasta=L.data_draw("sequences.fa"),
        labels=L.data_draw("labels.tsv"),
        sites=L.data_draw("sites.bed"),
        motifs=L.data_draw("motifs.tsv"),
    output:
        encoded=L.data_draw("encoded.npz"),
        summary=L.data_draw("summary.tsv"),
    log:
        L.log("encode_dataset_draw", L.draw_key()),


use rule score_pwm_oracle as score_pwm_oracle_draw with:
    input:
        code=script_code("score_pwm_oracle"),
        encoded=L.data_draw("encoded.npz"),
        motifs=L.data_draw("motifs.tsv"),
    output:
        oracle=L.data_draw("pwm_oracle.tsv"),
    log:
        L.log("score_pwm_oracle_draw", L.draw_key()),
