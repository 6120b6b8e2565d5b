"""The one weighted sampler every trainer uses: sample i of behavior k is drawn with
probability w_k / n_k (n_k: the behavior's samples in the training set), so behavior k
makes up a share w_k of every batch in expectation."""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Sampler


def per_sample_probabilities(sample_behavior: np.ndarray, weights: dict[str, float],
                             behaviors: list[str]) -> np.ndarray:
    """p_i = w_k / n_k for sample i of behavior k (sums to 1 over the dataset)."""
    counts = np.bincount(sample_behavior, minlength=len(behaviors)).astype(float)
    w = np.array([weights[b] for b in behaviors])
    per_behavior = np.divide(w, counts, out=np.zeros_like(w), where=counts > 0)
    return per_behavior[sample_behavior]


class BehaviorSampler(Sampler[int]):
    """Draws ``num_samples`` dataset indices with replacement, p_i = w_k / n_k.

    Args:
        sample_behavior: behavior index of every sample of the dataset.
        behaviors: behavior names, in the order of those indices.
        weights: behavior name → weight (``set_weights`` changes them, e.g. every epoch).
        num_samples: indices per pass (``iter``); ``draw(n)`` draws any number.
        seed: seed of the sampler's own generator (``reseed`` restarts it).
    """

    def __init__(self, sample_behavior: np.ndarray, behaviors: list[str], weights: dict[str, float],
                 num_samples: int, seed: int):
        self.sample_behavior = np.asarray(sample_behavior)
        self.behaviors = list(behaviors)
        self.num_samples = num_samples
        self.generator = torch.Generator().manual_seed(seed)
        self.set_weights(weights)

    def set_weights(self, weights: dict[str, float]) -> None:
        self.weights = dict(weights)
        self.probabilities = torch.as_tensor(per_sample_probabilities(self.sample_behavior, weights, self.behaviors))

    def reseed(self, seed: int) -> None:
        self.generator.manual_seed(seed)

    def draw(self, n: int) -> torch.Tensor:
        return torch.multinomial(self.probabilities, n, replacement=True, generator=self.generator)

    def __iter__(self):
        yield from self.draw(self.num_samples).tolist()

    def __len__(self) -> int:
        return self.num_samples

    def state_dict(self) -> dict:
        return {"weights": self.weights, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.set_weights(state["weights"])
        self.generator.set_state(state["generator"])
