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
