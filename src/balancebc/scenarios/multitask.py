"""The `multitask` scenario kind: two tasks in one scene (lift cube A, or stack it on cube
B), the task a flag in the observation; one behavior per task, imbalanced by per-task
counts. Success is reported per task."""
from __future__ import annotations

from balancebc import registry
from balancebc.scenarios.base import BALANCED, SIMULATED, Rollouts, ScenarioKind, demo_counts
from balancebc.sim import env as sim
from balancebc.sim.record import record_dataset


class Multitask(ScenarioKind):
    name = "multitask"
    schema = {
        "description": "two tasks in one scene (lift cube A, or stack it on cube B), a task flag in the observation",
        "required": ["seed", "demos", "valid_fraction", "horizon"],
        "properties": {
            **SIMULATED,
            "horizon": {"type": "integer", "minimum": 10, "description": "the stack expert needs about 85 steps"},
            "demos": {"description": "successful demos per task (one behavior per task)", "type": "object",
                      "minProperties": 2, "additionalProperties": False,
                      "properties": {"lift": {"type": "integer", "minimum": 1},
                                     "stack": {"type": "integer", "minimum": 1}}},
            "balanced": BALANCED,
            "cube_b_at": {"type": "array", "items": {"type": "number", "minimum": -0.08, "maximum": 0.08},
                          "minItems": 2, "maxItems": 2,
                          "description": "cube B's fixed (x, y) in m from the table centre, no rotation (the "
                                         "drawer / slider analogue: the stack target stays put); absent: both "
                                         "cubes at random"},
        },
    }

    def obs_keys(self, scenario):
        return sim.POLICY_OBS_KEYS

    def behaviors(self, scenario, masks):
        return list(scenario["demos"])

    def evaluation(self, scenario, env_args):
        return Rollouts("task", list(scenario["demos"]), scenario["horizon"])

    def make_dataset(self, scenario, out):
        return record_dataset(self, scenario, out)

    def env_args(self, scenario: dict) -> dict:
        from balancebc.sim.multitask_env import ENV_NAME
        fixed = {"cube_b_at": scenario["cube_b_at"]} if "cube_b_at" in scenario else {}
        return sim.env_args(ENV_NAME, scenario["horizon"], **fixed)

    def demo_plan(self, scenario: dict) -> list[tuple[str, str, None]]:
        """(behavior, task, sloppiness) of every demo: the behavior is the task."""
        return [(t, t, None) for t, n in demo_counts(scenario).items() for _ in range(n)]

    def make_expert(self, unit: str, sloppiness: None, seed: int):
        from balancebc.sim.multitask_expert import TaskExpert
        return TaskExpert(unit)


registry.SCENARIOS.register(Multitask())
