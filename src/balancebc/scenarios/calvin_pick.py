"""The `calvin_pick` scenario kind, the paper's picking experiment in CALVIN's simulator:
lift the red block placed in one of several areas of the play table (left, middle, right);
one behavior per area, imbalanced by per-area demo counts. Demos come from a scripted
lift expert, kept only where calvin_env's own oracle (``lift_red_block_table``) says the
block was lifted; success of a rollout is judged the same way, per area."""
from __future__ import annotations

import numpy as np

from balancebc import registry
from balancebc.scenarios.base import BALANCED, WITHOUT, Rollouts, ScenarioKind, demo_counts, demonstrated
from balancebc.scenarios.base import SIMULATED as _SIMULATED
from balancebc.sim import calvin_env
from balancebc.sim.record import record_dataset

OBS_KEYS = ["robot_obs", "scene_obs"]
LIFT = "lift_red_block_table"
CALVIN = {
    **{k: v for k, v in _SIMULATED.items() if k not in ("cameras", "discover")},
    "scene": {"enum": calvin_env.SCENES, "default": "calvin_scene_D", "description": "CALVIN's scene (table A-D)"},
    "cameras": {"type": "array", "uniqueItems": True, "items": {"enum": list(calvin_env.CAMERAS)},
                "description": "calvin_env cameras recorded as RGB images (obs/<camera>_image) the policy sees"},
}
AREA = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}


def calvin_problems(scenario: dict) -> list[str]:
    """What a CALVIN scenario cannot run without: calvin_env itself."""
    return [f"kind: {scenario['kind']} simulates in CALVIN, but {calvin_env.INSTALL}"] if calvin_env.missing() else []


class CalvinPick(ScenarioKind):
    name = "calvin_pick"
    schema = {
        "description": "CALVIN: lift the red block from one of several table areas",
        "required": ["seed", "areas", "demos", "valid_fraction", "horizon"],
        "properties": {
            **CALVIN,
            "areas": {"type": "object", "minProperties": 2,
                      "description": "table areas where the red block is placed: x and y ranges (m) in the "
                                     "scene's frame (+x is to the robot's right)",
                      "additionalProperties": {"type": "object", "required": ["x", "y"], "additionalProperties": False,
                                               "properties": {"x": AREA, "y": AREA}}},
            "demos": {"description": "successful demos per area (one behavior per area)", "type": "object",
                      "minProperties": 1, "additionalProperties": {"type": "integer", "minimum": 1}},
            "balanced": BALANCED,
            "without": WITHOUT,
        },
    }

    def check(self, scenario):
        problems = demonstrated(scenario, list(scenario["areas"]))[1]
        if missing := calvin_problems(scenario):
            return problems + missing
        tx, ty = calvin_env.table(scenario.get("scene", "calvin_scene_D"))
        for name, area in scenario["areas"].items():
            for axis, (lo, hi), (tlo, thi) in (("x", area["x"], tx), ("y", area["y"], ty)):
                if not tlo <= lo <= hi <= thi:
                    problems.append(f"areas.{name}.{axis}: [{lo}, {hi}] is not an interval within the table's "
                                    f"top [{tlo}, {thi}] of {scenario.get('scene', 'calvin_scene_D')}")
        return problems

    def obs_keys(self, scenario):
        return OBS_KEYS

    def behaviors(self, scenario, masks):
        """One per area, but those left out (``without``), which are still evaluated."""
        return demonstrated(scenario, list(scenario["areas"]))[0]

    def evaluation(self, scenario, env_args):
        return Rollouts("area", list(scenario["areas"]), scenario["horizon"])

    def make_dataset(self, scenario, out):
        return record_dataset(self, scenario, out)

    def units(self, scenario: dict) -> dict:
        return {a: {"task": LIFT, "block": dict(spec)} for a, spec in scenario["areas"].items()}

    def env_args(self, scenario: dict) -> dict:
        return calvin_env.env_args(self.name, scenario.get("scene", "calvin_scene_D"), scenario["horizon"],
                                   self.units(scenario), scenario.get("cameras"), scenario.get("image_size", 84))

    def demo_plan(self, scenario: dict) -> list[tuple[str, str, dict | None]]:
        counts = demo_counts(scenario)
        return [(a, a, None) for a in scenario["areas"] if a in counts for _ in range(counts[a])]

    def make_expert(self, unit: str, sloppiness: dict | None, seed: int):
        from balancebc.sim.calvin_expert import LiftExpert
        return LiftExpert(np.random.default_rng(seed))


registry.SCENARIOS.register(CalvinPick())
