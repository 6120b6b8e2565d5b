"""What a policy declares. Each policy is one module with one ``Policy`` subclass,
registered in ``balancebc.registry.POLICIES``; a scenario kind names the policy its data
is trained with (``ScenarioKind.policy``)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def checkpoint_steps(budget: int, fractions: list[float]) -> dict[float, int]:
    """The step at which each fraction of a ``budget`` of training steps is reached."""
    return {f: max(1, round(f * budget)) for f in sorted(fractions)}


def curve_steps(settings: dict, fractions: list[float]) -> dict[float, int]:
    """The checkpoints a policy trained with ``settings`` is saved and judged at: each
    fraction of its budget, and with pre-training (``pretrain_steps``) also step 0, the
    pre-trained policy that training with the method's weights starts from."""
    steps = checkpoint_steps(settings["steps"], fractions)
    return {0.0: 0, **steps} if settings.get("pretrain_steps") else steps


class Policy:
    name: str = ""

    def check(self, settings: dict) -> list[str]:
        """Problems with the training ``settings`` (``ScenarioKind.train_settings``) that
        training would stop on, found without data or training (``check-params``)."""
        return []

    def train(self, labelled: str, behaviors: list[str], weights_at: Callable[[float], dict],
              settings: dict, seed: int, obs_keys: list[str], checkpoints: dict[int, str | Path],
              on_epoch: Callable[[dict], None] = lambda row: None) -> list[dict]:
        """Train on the ``train`` demos of ``labelled`` (the label stage's robomimic file,
        ``io.robomimic_hdf5.read_labelled``), drawing behavior k with weight
        ``weights_at(progress)[k]`` (progress in [0, 1]); after ``step`` batches write
        ``checkpoints[step]`` atomically, for each of its steps (the last is the budget;
        step 0, where ``curve_steps`` has it, is the end of pre-training).
        Returns the history: one row per epoch (``weight/<b>``, ``loss_train/<b>``,
        ``loss_valid/<b>``, ...), each also passed to ``on_epoch`` as soon as it is made."""
        raise NotImplementedError

    def heldout_loss(self, checkpoint: str, labelled: str, obs_keys: list[str]) -> dict:
        """Per behavior with held-out (``valid``) demos: its action loss on them and their samples."""
        raise NotImplementedError

    def rollout_policy(self, checkpoint: str):
        """A callable ``policy(ob=...)`` with ``start_episode()``, for rollouts."""
        raise NotImplementedError(f"policy {self.name!r} cannot be rolled out")
