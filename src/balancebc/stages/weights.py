"""weights: per-behavior sampling weights of one method for one scenario and seed,
solved by the method's kind (``balancebc.balance.methods``) through ``balancebc.solve_weights``,
written as a weights file and exported for other trainers (``balancebc.io.export``)."""
from __future__ import annotations

from balancebc import paths, registry
from balancebc.balance.solve import solve_weights
from balancebc.io.export import export_weights
from balancebc.io.integrity import verify_hdf5
from balancebc.io.robomimic_hdf5 import read_labelled
from balancebc.params import all_scenarios
from balancebc.scenarios.base import for_replicate


def run(params: dict, scenario: str, replicate: int, method: str, seed: int) -> None:
    spec, scenario_spec = params["methods"][method], for_replicate(all_scenarios(params)[scenario], replicate)
    kind = registry.SCENARIOS[scenario_spec["kind"]]
    verify_hdf5(paths.dataset(scenario, replicate), paths.labelled(scenario, replicate))
    labelled = read_labelled(paths.labelled(scenario, replicate))
    weights = solve_weights(spec, labelled, obs_keys=kind.obs_keys(scenario_spec), seed=seed, proxy=kind.proxy,
                            name=method)
    export_weights(weights, labelled, paths.export(scenario, method, replicate, seed))
    weights.write(paths.weights(scenario, method, replicate, seed))
    if weights.reference_losses:
        print(f"{method}: reference losses {weights.reference_losses}")
    print(f"{method}: " + ", ".join(f"{b}={w:.3f}" for b, w in weights.weights.items()))
