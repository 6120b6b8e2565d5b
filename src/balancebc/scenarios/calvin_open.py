"""The `calvin_open` scenario kind, the paper's opening experiment in CALVIN's simulator:
open the drawer when the light bulb is on, move the sliding door left when it is off. The
bulb's state, set at reset, is in the observation (``scene_obs``), so the policy can tell
which to do. One behavior per task, imbalanced by per-behavior demo counts; demos and
rollouts are judged by calvin_env's own oracle (``open_drawer``, ``move_slider_left``)."""
from __future__ import annotations

import numpy as np

from balancebc import registry
from balancebc.scenarios.base import BALANCED, WITHOUT, Rollouts, ScenarioKind, demo_counts
from balancebc.scenarios.calvin_pick import CALVIN, OBS_KEYS, calvin_problems
from balancebc.sim import calvin_env
from balancebc.sim.record import record_dataset

# behavior → calvin_env's oracle task and the light bulb's state at reset
BEHAVIORS = {"drawer": {"task": "open_drawer", "light": 1}, "slider": {"task": "move_slider_left", "light": 0}}


class CalvinOpen(ScenarioKind):
    name = "calvin_open"
    schema = {
        "description": "CALVIN: open the drawer (light bulb on) or move the sliding door (bulb off)",
        "required": ["seed", "demos", "valid_fraction", "horizon"],
        "properties": {
            **CALVIN,
            "demos": {"description": f"successful demos per behavior, of {sorted(BEHAVIORS)}", "type": "object",
                      "minProperties": 1, "additionalProperties": {"type": "integer", "minimum": 1}},
            "balanced": BALANCED,
            "without": {**WITHOUT, "items": {"enum": sorted(BEHAVIORS)}},
        },
    }

    def check(self, scenario):
        unknown = sorted(set(scenario["demos"]) - set(BEHAVIORS))
        problems = [f"demos.{b}: no expert for behavior {b!r} (expected some of {sorted(BEHAVIORS)})"
                    for b in unknown]
        problems += [f"without: {b!r} also has demos; expected it in one of `demos` and `without`"
                     for b in scenario.get("without", []) if b in scenario["demos"]]
        if len(self.units_of(scenario)) < 2:
            problems.append(f"demos: {sorted(scenario['demos'])}: expected two tasks to tell apart, with "
                            "demos or in `without`")
        return problems + calvin_problems(scenario)

    def units_of(self, scenario: dict) -> list[str]:
        """The tasks evaluated: those with demos, then those left out (``without``)."""
        return list(scenario["demos"]) + [b for b in scenario.get("without", []) if b not in scenario["demos"]]

    def obs_keys(self, scenario):
        return OBS_KEYS

    def behaviors(self, scenario, masks):
        return list(scenario["demos"])

    def evaluation(self, scenario, env_args):
        return Rollouts("task", self.units_of(scenario), scenario["horizon"])

    def make_dataset(self, scenario, out):
        return record_dataset(self, scenario, out)

    def env_args(self, scenario: dict) -> dict:
        units = {b: BEHAVIORS[b] for b in self.units_of(scenario)}
        return calvin_env.env_args(self.name, scenario.get("scene", "calvin_scene_D"), scenario["horizon"], units,
                                   scenario.get("cameras"), scenario.get("image_size", 84))

    def demo_plan(self, scenario: dict) -> list[tuple[str, str, None]]:
        return [(b, b, None) for b, n in demo_counts(scenario).items() for _ in range(n)]

    def make_expert(self, unit: str, sloppiness: None, seed: int):
        from balancebc.sim.calvin_expert import EXPERTS
        return EXPERTS[unit](np.random.default_rng(seed))


registry.SCENARIOS.register(CalvinOpen())
