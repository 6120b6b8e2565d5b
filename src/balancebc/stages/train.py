"""train: a robomimic BC policy trained with per-behavior sampling weights.

robomimic's config, algorithm (``algo_factory``), ``SequenceDataset`` and ``run_epoch``
do the training; balancebc only supplies the sampler. A sample of behavior k is drawn
with probability w_k / n_k (n_k: the behavior's training samples), so behavior k makes up
a share w_k of every batch in expectation. Scheduled weights (temperature warming) are
re-evaluated at the start of each epoch.
"""
from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np

from balancebc.io.atomic import atomic_path, write_json
from balancebc.stages.weights import at_progress

DATASET_KEYS = ("actions", "rewards", "dones")


def make_config(dataset: str, obs_keys: list[str], train: dict, seed: int):
    from robomimic.config import config_factory
    config = config_factory("bc")
    with config.values_unlocked():
        config.train.data = str(dataset)
        config.train.seed = seed
        config.train.batch_size = train["batch_size"]
        config.train.num_epochs = -(-train["steps"] // train["steps_per_epoch"])
        config.experiment.epoch_every_n_steps = train["steps_per_epoch"]
        config.train.hdf5_cache_mode = "all"
        config.train.hdf5_filter_key = "train"
        config.train.hdf5_validation_filter_key = "valid"
        config.train.seq_length = 1
        config.train.frame_stack = 1
        config.train.dataset_keys = DATASET_KEYS
        config.train.cuda = False
        config.observation.modalities.obs.low_dim = list(obs_keys)
        config.observation.modalities.obs.rgb = []
        config.algo.actor_layer_dims = list(train["hidden"])
        config.algo.optim_params.policy.learning_rate.initial = train["learning_rate"]
        decay = train.get("lr_decay")
        if decay:  # robomimic's MultiStepLR, stepped once per epoch
            config.algo.optim_params.policy.learning_rate.epoch_schedule = [
                max(1, round(decay["at"] * config.train.num_epochs))]
            config.algo.optim_params.policy.learning_rate.decay_factor = decay["factor"]
        config.algo.gmm.enabled = False
        config.experiment.validate = True
    return config


def make_dataset(config, obs_keys, filter_key):
    import robomimic.utils.train_utils as TrainUtils
    return TrainUtils.dataset_factory(config, obs_keys, filter_by_attribute=filter_key)


def sample_behaviors(dataset, demo_behavior: dict[str, str], behaviors: list[str]) -> np.ndarray:
    """Behavior index of every sample of a robomimic SequenceDataset."""
    index = {b: i for i, b in enumerate(behaviors)}
    return np.array([index[demo_behavior[dataset._index_to_demo_id[i]]] for i in range(len(dataset))])


def per_sample_probabilities(sample_behavior: np.ndarray, weights: dict[str, float],
                             behaviors: list[str]) -> np.ndarray:
    """p_i = w_k / n_k for sample i of behavior k (sums to 1 over the dataset)."""
    counts = np.bincount(sample_behavior, minlength=len(behaviors)).astype(float)
    w = np.array([weights[b] for b in behaviors])
    per_behavior = np.divide(w, counts, out=np.zeros_like(w), where=counts > 0)
    return per_behavior[sample_behavior]


def per_behavior_loss(model, dataset, sample_behavior, behaviors) -> dict[str, float]:
    """Mean per-sample action MSE of each behavior (the BC loss robomimic minimises)."""
    import torch
    from torch.utils.data import DataLoader
    model.set_eval()
    losses = []
    with torch.no_grad():
        for batch in DataLoader(dataset, batch_size=1024, shuffle=False):
            batch = model.postprocess_batch_for_training(model.process_batch_for_training(batch),
                                                         obs_normalization_stats=None)
            pred = model.nets["policy"](obs_dict=batch["obs"], goal_dict=batch["goal_obs"])
            losses.append(((pred - batch["actions"]) ** 2).mean(dim=-1).numpy())
    losses = np.concatenate(losses)
    return {b: float(losses[sample_behavior == k].mean()) for k, b in enumerate(behaviors)
            if np.any(sample_behavior == k)}


def record_training(out_dir: Path, run_info: dict, seed: int, behaviors: list[str], cfg: dict, spec: dict,
                    history: list[dict], started: float, artifacts=(), extra_params=None) -> dict:
    """Write ``train_log.json`` (per-epoch history) and log the job as one MLflow run."""
    from balancebc import tracking
    summary = {**run_info, "seed": seed, "behaviors": behaviors, "train": cfg,
               "seconds": round(time.time() - started, 1), "history": history, "final": history[-1]}
    write_json(out_dir / "train_log.json", summary)
    tracking.log_run(
        experiment=run_info["scenario"], run_name=f"train/{run_info['method']}/seed{seed}",
        params={**tracking.flatten("train", cfg), **tracking.flatten("method", spec), "seed": seed,
                **(extra_params or {})},
        tags={"stage": "train", "method": run_info["method"], "seed": seed, "scenario": run_info["scenario"]},
        history=[{k: v for k, v in row.items() if k not in ("epoch", "step")} for row in history],
        artifacts=[out_dir / "train_log.json", *artifacts])
    return summary


def train(dataset: str, labels: dict, weights_file: dict, train: dict, seed: int,
          obs_keys: list[str], out_dir: str | Path, run_info: dict) -> dict:
    import robomimic.utils.file_utils as FileUtils
    import robomimic.utils.obs_utils as ObsUtils
    import robomimic.utils.train_utils as TrainUtils
    import torch
    from robomimic.algo import algo_factory
    from torch.utils.data import DataLoader, WeightedRandomSampler

    torch.set_num_threads(1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    out_dir = Path(out_dir)
    config = make_config(dataset, obs_keys, train, seed)
    ObsUtils.initialize_obs_utils_with_config(config)
    shape_meta = FileUtils.get_shape_metadata_from_dataset(dataset, all_obs_keys=obs_keys)
    env_meta = FileUtils.get_env_metadata_from_dataset(dataset)
    model = algo_factory(config.algo_name, config, obs_key_shapes=shape_meta["all_shapes"],
                         ac_dim=shape_meta["ac_dim"], device=torch.device("cpu"))
    trainset, validset = make_dataset(config, obs_keys, "train"), make_dataset(config, obs_keys, "valid")
    behaviors = weights_file["behaviors"]
    train_beh = sample_behaviors(trainset, labels["demo_behavior"], behaviors)
    valid_beh = sample_behaviors(validset, labels["demo_behavior"], behaviors)

    steps_per_epoch, epochs = train["steps_per_epoch"], config.train.num_epochs
    history, started = [], time.time()
    for epoch in range(1, epochs + 1):
        weights = at_progress(weights_file, (epoch - 1) / max(epochs - 1, 1))
        probs = per_sample_probabilities(train_beh, weights, behaviors)
        sampler = WeightedRandomSampler(torch.as_tensor(probs), steps_per_epoch * config.train.batch_size,
                                        replacement=True,
                                        generator=torch.Generator().manual_seed(seed * 100003 + epoch))
        loader = DataLoader(trainset, batch_size=config.train.batch_size, sampler=sampler, drop_last=True)
        log = TrainUtils.run_epoch(model, loader, epoch, num_steps=steps_per_epoch)
        model.on_epoch_end(epoch)
        row = {"epoch": epoch, "step": epoch * steps_per_epoch, "batch_loss": log["Loss"]}
        row.update({f"weight/{b}": w for b, w in weights.items()})
        row.update({f"loss_train/{b}": v for b, v in per_behavior_loss(model, trainset, train_beh, behaviors).items()})
        row.update({f"loss_valid/{b}": v for b, v in per_behavior_loss(model, validset, valid_beh, behaviors).items()})
        history.append(row)
        print(f"epoch {epoch}/{epochs}: " + " ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "epoch"),
              flush=True)

    ckpt = out_dir / "model.pth"
    with atomic_path(ckpt) as tmp:
        TrainUtils.save_model(model, config, env_meta, shape_meta, str(tmp))
    return record_training(out_dir, run_info, seed, behaviors, train, weights_file["spec"], history, started,
                           artifacts=[ckpt], extra_params={"dataset": dataset})
