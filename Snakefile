# balancebc: generate → label → weights → train → evaluate → report.
# `snakemake --cores 8` runs everything; dvc.yaml mirrors this DAG stage for stage.
import os


# BALANCEBC_PARAMS picks another parameter file (e.g. params_paper.yaml); the jobs' own
# `balancebc` commands read the same variable.
configfile: os.environ.get("BALANCEBC_PARAMS", "params.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/policy.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        [paths.report_files(s) for s in SCENARIOS],
    default_target: True
