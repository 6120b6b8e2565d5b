"""`temperature` (Patil et al.): p_k ∝ n_k^(1/tau). tau = 1 is plain BC, tau → ∞ uniform.
With ``schedule: cosine`` tau warms from ``tau`` to ``tau_end`` along a cosine over
training, so rare behaviors are sampled more towards the end (the paper's best schedule)."""
import math

import numpy as np

from balancebc import registry
from balancebc.balance.methods.base import WeightingMethod, normalised


def temperature_at(spec: dict, progress: float) -> float:
    tau = spec["tau"]
    if spec["schedule"] == "cosine":
        tau_end = spec["tau_end"]
        return tau_end + (tau - tau_end) * (1 + math.cos(math.pi * progress)) / 2
    return tau


class Temperature(WeightingMethod):
    name = "temperature"
    schema = {
        "required": ["tau"],
        "properties": {
            "tau": {"type": "number", "exclusiveMinimum": 0, "description": "temperature (at the start, if scheduled)"},
            "tau_end": {"type": "number", "exclusiveMinimum": 0, "default": 5.0,
                        "description": "the temperature at the end of a cosine schedule"},
            "schedule": {"enum": ["constant", "cosine"], "default": "constant"},
        },
    }

    def weights_at(self, spec, counts, progress=1.0):
        n = np.array([counts[k] for k in counts], dtype=float)
        return normalised(list(counts), n ** (1.0 / temperature_at(spec, progress)))

    def scheduled(self, spec):
        return spec["schedule"] != "constant"


registry.METHODS.register(Temperature())
