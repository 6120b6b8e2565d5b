"""generate: the scenario kind makes (simulates) or imports the dataset, one robomimic file
with a filter key per behavior and ``train`` / ``valid``."""
from __future__ import annotations

from balancebc import paths, registry


def run(params: dict, scenario: str) -> None:
    spec = params["scenarios"][scenario]
    counts = registry.SCENARIOS[spec["kind"]].make_dataset(spec, paths.dataset(scenario))
    print(f"wrote {paths.dataset(scenario)}: demos per behavior {counts}")
