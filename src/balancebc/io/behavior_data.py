"""Behavior-labelled (state, action) tensors for the solvers and small policies, read from
a robomimic file with the labels stage's split and behaviors."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from balancebc.io.robomimic_hdf5 import Labelled, open_dataset, read_labelled


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


def load(labelled: str | Labelled, obs_keys: list[str]) -> BehaviorData:
    """The demos of a labelled file (the label stage's ``labelled.hdf5``, or what
    ``read_labelled`` read), split and labelled as it says."""
    labels = labelled if isinstance(labelled, Labelled) else read_labelled(labelled)
    index = {b: i for i, b in enumerate(labels.behaviors)}
    parts = {"train": ([], [], []), "valid": ([], [], [])}
    with open_dataset(labels.path) as f:
        for demo, behavior in labels.demo_behavior.items():
            g = f[f"data/{demo}"]
            x = np.concatenate([g[f"obs/{k}"][()].reshape(len(g["actions"]), -1) for k in obs_keys], axis=1)
            split = labels.split[demo]
            parts[split][0].append(x)
            parts[split][1].append(g["actions"][()])
            parts[split][2].append(np.full(len(x), index[behavior]))
    make = lambda xs, ys, bs: Split(torch.as_tensor(np.concatenate(xs), dtype=torch.float32),  # noqa: E731
                                    torch.as_tensor(np.concatenate(ys), dtype=torch.float32),
                                    torch.as_tensor(np.concatenate(bs)))
    return BehaviorData(labels.behaviors, make(*parts["train"]), make(*parts["valid"]))
