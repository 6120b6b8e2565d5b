"""`uniform` (the paper's eq. 8): 1/K per behavior, i.e. sample (s, a) with probability
proportional to 1 / n_k(s, a)."""
import numpy as np

from balancebc import registry
from balancebc.balance.methods.base import WeightingMethod, normalised


class Uniform(WeightingMethod):
    name = "uniform"

    def weights_at(self, spec, counts, progress=1.0):
        return normalised(list(counts), np.ones(len(counts)))


registry.METHODS.register(Uniform())
