"""claims: the papers' claims (params.yaml's ``analysis.claims``) tested across the run's
scenarios, from each scenario report's compact record (``records/<scenario>/``).

Each claim compares a treated (scenario, method) cell with a control cell on some units:
paired by (replicate, seed) within one scenario, Welch across two. Every tested row shares
one Holm family; a row's verdict (``balancebc.stats.verdict``) is *reproduced*,
*contradicted* or *inconclusive* at this run's power, and a claim whose cells were not run
says so."""
from __future__ import annotations

from pathlib import Path

from balancebc import paths, stats
from balancebc.io import outcomes as outcomes_io
from balancebc.io.atomic import write_text

VERDICTS = {
    "reproduced": "the run shows what the paper claims (Holm-corrected p < α in the claimed direction, "
                  "or equivalence within the margin for a claim of no difference)",
    "contradicted": "the run shows the opposite: a corrected significant effect against the claim, or, for a "
                    "claimed effect, equivalence within the margin (the effect is excluded)",
    "inconclusive": "neither: at this run's power the data cannot tell (compare the effect's CI with the MDE)",
    "not run": "the claim's scenario or method is not in this run's params, or its scenario's record is missing",
}


def _cell(spec: str, params: dict) -> tuple[str, str] | None:
    """(scenario, method) if the run has them and the scenario's record (a powered run made
    part by part may lack some parts)."""
    scenario, method = spec.split("/")
    ran = all(Path(f).is_file() for f in paths.record_files(scenario))
    return (scenario, method) if ran and scenario in params["scenarios"] and method in params["methods"] else None


def _values(scenario: str, method: str, unit: str, metric: str, fraction: float, cache: dict):
    """Per-policy values of one cell, indexed by (replicate, seed); None if the unit is absent."""
    if scenario not in cache:
        import pandas as pd
        weights = pd.read_csv(paths.record_file(scenario, "weights.csv"))
        outcomes = outcomes_io.read_csv(paths.record_file(scenario, "outcomes.csv"))
        cache[scenario] = (outcomes_io.policy_values(outcomes), weights)
    values, weights = cache[scenario]
    if metric == "weight":
        w = weights[(weights["method"] == method) & (weights["behavior"] == unit)]
        return w.set_index(["replicate", "seed"])["weight"] if len(w) else None
    v = values[(values["method"] == method) & (values["unit"] == unit) & (values["fraction"] == fraction)]
    return v.set_index(["replicate", "seed"])["value"] if len(v) else None


def evaluate_claims(params: dict) -> list[dict]:
    analysis, cache, rows = params["analysis"], {}, []
    for name, claim in analysis["claims"].items():
        treated, control = _cell(claim["treated"], params), _cell(claim["control"], params)
        base = {"claim": name, "paper": claim["paper"], "treated": claim["treated"], "control": claim["control"],
                "expect": claim["expect"], "metric": claim["metric"]}
        if treated is None or control is None:
            rows.append({**base, "unit": ", ".join(claim["units"]), "fraction": None, "verdict": "not run"})
            continue
        fractions = sorted(params["checkpoints"]) if claim["at"] == "curve" and claim["metric"] == "success" \
            else [1.0]
        for unit in claim["units"]:
            for fraction in fractions:
                a = _values(*treated, unit, claim["metric"], fraction, cache)
                b = _values(*control, unit, claim["metric"], fraction, cache)
                row = {**base, "unit": unit, "fraction": fraction if claim["metric"] == "success" else None}
                if a is None or b is None:
                    rows.append({**row, "verdict": "not run"})
                    continue
                paired = treated[0] == control[0]
                if paired:
                    common = a.index.intersection(b.index)
                    a, b = a[common], b[common]
                test = stats.compare(a.to_numpy(), b.to_numpy(), paired=paired, margin=analysis["margin"],
                                     alpha=analysis["alpha"], power=analysis["power"])
                rows.append({**row, "paired": paired, "treated_mean": float(a.mean()),
                             "control_mean": float(b.mean()), **test})
    tested = [r for r in rows if "p" in r]
    for r, p in zip(tested, stats.holm([r["p"] for r in tested])):
        r["p_holm"] = p
        r["verdict"] = stats.verdict(r, p, r["expect"], analysis["alpha"])
    return rows


def _fmt(x, f="{:.2f}") -> str:
    return "—" if x is None else f.format(x)


def to_markdown(rows: list[dict], params: dict) -> str:
    analysis = params["analysis"]
    design = stats.format_design(len(params["replicates"]), len(params["seeds"]))
    out = ["# The papers' claims, tested", "",
           f"Policies per cell: {design}. Effects are in success-rate points (weights for weight rows), treated − "
           f"control, with 95% CIs; paired by (replicate, seed) within a scenario, Welch across scenarios. p is "
           f"Holm-corrected over the {sum('p' in r for r in rows)} tested rows (α = {analysis['alpha']}); "
           f"equivalence is TOST within ±{analysis['margin']}; MDE is the minimum detectable effect at power "
           f"{analysis['power']}.", "",
           "| claim | paper | treated vs control | unit | at | treated | control | effect [95% CI] | p (Holm) "
           "| equiv. p | MDE | verdict |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        at = "—" if r["fraction"] is None else ("end" if r["fraction"] == 1.0 else f"{r['fraction']:.0%}")
        if "p" not in r:
            out.append(f"| {r['claim']} | {r['paper']} | {r['treated']} vs {r['control']} | {r['unit']} | {at} "
                       f"| | | | | | | **{r['verdict']}** |")
            continue
        ci = "" if r["ci95"] is None else f" [{r['ci95'][0]:+.2f}, {r['ci95'][1]:+.2f}]"
        out.append(f"| {r['claim']} | {r['paper']} | {r['treated']} vs {r['control']} | {r['unit']} | {at} | "
                   f"{r['treated_mean']:.2f} | {r['control_mean']:.2f} | {r['effect']:+.2f}{ci} | {stats.format_p(r['p_holm'])} | "
                   f"{_fmt(r['tost_p'], '{:.3f}')} | {_fmt(r['mde'])} | **{r['verdict']}** |")
    out += ["", "Verdicts:"] + [f"- *{v}*: {what}." for v, what in VERDICTS.items()]
    return "\n".join(out) + "\n"


def to_csv(rows: list[dict]) -> str:
    import pandas as pd
    keys = ["claim", "treated", "control", "metric", "unit", "fraction", "expect", "paired", "treated_mean",
            "control_mean", "effect", "ci95_low", "ci95_high", "p", "p_holm", "tost_p", "mde", "n", "verdict"]
    flat = [{**r, "ci95_low": (r.get("ci95") or [None])[0], "ci95_high": (r.get("ci95") or [None, None])[1]}
            for r in rows]
    return pd.DataFrame([{k: r.get(k) for k in keys} for r in flat]).to_csv(index=False, float_format="%.4f")


def run(params: dict) -> None:
    rows = evaluate_claims(params)
    write_text(paths.claims_file("claims.md"), to_markdown(rows, params))
    write_text(paths.claims_file("claims.csv"), to_csv(rows))
    for r in rows:
        print(f"{r['claim']} {r['unit']} {r['fraction']}: {r['verdict']}")
