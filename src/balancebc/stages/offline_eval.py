"""Offline evaluation of a robomimic policy: per-behavior action MSE on the held-out demos
(``mask/valid``), for imported data whose simulator is not available here."""
from __future__ import annotations

import numpy as np

from balancebc.stages.train import make_dataset, per_behavior_loss, sample_behaviors


def heldout_loss(checkpoint: str, dataset: str, labels: dict, obs_keys: list[str]) -> dict:
    import robomimic.utils.file_utils as FileUtils
    import torch
    torch.set_num_threads(1)
    policy, ckpt = FileUtils.policy_from_checkpoint(ckpt_path=checkpoint, device=torch.device("cpu"))
    config, _ = FileUtils.config_from_checkpoint(ckpt_dict=ckpt)
    with config.values_unlocked():
        config.train.data = str(dataset)
    validset = make_dataset(config, obs_keys, "valid")
    behaviors = list(labels["behaviors"])
    sample_behavior = sample_behaviors(validset, labels["demo_behavior"], behaviors)
    losses = per_behavior_loss(policy.policy, validset, sample_behavior, behaviors)
    return {b: {"loss": losses[b], "samples": int(np.sum(sample_behavior == k))}
            for k, b in enumerate(behaviors) if b in losses}
