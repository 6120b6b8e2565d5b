"""train: the scenario's policy trained with the method's weights (sampled per behavior,
re-evaluated every epoch for scheduled methods); ``model.pth``, ``train_log.json`` with
the per-epoch history, and one MLflow run."""
from __future__ import annotations

import time
from pathlib import Path

from balancebc import paths, registry, tracking
from balancebc.io.atomic import write_json
from balancebc.io.robomimic_hdf5 import open_dataset
from balancebc.io.weights_file import WeightsFile


def run(params: dict, scenario: str, method: str, seed: int) -> None:
    spec = params["scenarios"][scenario]
    kind = registry.SCENARIOS[spec["kind"]]
    labelled = paths.labelled(scenario)
    open_dataset(labelled).close()  # a clear error for a missing or corrupt file
    weights = WeightsFile.read(paths.weights(scenario, method, seed))
    schedule = registry.METHODS[weights.spec["kind"]]
    settings = kind.train_settings(params, spec)
    started = time.time()
    checkpoint = paths.checkpoint(scenario, method, seed)
    history = registry.POLICIES[kind.policy].train(
        labelled, weights.behaviors, lambda progress: schedule.at_progress(weights, progress), settings,
        seed, kind.obs_keys(spec), checkpoint)
    log = Path(paths.train_log(scenario, method, seed))
    write_json(log, {"scenario": scenario, "method": method, "seed": seed, "policy": kind.policy,
                     "behaviors": weights.behaviors, "train": settings, "seconds": round(time.time() - started, 1),
                     "history": history, "final": history[-1]})
    tracking.log_run(
        experiment=scenario, run_name=f"train/{method}/seed{seed}",
        params={**tracking.flatten("train", settings), **tracking.flatten("method", weights.spec), "seed": seed,
                "policy": kind.policy, "dataset": labelled},
        tags={"stage": "train", "method": method, "seed": seed, "scenario": scenario},
        history=[{k: v for k, v in row.items() if k not in ("epoch", "step")} for row in history],
        artifacts=[log, checkpoint])
