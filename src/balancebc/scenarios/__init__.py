"""Scenarios: named ways to obtain a labelled dataset and to evaluate each behavior, one
module per kind (each registers itself in ``balancebc.registry.SCENARIOS``).

A scenario's *behaviors* are what the weights balance (its filter keys); its *evaluation
units* are what evaluation reports on. In `pick` the two coincide (one behavior per
region), as in `multitask` (one per task); in `pick_suboptimal` the behaviors are
`optimal` / `suboptimal` demos spread over the regions, and success is still reported
per region. `calvin_pick` and `calvin_open` simulate in CALVIN's calvin_env (one behavior
per table area, or per task). `calvin`, `lerobot` and `robomimic` import data (balancebc.sources) instead of
simulating it.
"""
from balancebc.scenarios import calvin, calvin_open, calvin_pick, gaussian, lerobot, multitask, pick, pick_suboptimal, robomimic  # noqa: F401
