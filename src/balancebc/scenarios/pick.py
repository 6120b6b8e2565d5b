"""The `pick` scenario kind: robosuite Lift with the block in one of several table regions,
one scripted expert per region; one behavior per region, imbalanced by per-region demo
counts. Success is reported per region."""
from __future__ import annotations

import numpy as np

from balancebc import registry
from balancebc.scenarios.base import BALANCED, SIMULATED, WITHOUT, Rollouts, ScenarioKind, demo_counts, demonstrated
from balancebc.sim import env as sim
from balancebc.sim.record import record_dataset


class Pick(ScenarioKind):
    name = "pick"
    schema = {
        "required": ["seed", "regions", "demos", "valid_fraction", "horizon"],
        "properties": {
            **SIMULATED,
            "regions": {"$ref": "#/$defs/regions", "minProperties": 2},
            "demos": {"description": "successful demos per region (one behavior per region)", "type": "object",
                      "minProperties": 1, "additionalProperties": {"type": "integer", "minimum": 1}},
            "balanced": BALANCED,
            "without": WITHOUT,
        },
    }

    def check(self, scenario):
        return demonstrated(scenario, list(scenario["regions"]))[1]

    def obs_keys(self, scenario):
        return sim.POLICY_OBS_KEYS

    def behaviors(self, scenario, masks):
        """One per region, but those left out (``without``), which are still evaluated."""
        return demonstrated(scenario, list(scenario["regions"]))[0]

    def evaluation(self, scenario, env_args):
        return Rollouts("region", list(scenario["regions"]), scenario["horizon"])

    def make_dataset(self, scenario, out):
        return record_dataset(self, scenario, out)

    def env_args(self, scenario: dict) -> dict:
        """robomimic ``env_args``: enough to re-create the environment (regions included)."""
        from balancebc.sim.pick_env import ENV_NAME
        return sim.env_args(ENV_NAME, scenario["horizon"], regions=scenario["regions"])

    def demo_plan(self, scenario: dict) -> list[tuple[str, str, dict | None]]:
        """(behavior, region, sloppiness) of every demo to record: one behavior per region."""
        counts = demo_counts(scenario)
        return [(r, r, None) for r in scenario["regions"] if r in counts for _ in range(counts[r])]

    def make_expert(self, unit: str, sloppiness: dict | None, seed: int):
        """The region expert; ``sloppiness`` (a scenario's ``suboptimal`` parameters) makes it sloppy."""
        from balancebc.sim.pick_expert import RegionExpert, SloppyExpert
        if sloppiness:
            return SloppyExpert(sloppiness["style"], sloppiness, np.random.default_rng(seed))
        return RegionExpert()


registry.SCENARIOS.register(Pick())
