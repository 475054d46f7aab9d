# Genome windows (config/genome.yaml): chromosomes, md5 list and anchor files
# downloaded and checked, chromosomes decompressed and indexed for pyfaidx, and
# the labelled windows of each set written where a `type: fasta` data set reads them.


rule download_genome_file:
    input:
        code=script_code("download_genome_file"),
        md5_list=get_genome_md5_list,
    output:
        file=L.genome_resource("{file}"),
        manifest=L.genome_resource("{file}.manifest.json"),
    log:
        L.log("download_genome_file", "{file}"),
    wildcard_constraints:
        file=GENOME_FILE_RE,
    localrule: True
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        remote=get_genome_remote,
        timeout=GENOME_DATA["timeout"],
        retries=GENOME_DATA["retries"],
    script:
        "../scripts/download_genome_file.py"


rule decompress_chromosome:
    input:
        code=script_code("decompress_chromosome"),
        gz=get_genome_chromosome_gz,
    output:
        fasta=L.genome_chromosome(".fa"),
        fai=L.genome_chromosome(".fa.fai"),
    log:
        L.log("decompress_chromosome", "{chrom}"),
    wildcard_constraints:
        chrom=GENOME_CHROM_RE,
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        chrom="{chrom}",
    script:
        "../scripts/decompress_chromosome.py"


rule extract_fasta:
    input:
        code=script_code("extract_fasta"),
        anchors=get_genome_anchors,
        fastas=genome_chromosome_files(".fa"),
        fais=genome_chromosome_files(".fa.fai"),
    output:
        fasta=L.genome_set("sequences.fa"),
        labels=L.genome_set("labels.tsv"),
        windows=L.genome_set("windows.tsv"),
        counts=L.genome_set("counts.tsv"),
        summary=L.genome_set("summary.tsv"),
    log:
        L.log("extract_fasta", "{genome_set}"),
    wildcard_constraints:
        genome_set=GENOME_SET_RE,
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        spec=get_genome_set_spec,
        chromosomes=GENOME_CHROMS,
        genome_set="{genome_set}",
    script:
        "../scripts/extract_fasta.py"
