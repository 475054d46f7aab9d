# Phase 4 sources: the pinned files of the published benchmark sets
# (resources/real_sources.yaml), downloaded or copied from an offline mirror,
# checked and put under resources/real/<source>/ with a manifest each.


rule download_source:
    input:
        code=script_code("download_source"),
    output:
        file="resources/real/{source}/{file}",
        manifest="resources/real/{source}/{file}.manifest.json",
    log:
        "results/logs/download_source/{source}/{file}.log",
    wildcard_constraints:
        source=REAL_SOURCE_RE,
        file=REAL_FILE_RE,
    localrule: True
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        remote=get_remote_file,
        mirror=get_real_data_mirror,
        timeout=REAL_DATA["timeout"],
        retries=REAL_DATA["retries"],
    script:
        "../scripts/download_source.py"


# Phase 4 preparation: one published set of real_data.sets as the FASTA + labels
# (id, label, split) a type: fasta data set reads, with a summary (classes, GC,
# duplicates, N) and the list of duplicates (gsattn.real).


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
            labels={"set": "{real}", "table": "preparation summary"},
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
