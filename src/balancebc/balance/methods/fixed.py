"""`fixed`: the weight of each behavior, given by hand — the way practitioners tune data
mixtures (Octo's and OpenVLA's per-dataset sample weights). Normalised to sum to 1."""
import numpy as np

from balancebc import registry
from balancebc.balance.methods.base import WeightingMethod, normalised
from balancebc.errors import BalanceBCError


class Fixed(WeightingMethod):
    name = "fixed"
    schema = {
        "required": ["weights"],
        "properties": {
            "weights": {"type": "object", "minProperties": 1,
                        "additionalProperties": {"type": "number", "minimum": 0},
                        "description": "behavior name -> its weight (normalised to sum to 1)"},
        },
    }

    def weights_at(self, spec, counts, progress=1.0):
        return normalised(list(counts), np.array([spec["weights"][k] for k in counts], dtype=float))

    def solve(self, method, spec, problem):
        given, behaviors = spec["weights"], sorted(problem.counts)
        if sorted(given) != behaviors:
            raise BalanceBCError(f"methods.{method}.weights: expected one weight per behavior {behaviors}, "
                                 f"got {sorted(given)}")
        if sum(given.values()) <= 0:
            raise BalanceBCError(f"methods.{method}.weights: at least one weight must be positive")
        return super().solve(method, spec, problem)


registry.METHODS.register(Fixed())
