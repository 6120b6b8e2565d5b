# Shared by all rules: the validated config and the path conventions of the package.
import sys

from balancebc import paths
from balancebc.errors import BalanceBCError
from balancebc.params import validate

try:
    validate(config, "params.yaml")
except BalanceBCError as exc:
    sys.exit(str(exc))

SCENARIOS = list(config["scenarios"])
METHODS = list(config["methods"])
SEEDS = list(config["seeds"])


wildcard_constraints:
    scenario="[a-z][a-z0-9_]*",
    method="[a-z][a-z0-9_]*",
    seed="[0-9]+",
