"""Outcomes: what every policy of a scenario scored, one row per episode (rollouts: value
1/0 for success) or per policy (offline: value = held-out loss, episode 0), at every
checkpoint — the tidy table the report and the claims analyse. The report writes it as
``outcomes.csv``, the compact record from which every table regenerates."""
from __future__ import annotations

from balancebc import paths
from balancebc.io.atomic import read_json

COLUMNS = ["method", "replicate", "seed", "fraction", "step", "unit", "episode", "value"]


def from_evaluations(scenario: str, methods: list[str], replicates: list[int], seeds: list[int]):
    """The outcomes of every policy's evaluation file, and the unit kind and metric."""
    import pandas as pd
    rows, unit_kind, metric = [], None, None
    for method in methods:
        for r in replicates:
            for s in seeds:
                evaluation = read_json(paths.evaluation(scenario, method, r, s), "evaluation")
                unit_kind = evaluation["unit"]
                for point in evaluation["curve"]:
                    for unit, result in point["units"].items():
                        metric = "success_rate" if "per_episode" in result else "loss"
                        values = [int(v) for v in result["per_episode"]] if metric == "success_rate" \
                            else [result["loss"]]
                        rows += [(method, r, s, point["fraction"], point["step"], unit, e, v)
                                 for e, v in enumerate(values)]
    return pd.DataFrame(rows, columns=COLUMNS), unit_kind, metric


def policy_values(outcomes):
    """One row per policy, checkpoint and unit: the mean value (a success rate, or the loss)
    over its episodes, and how many episodes."""
    keys = [c for c in COLUMNS if c not in ("episode", "value")]
    return outcomes.groupby(keys, sort=False)["value"].agg(value="mean", episodes="size").reset_index()


def read_csv(path: str):
    import pandas as pd

    from balancebc.errors import BalanceBCError
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise BalanceBCError(f"{path}: outcomes not found (run the report stage first)") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise BalanceBCError(f"{path}: missing columns {missing}; expected {COLUMNS}")
    return table
