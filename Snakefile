# balancebc: generate → label → weights → train → evaluate → report.
# `snakemake --cores 8` runs everything; dvc.yaml mirrors this DAG stage for stage.
import os

from snakemake.utils import min_version

min_version("9.0")


# A study's params are an overlay over these: snakemake --configfile params_claims.yaml
configfile: "params.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/policy.smk"
include: "workflow/rules/report.smk"


onstart:
    tracking.start_invocation(SCENARIOS, os.environ[tracking.INVOCATION])


onsuccess:
    tracking.end_invocation(SCENARIOS, os.environ[tracking.INVOCATION], "FINISHED")


onerror:
    tracking.end_invocation(SCENARIOS, os.environ[tracking.INVOCATION], "FAILED")


rule all:
    input:
        [paths.report_files(s) for s in SCENARIOS],
        paths.claims_files(),
    default_target: True
