# genomic-sparse-attention: do sparse, motif-centred attention models reproduce
# full attention on DNA? One config (config/config.yaml) drives every stage.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/phase1.smk"
include: "workflow/rules/phase2.smk"
include: "workflow/rules/phase3.smk"
include: "workflow/rules/phase2_winner.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        get_final_outputs(),
        joint_pipeline_teacher_outputs,
