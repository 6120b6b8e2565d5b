"""The `robomimic` scenario kind: bring your own robomimic HDF5 file (balancebc.sources.robomimic),
behaviors from its filter keys. With a robosuite env in its ``env_args`` and a ``horizon``,
evaluation rolls out its task; otherwise it is offline."""
from __future__ import annotations

from balancebc import registry
from balancebc.scenarios.base import GROUPS, POLICY, Offline, Rollouts, ScenarioKind, grouped_behaviors
from balancebc.sources import robomimic

ROBOSUITE = 1  # robomimic's EnvType.ROBOSUITE_TYPE


class Robomimic(ScenarioKind):
    name = "robomimic"
    schema = {
        "description": "your own robomimic HDF5 file, behaviors from its filter keys",
        "required": ["path", "behaviors", "obs_keys"],
        "properties": {
            "discover": {"$ref": "#/$defs/discover"},
            "policy": POLICY,
            "path": {"type": "string"},
            "behaviors": {**GROUPS, "description": "behavior name -> the file's filter keys (mask/<key>) "
                          "whose demos it holds; every demo in exactly one"},
            "obs_keys": {"type": "array", "minItems": 1, "items": {"type": "string"},
                         "description": "low-dimensional obs/<key> the policy sees"},
            "valid_key": {"type": "string",
                          "description": "the file's filter key of held-out demos (default: a share of each behavior)"},
            "valid_fraction": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5, "default": 0.1},
            "seed": {"type": "integer", "minimum": 0, "default": 0},
            "horizon": {"type": "integer", "minimum": 1,
                        "description": "rollout steps; with a robosuite env in env_args, evaluation rolls out"},
        },
    }

    def obs_keys(self, scenario):
        return scenario["obs_keys"]

    def behaviors(self, scenario, masks):
        return grouped_behaviors(scenario, masks)

    def make_dataset(self, scenario, out):
        return robomimic.import_robomimic(scenario, out)

    def inputs(self, scenario):
        return [scenario["path"]]

    def evaluation(self, scenario, env_args):
        if env_args.get("type") == ROBOSUITE and "horizon" in scenario:
            return Rollouts("task", None, scenario["horizon"])
        return Offline("a robosuite env in the file's env_args and `horizon` in the scenario")


registry.SCENARIOS.register(Robomimic())
