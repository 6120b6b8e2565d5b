"""The `lerobot` scenario kind: a local LeRobot dataset folder, v3.0 or v2.1
(balancebc.sources.lerobot), behaviors from its tasks. LeRobot datasets come without a
simulator that balancebc can drive, so evaluation is offline."""
from __future__ import annotations

from pathlib import Path

from balancebc import registry
from balancebc.errors import BalanceBCError
from balancebc.scenarios.base import GROUPS, POLICY, Offline, ScenarioKind, grouped_behaviors
from balancebc.sources import lerobot


class LeRobot(ScenarioKind):
    name = "lerobot"
    schema = {
        "description": "a local LeRobot dataset (v3.0 or v2.1), imported into robomimic's format",
        "required": ["path"],
        "properties": {
            "discover": {"$ref": "#/$defs/discover"},
            "policy": POLICY,
            "path": {"type": "string", "description": "the dataset folder (with meta/ and data/)"},
            "behaviors": {**GROUPS, "description": "optional grouping: behavior name -> task strings "
                          "(default: one behavior per task; episodes of tasks in no group are left out)"},
            "valid_fraction": {"$ref": "#/$defs/valid_fraction", "default": 0.2},
            "seed": {"type": "integer", "minimum": 0, "default": 0, "description": "draws the held-out episodes"},
        },
    }

    def check(self, scenario):
        try:
            lerobot.read_info(Path(scenario["path"]))
        except BalanceBCError as exc:
            return [f"path: {exc}"]
        return []

    def obs_keys(self, scenario):
        return lerobot.obs_keys(scenario["path"])

    def behaviors(self, scenario, masks):
        return grouped_behaviors(scenario, masks)

    def make_dataset(self, scenario, out):
        return lerobot.import_lerobot(scenario, out)

    def inputs(self, scenario):
        return [scenario["path"]]

    def evaluation(self, scenario, env_args):
        return Offline("a simulator for the LeRobot dataset's robot, which balancebc does not drive")


registry.SCENARIOS.register(LeRobot())
