# genomic-sparse-attention: do sparse, motif-centred attention models reproduce
# full attention on DNA? One config (config/config.yaml) drives every stage.
from snakemake.utils import min_version

min_version("9.0")


# The default study, unless --configfile names the user's own: that file then
# replaces it (Snakemake would otherwise merge it over this one). --config
# key=value applies over whichever file is used.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/phase1.smk"
include: "workflow/rules/phase2.smk"
include: "workflow/rules/phase3.smk"
include: "workflow/rules/learning_curve.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        get_final_outputs(),
        joint_pipeline_teacher_outputs,
