# The study page: one self-contained HTML file of the whole study, results/report/index.html,
# rendered (Jinja2, no torch) from the tables and figures the phases wrote; which files:
# report_plan in common.smk. The template is an input, so editing it re-renders the page
# and nothing else. snakemake --report builds the other report (workflow/report/*.rst).


rule render_report:
    input:
        code=script_code("render_report"),
        template=str(REPORT_TEMPLATE),
        sources=str(REAL_SOURCES_YAML),
        files=report_inputs,
    output:
        page="results/report/index.html",
    log:
        L.log("render_report", "render_report"),
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        plan=report_plan(),
        config=report_config(),
        sources=report_sources(),
    script:
        "../scripts/render_report.py"
