# Phase 4: known-motif enrichment. scan_motifs scans every sequence of a data set with the
# JASPAR collection (memelite FIMO) once, for every model and seed; test_enrichment asks,
# per position set, whether the hits fall on it more than on the rest of the same
# sequences, and whether hits are more frequent in positives. Files: enrichment_plan in
# common.smk.


rule scan_motifs:
    input:
        code=script_code("scan_motifs"),
        encoded=L.data("encoded.npz"),
    output:
        hits=L.phase4("{dataset}/motif_hits.tsv"),
        motifs=report(
            L.phase4("{dataset}/motifs.tsv"),
            caption="../report/phase4_motif_scan.rst",
            category="Phase 4",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "JASPAR scan (table)"},
        ),
    log:
        L.log("scan_motifs", "{dataset}"),
    benchmark:
        L.benchmark("scan_motifs", "{dataset}")
    conda:
        "../../envs/motifs.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        enrichment=ENRICHMENT,
        numba_cache=NUMBA_CACHE,
    script:
        "../scripts/scan_motifs.py"


use rule scan_motifs as scan_motifs_draw with:
    input:
        code=script_code("scan_motifs"),
        encoded=L.data_draw("encoded.npz"),
    output:
        hits=L.phase4("{dataset}/draw{seed}/motif_hits.tsv"),
        motifs=L.phase4("{dataset}/draw{seed}/motifs.tsv"),
    log:
        L.log("scan_motifs_draw", L.draw_key()),
    benchmark:
        L.benchmark("scan_motifs_draw", L.draw_key())


rule test_enrichment:
    input:
        code=script_code("test_enrichment"),
        files=enrichment_inputs,
    output:
        positions=report(
            L.phase4("{dataset}/enrichment/positions.tsv"),
            caption="../report/phase4_enrichment.rst",
            category="Phase 4",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "result": "motif enrichment of position sets (table)",
            },
        ),
        per_seed=L.phase4("{dataset}/enrichment/positions_per_seed.tsv"),
        classes=report(
            L.phase4("{dataset}/enrichment/classes.tsv"),
            caption="../report/phase4_classes.rst",
            category="Phase 4",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "result": "motif hits in positives vs negatives (table)",
            },
        ),
    log:
        L.log("test_enrichment", "{dataset}"),
    benchmark:
        L.benchmark("test_enrichment", "{dataset}")
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        plan=get_enrichment_plan,
        enrichment=ENRICHMENT,
        dataset=get_dataset,
    script:
        "../scripts/test_enrichment.py"


# Phase 4 de novo motifs: seqlets around the runs of every position set of
# test_enrichment, clustered into PWMs (gsattn.denovo), matched to the scanned JASPAR
# collection with memelite's TOMTOM; logos beside the best match. Files: denovo_outputs
# in common.smk.
rule discover_motifs:
    input:
        code=script_code("discover_motifs"),
        files=enrichment_inputs,
    output:
        motifs=report(
            L.phase4("{dataset}/denovo/motifs.tsv"),
            caption="../report/phase4_denovo.rst",
            category="Phase 4",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "de novo motifs (table)"},
        ),
        matches=L.phase4("{dataset}/denovo/matches.tsv"),
        meme=L.phase4("{dataset}/denovo/motifs.meme"),
        logos=report(
            L.phase4("{dataset}/denovo/logos.png"),
            caption="../report/phase4_denovo_logos.rst",
            category="Phase 4",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "de novo motif logos (figure)"},
        ),
    log:
        L.log("discover_motifs", "{dataset}"),
    benchmark:
        L.benchmark("discover_motifs", "{dataset}")
    conda:
        "../../envs/motifs.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        plan=get_enrichment_plan,
        enrichment=ENRICHMENT,
        denovo=DENOVO,
        dataset=get_dataset,
    script:
        "../scripts/discover_motifs.py"


# Phase 4: which expected motifs one data set's models found (gsattn.expected): the
# planted motifs (synthetic), the families of expected_motifs (the promoter motifs) and
# every de novo best match, each by known-motif enrichment (model positions beyond the
# random control; positives vs negatives) and de novo.
rule summarize_expected_motifs:
    input:
        code=script_code("summarize_expected_motifs"),
        positions=L.phase4("{dataset}/enrichment/positions.tsv"),
        classes=L.phase4("{dataset}/enrichment/classes.tsv"),
        matches=L.phase4("{dataset}/denovo/matches.tsv"),
        denovo=L.phase4("{dataset}/denovo/motifs.tsv"),
        motifs=get_scanned_motifs,
    output:
        table=report(
            L.phase4("{dataset}/expected_motifs.tsv"),
            caption="../report/phase4_expected_motifs.rst",
            category="Phase 4",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "expected motifs found (table)"},
        ),
    log:
        L.log("summarize_expected_motifs", "{dataset}"),
    conda:
        "../../envs/motifs.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        expected=EXPECTED_MOTIFS,
        dataset="{dataset}",
    script:
        "../scripts/summarize_expected_motifs.py"


# Phase 4 TSS meta-profile: the position sets of test_enrichment (the same plan and
# gsattn.position_sets) per position relative to the TSS, for data sets with a
# `tss_index`; is the TATA region (-35..-20) selected more than a uniform set would?
# Files: tss_outputs in common.smk.
rule profile_tss:
    input:
        code=script_code("profile_tss"),
        files=tss_inputs,
    output:
        profile=L.phase4("{dataset}/tss_profile.tsv"),
        region=report(
            L.phase4("{dataset}/tss_region.tsv"),
            caption="../report/phase4_tss_region.rst",
            category="Phase 4",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "TSS region test (table)"},
        ),
        figure=report(
            L.phase4("{dataset}/tss_profile.png"),
            caption="../report/phase4_tss_profile.rst",
            category="Phase 4",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "result": "TSS meta-profile (figure)"},
        ),
    log:
        L.log("profile_tss", "{dataset}"),
    conda:
        "../../envs/model.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        plan=get_enrichment_plan,
        enrichment=ENRICHMENT,
        dataset=get_dataset,
        tss=get_tss,
    script:
        "../scripts/profile_tss.py"
