# Phase 4: this workflow's models on the published sets (real_data.sets) beside the
# published numbers (resources/literature.tsv); which data sets and files:
# literature_plan in common.smk.


rule literature_table:
    input:
        code=script_code("summarize_literature"),
        published=str(LITERATURE),
        files=literature_inputs,
    output:
        table=report(
            L.phase4("literature.tsv"),
            caption="../report/phase4_literature.rst",
            category="Phase 4",
            subcategory="published sets",
            labels={"result": "published sets and published numbers (table)"},
        ),
    log:
        L.log("literature_table", "literature_table"),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        plan=literature_plan(),
        n_boot=PHASE3["n_bootstrap"],
        data_seeds=DATA_SEEDS,
    script:
        "../scripts/summarize_literature.py"
