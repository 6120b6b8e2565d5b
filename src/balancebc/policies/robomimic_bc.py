"""robomimic's BC (an MLP with an MSE loss on low-dimensional observations), trained with
per-behavior sampling weights.

robomimic's config, algorithm (``algo_factory``), ``SequenceDataset`` and ``run_epoch`` do
the training; balancebc only supplies the sampler (``BehaviorSampler``), built from the
dataset's public attributes. Scheduled weights (temperature warming) are re-evaluated every
1% of the budget, which is exactly ``train.steps`` (the last epoch is cut short).
"""
from __future__ import annotations

import random

import numpy as np

from balancebc import registry
from balancebc.errors import BalanceBCError
from balancebc.io.atomic import atomic_path
from balancebc.io.robomimic_hdf5 import read_labelled
from balancebc.policies.base import Policy

DATASET_KEYS = ("actions", "rewards", "dones")


def train_device(setting: str):
    """The torch device of ``train.device``: ``auto`` is CUDA where torch finds a GPU."""
    import torch
    if setting == "cuda" and not torch.cuda.is_available():
        raise BalanceBCError("train.device: 'cuda' was asked for, but torch finds no CUDA device; "
                             "expected 'auto' or 'cpu' on this machine")
    return torch.device("cuda" if setting != "cpu" and torch.cuda.is_available() else "cpu")


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
        config.train.cuda = train_device(train["device"]).type == "cuda"
        config.observation.modalities.obs.low_dim = list(obs_keys)
        config.observation.modalities.obs.rgb = []
        config.algo.actor_layer_dims = list(train["hidden"])
        config.algo.optim_params.policy.learning_rate.initial = train["learning_rate"]
        decay = train["lr_decay"]
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


def sequence_behaviors(dataset, demo_behavior: dict[str, str], behaviors: list[str]) -> np.ndarray:
    """Behavior index of every sequence of a robomimic ``SequenceDataset``, from its public
    attributes: its demos in order, each contributing its length less the unpadded frame
    stack and sequence length (robomimic's ``load_demo_info``)."""
    index, out = {b: i for i, b in enumerate(behaviors)}, []
    for demo in dataset.demos:
        n = int(dataset.hdf5_file[f"data/{demo}"].attrs["num_samples"])
        if not dataset.pad_frame_stack:
            n -= dataset.n_frame_stack - 1
        if not dataset.pad_seq_length:
            n -= dataset.seq_length - 1
        out += [index[demo_behavior[demo]]] * (max(n, 1) if dataset.pad_seq_length else n)
    if len(out) != len(dataset):
        raise RuntimeError(f"{len(out)} sequences counted but the dataset has {len(dataset)}: "
                           "robomimic's indexing changed")
    return np.array(out)


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
            losses.append(((pred - batch["actions"]) ** 2).mean(dim=-1).cpu().numpy())
    losses = np.concatenate(losses)
    return {b: float(losses[sample_behavior == k].mean()) for k, b in enumerate(behaviors)
            if np.any(sample_behavior == k)}


class RobomimicBC(Policy):
    name = "robomimic_bc"

    def train(self, labelled, behaviors, weights_at, settings, seed, obs_keys, checkpoints):
        import robomimic.utils.file_utils as FileUtils
        import robomimic.utils.obs_utils as ObsUtils
        import robomimic.utils.torch_utils as TorchUtils
        import robomimic.utils.train_utils as TrainUtils
        import torch
        from robomimic.algo import algo_factory
        from torch.utils.data import DataLoader

        from balancebc.policies.sampler import BehaviorSampler

        torch.set_num_threads(1)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        config = make_config(labelled, obs_keys, settings, seed)
        ObsUtils.initialize_obs_utils_with_config(config)
        shape_meta = FileUtils.get_shape_metadata_from_dataset(labelled, all_obs_keys=obs_keys)
        env_meta = FileUtils.get_env_metadata_from_dataset(labelled)
        model = algo_factory(config.algo_name, config, obs_key_shapes=shape_meta["all_shapes"],
                             ac_dim=shape_meta["ac_dim"],
                             device=TorchUtils.get_torch_device(try_to_use_cuda=config.train.cuda))
        trainset, validset = make_dataset(config, obs_keys, "train"), make_dataset(config, obs_keys, "valid")
        demo_behavior = read_labelled(labelled).demo_behavior
        train_beh = sequence_behaviors(trainset, demo_behavior, behaviors)
        valid_beh = sequence_behaviors(validset, demo_behavior, behaviors)

        steps, steps_per_epoch, epochs = settings["steps"], settings["steps_per_epoch"], config.train.num_epochs
        sampler = BehaviorSampler(train_beh, behaviors, weights_at, config.train.batch_size, steps, seed,
                                  steps_per_pass=steps_per_epoch)
        loader = DataLoader(trainset, batch_size=config.train.batch_size, sampler=sampler, drop_last=True)
        history, epoch = [], 1
        while sampler.step < steps:
            # up to the epoch's end or the next checkpoint, whichever comes first
            epoch_end = min(epoch * steps_per_epoch, steps)
            stop = min([epoch_end] + [s for s in checkpoints if s > sampler.step])
            log = TrainUtils.run_epoch(model, loader, epoch, num_steps=stop - sampler.step)
            if sampler.step in checkpoints:
                with atomic_path(checkpoints[sampler.step]) as tmp:
                    TrainUtils.save_model(model, config, env_meta, shape_meta, str(tmp))
            if sampler.step < epoch_end:
                continue
            model.on_epoch_end(epoch)  # robomimic's learning-rate schedule counts epochs
            row = {"epoch": epoch, "step": sampler.step, "batch_loss": log["Loss"]}
            row.update({f"weight/{b}": w for b, w in sampler.mean_weights().items()})
            row.update({f"loss_train/{b}": v for b, v in per_behavior_loss(model, trainset, train_beh, behaviors).items()})
            row.update({f"loss_valid/{b}": v for b, v in per_behavior_loss(model, validset, valid_beh, behaviors).items()})
            history.append(row)
            print(f"epoch {epoch}/{epochs}: " + " ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "epoch"),
                  flush=True)
            epoch += 1
        return history

    def heldout_loss(self, checkpoint, labelled, obs_keys):
        import robomimic.utils.file_utils as FileUtils
        import torch
        torch.set_num_threads(1)
        policy, ckpt = FileUtils.policy_from_checkpoint(ckpt_path=checkpoint, device=torch.device("cpu"))
        config, _ = FileUtils.config_from_checkpoint(ckpt_dict=ckpt)
        with config.values_unlocked():
            config.train.data = str(labelled)
        validset = make_dataset(config, obs_keys, "valid")
        labels = read_labelled(labelled)
        behaviors = labels.behaviors
        sample_behavior = sequence_behaviors(validset, labels.demo_behavior, behaviors)
        losses = per_behavior_loss(policy.policy, validset, sample_behavior, behaviors)
        return {b: {"loss": losses[b], "samples": int(np.sum(sample_behavior == k))}
                for k, b in enumerate(behaviors) if b in losses}

    def rollout_policy(self, checkpoint):
        import robomimic.utils.file_utils as FileUtils
        import torch
        torch.set_num_threads(1)
        policy, _ = FileUtils.policy_from_checkpoint(ckpt_path=checkpoint, device=torch.device("cpu"))
        return policy


registry.POLICIES.register(RobomimicBC())
