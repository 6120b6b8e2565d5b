"""The `multitask` scenario: two tasks in one scene (lift cube A, or stack it on cube B),
the task a flag in the observation; one behavior per task, imbalanced by per-task counts."""
from __future__ import annotations

from balancebc.scenarios import sim


def env_args(scenario: dict) -> dict:
    from balancebc.scenarios.multitask_env import ENV_NAME
    return sim.env_args(ENV_NAME, scenario["horizon"])


def demo_plan(scenario: dict) -> list[tuple[str, str, None]]:
    """(behavior, task, sloppiness) of every demo: the behavior is the task."""
    return [(t, t, None) for t, n in scenario["demos"].items() for _ in range(n)]


def make_expert(unit: str, sloppiness: None, seed: int):
    from balancebc.scenarios.multitask_expert import TaskExpert
    return TaskExpert(unit)
