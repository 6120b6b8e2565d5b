"""generate: the scenario kind makes (simulates) or imports the dataset, one robomimic file
with a filter key per behavior and ``train`` / ``valid``."""
from __future__ import annotations

from balancebc import paths, registry
from balancebc.params import all_scenarios
from balancebc.scenarios.base import for_replicate


def run(params: dict, scenario: str, replicate: int) -> None:
    spec = for_replicate(all_scenarios(params)[scenario], replicate)
    out = paths.dataset(scenario, replicate)
    counts = registry.SCENARIOS[spec["kind"]].make_dataset(spec, out)
    print(f"wrote {out} (seed {spec.get('seed')}): demos per behavior {counts}")
