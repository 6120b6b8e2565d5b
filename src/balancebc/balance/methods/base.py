"""What a weighting method kind declares. Each kind is one module with one
``WeightingMethod`` subclass, registered in ``balancebc.registry.METHODS`` under the
``kind`` that params.yaml's ``methods`` entries name."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from balancebc.io.robomimic_hdf5 import Labelled
from balancebc.io.weights_file import WeightsFile

TRACE_POINTS = 101  # a scheduled method's weights at every 1% of training: the sampler's refresh points (policies.sampler)


@dataclass
class Problem:
    """What a method solves for: a labelled dataset (its demos, their behaviors and split), and a seed."""
    labelled: Labelled
    obs_keys: list[str]          # the low-dimensional observations the solvers' proxies see
    proxy: str                   # the proxy model for solvers: "mlp" or "linear"
    seed: int

    @property
    def counts(self) -> dict[str, int]:
        """n_k: training samples per behavior."""
        return self.labelled.train_counts()[0]

    @property
    def demos(self) -> dict[str, int]:
        return self.labelled.train_counts()[1]


class WeightingMethod:
    name: str = ""
    schema: dict = {}       # JSON schema of the method's entry (besides `kind`)
    needs_solver = False    # True: solving trains proxy models (reference losses, DRO)

    def weights_at(self, spec: dict, counts: dict[str, int], progress: float = 1.0) -> dict[str, float]:
        """The weights of the behaviors at ``progress`` ∈ [0, 1] of training (closed-form methods)."""
        raise NotImplementedError

    def check(self, method: str, spec: dict, behaviors: list[str]) -> list[str]:
        """Problems with the entry ``method`` for a scenario of these ``behaviors`` that
        solving would stop on, found before any data exists (``check-params``)."""
        return []

    def scheduled(self, spec: dict) -> bool:
        """Whether the weights change over training."""
        return False

    def solve(self, method: str, spec: dict, problem: Problem) -> WeightsFile:
        counts = problem.counts
        points = np.linspace(0, 1, TRACE_POINTS if self.scheduled(spec) else 1)
        return WeightsFile(method=method, spec=spec, behaviors=list(counts), counts=counts, demos=problem.demos,
                           weights=self.weights_at(spec, counts, 1.0),
                           schedule=[{"progress": float(t), "weights": self.weights_at(spec, counts, t)}
                                     for t in points])

    def note(self, files: list[WeightsFile]) -> str:
        """A few words for the report's weights table, over the seeds' files."""
        first = files[0]
        if first.scheduled:
            shares = lambda ws: "/".join(f"{np.mean([w[b] for w in ws]):.3f}" for b in first.behaviors)  # noqa: E731
            return (f"{first.spec['schedule']} schedule: {shares([first.schedule[0]['weights']])} at the start, "
                    f"{shares([first.schedule[-1]['weights']])} at the end, "
                    f"{shares([e['weights'] for e in first.schedule])} averaged over training steps")
        return "fixed"


def normalised(names: list[str], w: np.ndarray) -> dict[str, float]:
    w = w / w.sum()
    return {k: float(v) for k, v in zip(names, w)}
