# Phase 4 preparation: each published set of real_data.sets as the FASTA + labels
# (id, label, split) a type: fasta data set reads, with a summary (classes, GC,
# duplicates, N) and the list of duplicates (gsattn.real), from the pinned files that
# real_data.smk's download_source fetches.


rule prepare_real:
    input:
        code=script_code("prepare_real"),
        sources=get_real_sources,
    output:
        fasta=L.real("sequences.fa"),
        labels=L.real("labels.tsv"),
        summary=report(
            L.real("summary.tsv"),
            caption="../report/prepare_real.rst",
            category="Data",
            subcategory="{real}",
            labels={"dataset": "{real}", "result": "preparation summary (table)"},
        ),
        duplicates=L.real("duplicates.tsv"),
    log:
        L.log("prepare_real", "{real}"),
    wildcard_constraints:
        real=REAL_SET_RE,
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        spec=get_real_spec,
        files=get_real_file_names,
    script:
        "../scripts/prepare_real.py"
