# The workflow lives in workflow/Snakefile, where the Snakemake workflow catalog
# and `module` deployments look for it; this file runs it from the repository
# root (`snakemake` finds ./Snakefile first).
include: "workflow/Snakefile"


# An included file's default target does not carry over to the including one,
# so the default target is named again here: the same files as `rule all`.
rule default:
    default_target: True
    input:
        rules.all.input,
