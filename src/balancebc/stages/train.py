"""train: the scenario's policy trained with the method's weights (sampled per behavior,
re-evaluated every 1% of the budget for scheduled methods); a checkpoint at each of
params.yaml's ``checkpoints`` (fractions of the budget; ``model.pth`` at the end),
``train_log.json`` with the per-epoch history, and one MLflow run."""
from __future__ import annotations

import itertools
import time
from pathlib import Path

from balancebc import paths, registry, tracking
from balancebc.io.atomic import write_json
from balancebc.io.integrity import verify_hdf5
from balancebc.io.robomimic_hdf5 import open_dataset
from balancebc.io.weights_file import WeightsFile
from balancebc.params import all_scenarios
from balancebc.policies.base import curve_steps
from balancebc.scenarios.base import for_replicate


def run(params: dict, scenario: str, replicate: int, method: str, seed: int) -> None:
    spec = for_replicate(all_scenarios(params)[scenario], replicate)
    kind = registry.SCENARIOS[spec["kind"]]
    labelled = paths.labelled(scenario, replicate)
    open_dataset(labelled).close()  # a clear error for a missing file
    verify_hdf5(paths.dataset(scenario, replicate), paths.labelled(scenario, replicate))
    weights = WeightsFile.read(paths.weights(scenario, method, replicate, seed))
    settings = kind.train_settings(params, spec)
    steps = curve_steps(settings, params["checkpoints"])
    files = paths.checkpoints(scenario, method, replicate, seed, list(steps))
    run_name = f"train/{method}/rep{replicate}/seed{seed}"
    with tracking.job_run(
            experiment=scenario, run_name=run_name, dataset=(f"{scenario}/rep{replicate}", labelled),
            params={**tracking.flatten("train", settings), **tracking.flatten("method", weights.spec), "seed": seed,
                    "replicate": replicate, "policy": kind.policy, "dataset": labelled},
            tags={"stage": "train", "method": method, "replicate": replicate, "seed": seed, "scenario": scenario}) as run:
        started, rows = time.time(), itertools.count()
        history = registry.POLICIES[kind.policy].train(
            labelled, weights.behaviors, weights.at_progress, settings,
            seed, kind.policy_obs_keys(spec), {steps[f]: files[f] for f in steps},
            on_epoch=lambda row: run.log_metrics(_metrics(row), next(rows)))  # live, row by row
        log = Path(paths.train_log(scenario, method, replicate, seed))
        write_json(log, {"scenario": scenario, "replicate": replicate, "method": method, "seed": seed,
                         "policy": kind.policy, "behaviors": weights.behaviors, "train": settings,
                         "checkpoints": {str(f): steps[f] for f in steps},
                         "seconds": round(time.time() - started, 1), "history": history, "final": history[-1]})
        run.add_artifacts([log, files[1.0]])


def _metrics(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("epoch", "step", "phase")}
