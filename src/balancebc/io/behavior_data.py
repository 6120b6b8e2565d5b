"""Behavior-labelled (state, action) tensors for the solvers and small policies, read from
a robomimic file with the labels stage's split and behaviors."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from balancebc.io.robomimic_hdf5 import open_dataset


@dataclass
class Split:
    x: torch.Tensor        # (N, obs_dim): observation keys concatenated
    y: torch.Tensor        # (N, action_dim)
    b: torch.Tensor        # (N,) behavior index

    def of(self, k: int) -> Split:
        m = self.b == k
        return Split(self.x[m], self.y[m], self.b[m])


@dataclass
class BehaviorData:
    behaviors: list[str]
    train: Split
    valid: Split

    @property
    def counts(self) -> np.ndarray:
        return np.bincount(self.train.b.numpy(), minlength=len(self.behaviors))


def load(dataset: str, labels: dict, obs_keys: list[str]) -> BehaviorData:
    behaviors = list(labels["behaviors"])
    index = {b: i for i, b in enumerate(behaviors)}
    parts = {"train": ([], [], []), "valid": ([], [], [])}
    with open_dataset(dataset) as f:
        masks = {s: {d.decode() for d in f[f"mask/{s}"][()]} for s in parts}
        for demo, behavior in labels["demo_behavior"].items():
            g = f[f"data/{demo}"]
            x = np.concatenate([g[f"obs/{k}"][()].reshape(len(g["actions"]), -1) for k in obs_keys], axis=1)
            split = "train" if demo in masks["train"] else "valid"
            parts[split][0].append(x)
            parts[split][1].append(g["actions"][()])
            parts[split][2].append(np.full(len(x), index[behavior]))
    make = lambda xs, ys, bs: Split(torch.as_tensor(np.concatenate(xs), dtype=torch.float32),  # noqa: E731
                                    torch.as_tensor(np.concatenate(ys), dtype=torch.float32),
                                    torch.as_tensor(np.concatenate(bs)))
    return BehaviorData(behaviors, make(*parts["train"]), make(*parts["valid"]))
