"""The one weighted sampler every trainer uses: sample i of behavior k is drawn with
probability w_k / n_k (n_k: the behavior's samples, or sequences, in the training set), so
behavior k makes up a share w_k of every batch in expectation. Scheduled weights
(temperature warming) are re-evaluated every 1% of the training budget."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import Sampler

REFRESHES = 100  # the weights are re-evaluated this many times over training


def per_sample_probabilities(sample_behavior: np.ndarray, weights: dict[str, float],
                             behaviors: list[str]) -> np.ndarray:
    """p_i = w_k / n_k for sample i of behavior k (sums to 1 over the dataset)."""
    counts = np.bincount(sample_behavior, minlength=len(behaviors)).astype(float)
    w = np.array([weights[b] for b in behaviors])
    per_behavior = np.divide(w, counts, out=np.zeros_like(w), where=counts > 0)
    return per_behavior[sample_behavior]


class BehaviorSampler(Sampler[int]):
    """Draws batches of dataset indices with replacement, p_i = w_k / n_k, for a training
    budget of ``steps`` batches.

    Args:
        sample_behavior: behavior index of every sample of the dataset.
        behaviors: behavior names, in the order of those indices.
        weights_at: the weights (behavior name -> weight) at progress p in [0, 1] of training.
        batch_size: indices per batch.
        steps: the training budget, in batches.
        seed: seed of the sampler's own generator.
        steps_per_pass: batches per ``iter`` (a robomimic epoch; default: all).

    ``next_batch()`` draws one batch; ``iter`` yields the indices of the next pass, for a
    ``DataLoader(batch_size=batch_size, drop_last=True)``. ``state_dict`` holds the step,
    and the generator, so training can resume where it stopped.
    """

    def __init__(self, sample_behavior: np.ndarray, behaviors: list[str],
                 weights_at: Callable[[float], dict[str, float]], batch_size: int, steps: int, seed: int,
                 steps_per_pass: int | None = None):
        self.sample_behavior = np.asarray(sample_behavior)
        self.behaviors, self.weights_at = list(behaviors), weights_at
        self.batch_size, self.steps = batch_size, steps
        self.steps_per_pass = steps_per_pass or steps
        self.every = max(1, steps // REFRESHES)
        self.generator = torch.Generator().manual_seed(seed)
        self.step, self.weight_sum, self.summed = 0, np.zeros(len(self.behaviors)), 0

    @classmethod
    def from_weights(cls, weights, sample_behavior, batch_size: int, steps: int, seed: int = 0,
                     steps_per_pass: int | None = None) -> BehaviorSampler:
        """The sampler of a solved weights file (``balancebc.solve_weights``), following a
        scheduled method's weights over the ``steps``; ``sample_behavior[i]`` is the index,
        in ``weights.behaviors``, of sample i's behavior."""
        return cls(np.asarray(sample_behavior), weights.behaviors, weights.at_progress, batch_size, steps, seed,
                   steps_per_pass)

    def refresh(self) -> None:
        """The weights of the current block of ``every`` steps, taken at its first step's
        fraction of the budget (0, 0.01, 0.02, ... when ``steps`` is a multiple of 100)."""
        start = self.step - self.step % self.every
        self.weights = self.weights_at(start / self.steps)
        self.probabilities = torch.as_tensor(per_sample_probabilities(self.sample_behavior, self.weights,
                                                                      self.behaviors))

    def next_batch(self) -> torch.Tensor:
        if self.step % self.every == 0 or not hasattr(self, "weights"):
            self.refresh()
        self.step += 1
        self.weight_sum += [self.weights[b] for b in self.behaviors]
        self.summed += 1
        return torch.multinomial(self.probabilities, self.batch_size, replacement=True, generator=self.generator)

    def mean_weights(self) -> dict[str, float]:
        """The weights averaged over the batches drawn since the last call."""
        mean = self.weight_sum / max(self.summed, 1)
        self.weight_sum, self.summed = np.zeros(len(self.behaviors)), 0
        return dict(zip(self.behaviors, mean.tolist()))

    def __len__(self) -> int:
        return min(self.steps_per_pass, self.steps - self.step) * self.batch_size

    def __iter__(self):
        for _ in range(min(self.steps_per_pass, self.steps - self.step)):
            yield from self.next_batch().tolist()

    def state_dict(self) -> dict:
        return {"step": self.step, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.step = state["step"]
        self.generator.set_state(state["generator"])
        self.refresh()
