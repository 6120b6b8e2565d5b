"""Scenarios: named ways to obtain a labelled dataset and to evaluate each behavior.

A scenario's *behaviors* are what the weights balance (its filter keys); its *rollout
units* are what evaluation reports success for. In `pick` the two coincide (one
behavior per region), as in `multitask` (one per task); in `pick_suboptimal` the
behaviors are `optimal` / `suboptimal` demos spread over the regions, and success is
still reported per region.
"""
from __future__ import annotations

SUBOPTIMAL_BEHAVIORS = ("optimal", "suboptimal")
SIMULATED = ("pick", "pick_suboptimal", "multitask")


def simulation(kind: str):
    """The module that knows a simulated scenario's env_args, demo plan and experts."""
    from balancebc.scenarios import multitask, pick
    return multitask if kind == "multitask" else pick


def behaviors(scenario: dict, dataset_masks: list[str] | None = None) -> list[str]:
    """The behaviors a scenario's dataset is labelled with. An imported dataset without a
    ``behaviors`` grouping has one per task: its filter keys other than train / valid."""
    kind = scenario["kind"]
    if kind == "gaussian":
        return list(scenario["samples"])
    if kind == "pick":
        return list(scenario["regions"])
    if kind == "multitask":
        return list(scenario["demos"])
    if kind == "pick_suboptimal":
        return list(SUBOPTIMAL_BEHAVIORS)
    if scenario.get("behaviors"):
        return list(scenario["behaviors"])
    return [m for m in dataset_masks or [] if m not in ("train", "valid")]


def rollout_units(scenario: dict) -> tuple[str, list[str]] | None:
    """What rollouts report success per ("region" or "task") and their names; None for
    scenarios without a simulator of their own."""
    if scenario["kind"] == "multitask":
        return "task", list(scenario["demos"])
    if scenario["kind"] in SIMULATED:
        return "region", list(scenario["regions"])
    return None
