"""evaluate: a trained policy judged per evaluation unit at each of its checkpoints (the
learning curve) — by rollouts (success per region or task, the same episode seeds at every
checkpoint) where the scenario has a simulator, otherwise offline (held-out action MSE per
behavior, plus what the scenario kind measures itself). ``units`` holds the end of
training; ``curve`` every checkpoint."""
from __future__ import annotations

from pathlib import Path

from balancebc import paths, registry, tracking
from balancebc.errors import BalanceBCError
from balancebc.io.atomic import write_json
from balancebc.io.integrity import verify_checkpoint, verify_hdf5
from balancebc.io.robomimic_hdf5 import env_args, open_dataset, read_labelled
from balancebc.io.weights_file import WeightsFile
from balancebc.params import all_scenarios
from balancebc.policies.base import curve_steps
from balancebc.scenarios.base import Rollouts, for_replicate
from balancebc.sim.rollout import rollouts


def _judge(kind, spec, how, env, checkpoints, labelled, weights_file, settings, seed, run) -> tuple[dict, dict]:
    """Each checkpoint's results per unit (by the checkpoint's name), and what the scenario
    measures overall at the last one; rollouts report their progress to the MLflow ``run``."""
    if isinstance(how, Rollouts):
        def progress(done, total):
            run.log_metrics({"episodes_done": done}, done, every_s=0 if done == total else 10)
        return rollouts(kind.policy, checkpoints, env, how.units, settings["episodes"], seed, settings["workers"],
                        kind.policy_obs_keys(spec), how.horizon, progress), {}
    results, extra = {}, {}
    for name, checkpoint in checkpoints.items():
        results[name] = registry.POLICIES[kind.policy].heldout_loss(checkpoint, labelled, kind.policy_obs_keys(spec))
        per_behavior, extra = kind.offline_extras(spec, checkpoint, WeightsFile.read(weights_file))
        for b, measured in per_behavior.items():
            results[name][b].update(measured)
    if how.why:
        extra["note"] = f"offline: held-out action MSE per behavior; rollouts of {spec['kind']!r} data need its simulator ({how.why})"
    return results, extra


def _require_heldout(labelled: str, spec: dict) -> None:
    """Offline evaluation needs a held-out demo of every behavior."""
    labels = read_labelled(labelled)
    held_out = {labels.demo_behavior[d] for d, split in labels.split.items() if split == "valid"}
    if missing := [b for b in labels.behaviors if b not in held_out]:
        raise BalanceBCError(f"{labelled}: behavior(s) {missing} have no held-out demo, so their held-out loss "
                             "is undefined; expected at least 2 demos per behavior (one is held out): give "
                             f"scenario {spec['kind']!r} more data for them")


def run(params: dict, scenario: str, replicate: int, method: str, seed: int) -> None:
    spec, settings = for_replicate(all_scenarios(params)[scenario], replicate), params["evaluate"]
    kind = registry.SCENARIOS[spec["kind"]]
    with open_dataset(paths.dataset(scenario, replicate)) as f:  # a clear error for a missing or corrupt file
        env = env_args(f)
    steps = curve_steps(kind.train_settings(params, spec), params["checkpoints"])
    files = paths.checkpoints(scenario, method, replicate, seed, list(steps))
    for checkpoint in files.values():
        if not Path(checkpoint).is_file():
            raise BalanceBCError(f"{checkpoint}: checkpoint not found (run the train stage first)")
        verify_checkpoint(checkpoint)
    verify_hdf5(paths.dataset(scenario, replicate), paths.labelled(scenario, replicate))
    how = kind.evaluation(spec, env)
    if not isinstance(how, Rollouts):
        _require_heldout(paths.labelled(scenario, replicate), spec)
    unit = how.unit if isinstance(how, Rollouts) else "behavior"
    with tracking.job_run(experiment=scenario, run_name=f"evaluate/{method}/rep{replicate}/seed{seed}",
                          params={**tracking.flatten("evaluate", settings), "seed": seed, "replicate": replicate,
                                  "checkpoint": files[1.0]},
                          tags={"stage": "evaluate", "method": method, "replicate": replicate, "seed": seed,
                                "scenario": scenario},
                          dataset=(f"{scenario}/rep{replicate}", paths.labelled(scenario, replicate))) as run:
        results, extra = _judge(kind, spec, how, env, files, paths.labelled(scenario, replicate),
                                paths.weights(scenario, method, replicate, seed), settings, seed, run)
        curve = [{"fraction": fraction, "step": steps[fraction], "units": results[fraction]} for fraction in files]
        result = curve[-1]["units"]
        if isinstance(how, Rollouts):
            metrics = {f"success/{u}": v["success_rate"] for u, v in result.items()}
        else:
            metrics = {f"{m}/{b}": v for b, r in result.items() for m, v in r.items() if m != "samples"}
            metrics.update({k: v for k, v in extra.items() if k.endswith("_distance")})
        out = paths.evaluation(scenario, method, replicate, seed)
        write_json(out, {"scenario": scenario, "replicate": replicate, "method": method, "seed": seed, "unit": unit,
                         "units": result, "curve": curve, **extra})
        print(" ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
        run.log_metrics(metrics)
        run.add_artifacts([out])
