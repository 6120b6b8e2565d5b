"""weights: per-behavior sampling weights of one method for one scenario and seed,
solved by the method's kind (``balancebc.balance.methods``), written as a weights file."""
from __future__ import annotations

from balancebc import paths, registry
from balancebc.balance.methods.base import Problem
from balancebc.io.atomic import read_json
from balancebc.io.integrity import verify_hdf5
from balancebc.scenarios.base import for_replicate


def run(params: dict, scenario: str, replicate: int, method: str, seed: int) -> None:
    spec, scenario_spec = params["methods"][method], for_replicate(params["scenarios"][scenario], replicate)
    kind = registry.SCENARIOS[scenario_spec["kind"]]
    verify_hdf5(paths.dataset(scenario, replicate), paths.labelled(scenario, replicate))
    problem = Problem(labels=read_json(paths.labels(scenario, replicate), "labels file"),
                      labelled=paths.labelled(scenario, replicate), obs_keys=kind.obs_keys(scenario_spec),
                      proxy=kind.proxy, seed=seed)
    weights = registry.METHODS[spec["kind"]].solve(method, spec, problem)
    weights.write(paths.weights(scenario, method, replicate, seed))
    if weights.reference_losses:
        print(f"{method}: reference losses {weights.reference_losses}")
    print(f"{method}: " + ", ".join(f"{b}={w:.3f}" for b, w in weights.weights.items()))
