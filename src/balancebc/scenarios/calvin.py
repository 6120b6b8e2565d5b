"""The `calvin` scenario kind: a dataset in CALVIN's on-disk layout (balancebc.sources.calvin),
behaviors from its language annotations' task names. CALVIN's simulator is not on the
package index, so evaluation is offline."""
from __future__ import annotations

from balancebc import registry
from balancebc.scenarios.base import GROUPS, POLICY, Offline, ScenarioKind, grouped_behaviors
from balancebc.sources import calvin


class Calvin(ScenarioKind):
    name = "calvin"
    schema = {
        "description": "a dataset in CALVIN's on-disk layout, imported into robomimic's format",
        "required": ["path"],
        "properties": {
            "discover": {"$ref": "#/$defs/discover"},
            "policy": POLICY,
            "path": {"type": "string", "description": "the folder with training/ and validation/"},
            "behaviors": {**GROUPS, "description": "optional grouping: behavior name -> CALVIN task names "
                          "(default: one behavior per task; tasks in no group are left out)"},
        },
    }

    def obs_keys(self, scenario):
        return calvin.OBS_KEYS

    def behaviors(self, scenario, masks):
        return grouped_behaviors(scenario, masks)

    def make_dataset(self, scenario, out):
        return calvin.import_calvin(scenario, out)

    def inputs(self, scenario):
        return [scenario["path"]]

    def evaluation(self, scenario, env_args):
        return Offline("CALVIN's calvin_env, which is not installable from the package index")


registry.SCENARIOS.register(Calvin())
