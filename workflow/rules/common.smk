# Shared by all rules: the validated config and the path conventions of the package.
import os
import sys

from balancebc import paths
from balancebc.errors import BalanceBCError
from balancebc.params import validate

try:
    validate(config, os.environ.get("BALANCEBC_PARAMS", "params.yaml"))
except BalanceBCError as exc:
    sys.exit(str(exc))

SCENARIOS = list(config["scenarios"])
METHODS = list(config["methods"])
SEEDS = list(config["seeds"])


wildcard_constraints:
    scenario="[a-z][a-z0-9_]*",
    method="[a-z][a-z0-9_]*",
    seed="[0-9]+",


def balance_settings(method):
    """The solver settings a method's jobs depend on (none for methods without a solver),
    so that editing them reruns only the DRO methods."""
    return config["balance"] if config["methods"][method]["kind"] == "dro" else None


def imported_source(scenario):
    """The folder or file an imported scenario reads (so that Snakemake reruns on change)."""
    return [config["scenarios"][scenario]["path"]] if "path" in config["scenarios"][scenario] else []


def requests(stage):
    """A stage's memory (mem_mb) and wall-clock limit (runtime, minutes) from params.yaml's
    `resources`; a profile's set-resources overrides them per rule."""
    return config["resources"][stage]
