# Shared by all rules: the validated config (defaults filled in), the path conventions of
# the package, and the input functions.
import copy
import os
import sys
import time
import uuid

from balancebc import paths, registry, tracking
from balancebc.errors import BalanceBCError
from balancebc.params import all_scenarios, methods_of, section, snapshot, validate

# The jobs' own `balancebc` commands read the config this run has: params.yaml, or its
# composition with --configfile overlays and --config values (written under .balancebc/).
PARAMS_FILE = snapshot(copy.deepcopy(config))
os.environ.update(BALANCEBC_PARAMS=PARAMS_FILE)
try:
    validate(config, PARAMS_FILE)
except BalanceBCError as exc:
    sys.exit(str(exc))

SCENARIOS = list(all_scenarios(config))  # the controls too (trained with the baseline alone)
SEEDS = list(config["seeds"])
REPLICATES = list(config["replicates"])
# a policy's checkpoints along its training budget (the learning curve): model.pth at the end
CHECKPOINTS = list(paths.checkpoints("{scenario}", "{method}", "{replicate}", "{seed}", config["checkpoints"]).values())

# One id for this invocation, inherited by every job (SLURM jobs too): their MLflow runs
# carry it and hang under one parent run per scenario (balancebc.tracking).
os.environ.setdefault(tracking.INVOCATION, time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])


wildcard_constraints:
    scenario="[a-z][a-z0-9_]*",
    method="[a-z][a-z0-9_]*",
    seed="[0-9]+",
    replicate="[0-9]+",


def depends_on(stage):
    """A rule's params: the params.yaml values its jobs depend on (paths.PARAMS_DEPS), each
    named after its top-level key, so that editing one reruns exactly these jobs."""

    def value(key):
        def lookup(wildcards):
            node, job = config, dict(wildcards.items())
            if "scenario" in job:
                job["section"] = section(config, job["scenario"])
            for part in key.format(**job).split("."):
                node = node[part]
            return node

        return lookup

    return {key.split(".")[0].strip("{}"): value(key) for key in paths.PARAMS_DEPS[stage]}


def scenario_params(wildcards):
    return all_scenarios(config)[wildcards.scenario]


def scenario_kind(wildcards):
    return registry.SCENARIOS[scenario_params(wildcards)["kind"]]


def imported_source(wildcards):
    """What an importing scenario reads from outside (so that Snakemake reruns on change)."""
    return scenario_kind(wildcards).inputs(scenario_params(wildcards))


def every_policy(path):
    """An input function: ``path(scenario, method, replicate, seed)`` of each method the
    scenario trains (a control: the baseline alone), dataset replicate and seed."""
    return lambda wildcards: [path(wildcards.scenario, m, r, s) for m in methods_of(config, wildcards.scenario)
                              for r in REPLICATES for s in SEEDS]



def requests(stage):
    """A stage's memory (mem_mb) and wall-clock limit (runtime, minutes) from params.yaml's
    `resources`; a profile's set-resources overrides them per rule."""
    return config["resources"][stage]
