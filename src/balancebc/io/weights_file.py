"""The weights file: what the weights stage solved for one method, scenario and seed, and
what training, evaluation and the report read. One shape for every method."""
from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field

from balancebc.io.atomic import read_json, write_json


@dataclass
class WeightsFile:
    method: str                      # the method's name in params.yaml
    spec: dict                       # its settings, defaults filled in
    behaviors: list[str]
    counts: dict[str, int]           # n_k: training samples per behavior
    demos: dict[str, int]            # training demos per behavior
    weights: dict[str, float]        # the weights at the end of training
    schedule: list[dict]             # [{"progress": p, "weights": {...}}] over training; one entry if fixed
    solver: dict | None = field(default=None)   # methods with a solver: reference losses, final alpha, trace...

    @property
    def scheduled(self) -> bool:
        return len(self.schedule) > 1

    def at_progress(self, progress: float) -> dict[str, float]:
        """The weights training uses from ``progress`` ∈ [0, 1] of its budget on: the schedule's
        last entry at or before it (the schedule is the one source; training never recomputes it)."""
        points = [entry["progress"] for entry in self.schedule]
        return self.schedule[max(0, bisect.bisect_right(points, progress + 1e-9) - 1)]["weights"]

    @property
    def reference_losses(self) -> dict[str, float] | None:
        return (self.solver or {}).get("reference_losses")

    def write(self, path) -> None:
        write_json(path, dataclasses.asdict(self))

    @classmethod
    def read(cls, path) -> WeightsFile:
        from balancebc.errors import BalanceBCError
        data = read_json(path, "weights file")
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(data, dict) or not names - {"solver"} <= set(data):
            raise BalanceBCError(f"{path}: not a weights file (expected keys {sorted(names)}); "
                                 "rerun the weights stage")
        return cls(**{k: v for k, v in data.items() if k in names})
