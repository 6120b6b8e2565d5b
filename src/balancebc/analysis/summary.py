"""A scenario report's numbers, from its per-policy values (``io.outcomes.policy_values``):
the mean and sd per method, unit and checkpoint; every method against the baseline
(paired by replicate and seed, Holm across the report); the mixed-effects logistic model
and the repeated-measures ANOVA; the learning curve."""
from __future__ import annotations

import numpy as np

from balancebc.analysis import stats


def mean_std(values) -> tuple[float, float]:
    """Mean and sample sd (0 for a single value)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def summary(values) -> list[dict]:
    """Per method, unit and checkpoint: mean, sd and number of policies (and successes and
    episodes for rollouts)."""
    rows = []
    for (method, fraction, step, unit), g in values.groupby(["method", "fraction", "step", "unit"], sort=False):
        mean, sd = mean_std(g["value"])
        rows.append({"method": method, "fraction": float(fraction), "step": int(step), "unit": unit,
                     "mean": mean, "sd": sd, "policies": len(g),
                     "successes": int(round((g["value"] * g["episodes"]).sum())), "episodes": int(g["episodes"].sum())})
    return rows


def comparisons(values, analysis: dict) -> list[dict]:
    """Every method against ``analysis["baseline"]`` per unit at the end of training, paired
    by (replicate, seed); Holm across all of them (the report's family). [] without the
    baseline."""
    baseline = analysis["baseline"]
    end = values[values["fraction"] == 1.0]
    methods, units = list(dict.fromkeys(end["method"])), list(dict.fromkeys(end["unit"]))
    if baseline not in methods:
        return []
    tests = []
    for unit in units:
        base = end[(end["method"] == baseline) & (end["unit"] == unit)].set_index(["replicate", "seed"])["value"]
        for method in methods:
            if method == baseline:
                continue
            cell = end[(end["method"] == method) & (end["unit"] == unit)].set_index(["replicate", "seed"])["value"]
            pair = base.index.intersection(cell.index)
            test = stats.compare(cell[pair].to_numpy(), base[pair].to_numpy(), paired=True, margin=analysis["margin"],
                                 alpha=analysis["alpha"], power=analysis["power"])
            tests.append({"method": method, "unit": unit, **test})
    for t, p in zip(tests, stats.holm([t["p"] for t in tests])):
        t["p_holm"] = p
    return tests


def model_tables(outcomes, values, baseline: str) -> tuple[dict, list[dict]]:
    """The mixed-effects logistic model per unit (episodes at the end of training, log-odds
    against ``baseline``) and the repeated-measures ANOVA (per-policy values)."""
    end = outcomes[outcomes["fraction"] == 1.0].rename(columns={"value": "success"})
    fits = {unit: stats.mixed_logit(g, baseline) for unit, g in end.groupby("unit", sort=False)}
    rates = values[values["fraction"] == 1.0].rename(columns={"value": "rate", "unit": "behavior"})
    rates["subject"] = rates["replicate"].astype(str) + ":" + rates["seed"].astype(str)
    return fits, stats.rm_anova(rates)


def curve_table(summary_rows: list[dict], target: float | None) -> dict:
    """Per method and unit: the mean at every checkpoint step, and the first step whose mean
    reaches ``target`` (None: never within the budget)."""
    out = {}
    for r in summary_rows:
        cell = out.setdefault((r["method"], r["unit"]), {"steps": {}, "reached": None})
        cell["steps"][r["step"]] = r["mean"]
    for cell in out.values():
        if target is not None:
            cell["reached"] = next((s for s in sorted(cell["steps"]) if cell["steps"][s] >= target), None)
    return out
