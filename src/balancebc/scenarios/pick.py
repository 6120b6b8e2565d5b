"""The `pick` and `pick_suboptimal` scenarios: environment arguments, which demos to
record, and the expert of each."""
from __future__ import annotations

import numpy as np

from balancebc.scenarios import sim


def env_args(scenario: dict) -> dict:
    """robomimic ``env_args``: enough to re-create the environment (regions included)."""
    from balancebc.scenarios.pick_env import ENV_NAME
    return sim.env_args(ENV_NAME, scenario["horizon"], regions=scenario["regions"])


def demo_plan(scenario: dict) -> list[tuple[str, str, dict | None]]:
    """(behavior, region, sloppiness) of every demo to record, behavior by behavior.
    `pick`: one behavior per region. `pick_suboptimal`: optimal and suboptimal demos,
    each spread over the regions in turn."""
    regions = list(scenario["regions"])
    if scenario["kind"] == "pick":
        return [(r, r, None) for r in regions for _ in range(scenario["demos"][r])]
    return [(b, regions[j % len(regions)], scenario["suboptimal"] if b == "suboptimal" else None)
            for b in ("optimal", "suboptimal") for j in range(scenario["demos"][b])]


def make_expert(unit: str, sloppiness: dict | None, seed: int):
    """The region expert; ``sloppiness`` (a scenario's ``suboptimal`` parameters) makes it sloppy."""
    from balancebc.scenarios.pick_expert import RegionExpert, SloppyExpert
    if sloppiness:
        return SloppyExpert(sloppiness["style"], sloppiness, np.random.default_rng(seed))
    return RegionExpert()
