"""evaluate: a trained policy judged per evaluation unit — by rollouts (success per region
or task) where the scenario has a simulator, otherwise offline (held-out action MSE per
behavior, plus what the scenario kind measures itself)."""
from __future__ import annotations

from pathlib import Path

from balancebc import paths, registry, tracking
from balancebc.errors import BalanceBCError
from balancebc.io.atomic import write_json
from balancebc.io.robomimic_hdf5 import env_args, open_dataset
from balancebc.io.weights_file import WeightsFile
from balancebc.scenarios.base import Rollouts
from balancebc.scenarios.rollout import rollouts


def run(params: dict, scenario: str, method: str, seed: int) -> None:
    spec, settings = params["scenarios"][scenario], params["evaluate"]
    kind = registry.SCENARIOS[spec["kind"]]
    dataset = paths.dataset(scenario)
    with open_dataset(dataset) as f:  # a clear error for a missing or corrupt file
        env = env_args(f)
    checkpoint = paths.checkpoint(scenario, method, seed)
    if not Path(checkpoint).is_file():
        raise BalanceBCError(f"{checkpoint}: checkpoint not found (run the train stage first)")
    how, extra = kind.evaluation(spec, env), {}
    if isinstance(how, Rollouts):
        unit = how.unit
        result = rollouts(kind.policy, checkpoint, env, how.units, settings["episodes"], seed, settings["workers"],
                          kind.obs_keys(spec), how.horizon)
        metrics = {f"success/{u}": v["success_rate"] for u, v in result.items()}
    else:
        unit = "behavior"
        result = registry.POLICIES[kind.policy].heldout_loss(checkpoint, paths.labelled(scenario), kind.obs_keys(spec))
        per_behavior, extra = kind.offline_extras(spec, checkpoint, WeightsFile.read(paths.weights(scenario, method,
                                                                                                   seed)))
        for b, measured in per_behavior.items():
            result[b].update(measured)
        if how.why:
            extra["note"] = f"offline: held-out action MSE per behavior; rollouts of {spec['kind']!r} data need its simulator ({how.why})"
        metrics = {f"{m}/{b}": v for b, r in result.items() for m, v in r.items() if m != "samples"}
        metrics.update({k: v for k, v in extra.items() if k.endswith("_distance")})
    out = paths.evaluation(scenario, method, seed)
    write_json(out, {"scenario": scenario, "method": method, "seed": seed, "unit": unit, "units": result, **extra})
    print(" ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
    tracking.log_run(experiment=scenario, run_name=f"evaluate/{method}/seed{seed}",
                     params={**tracking.flatten("evaluate", settings), "seed": seed, "checkpoint": checkpoint},
                     tags={"stage": "evaluate", "method": method, "seed": seed, "scenario": scenario},
                     metrics=metrics, artifacts=[out])
