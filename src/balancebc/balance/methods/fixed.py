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

    def check(self, method, spec, behaviors):
        given, problems = spec["weights"], []
        if sorted(given) != sorted(behaviors):
            problems.append(f"methods.{method}.weights: expected one weight per behavior {sorted(behaviors)}, "
                            f"got {sorted(given)}")
        if sum(given.values()) <= 0:
            problems.append(f"methods.{method}.weights: at least one weight must be positive")
        return problems

    def solve(self, method, spec, problem):
        problems = self.check(method, spec, list(problem.counts))
        if problems:
            raise BalanceBCError("; ".join(problems))
        return super().solve(method, spec, problem)


registry.METHODS.register(Fixed())
