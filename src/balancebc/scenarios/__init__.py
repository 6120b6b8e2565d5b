"""Scenarios: named ways to obtain a labelled dataset and to evaluate each behavior.

A scenario's *behaviors* are what the weights balance (its filter keys); its *rollout
regions* are what evaluation reports success for. In `pick` the two coincide (one
behavior per region); in `pick_suboptimal` the behaviors are `optimal` / `suboptimal`
demos spread over the regions, and success is still reported per region.
"""
from __future__ import annotations

SUBOPTIMAL_BEHAVIORS = ("optimal", "suboptimal")
SIMULATED = ("pick", "pick_suboptimal")


def behaviors(scenario: dict) -> list[str]:
    kind = scenario["kind"]
    if kind == "gaussian":
        return list(scenario["samples"])
    if kind == "pick":
        return list(scenario["regions"])
    return list(SUBOPTIMAL_BEHAVIORS)


def rollout_regions(scenario: dict) -> list[str] | None:
    """The regions evaluated by rollouts; None for scenarios evaluated offline."""
    return list(scenario["regions"]) if scenario["kind"] in SIMULATED else None
