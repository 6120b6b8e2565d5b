"""`natural`: plain BC. Behavior k gets its share of the training samples, n_k / sum_j n_j."""
import numpy as np

from balancebc import registry
from balancebc.balance.methods.base import WeightingMethod, normalised


class Natural(WeightingMethod):
    name = "natural"

    def weights_at(self, spec, counts, progress=1.0):
        return normalised(list(counts), np.array([counts[k] for k in counts], dtype=float))


registry.METHODS.register(Natural())
