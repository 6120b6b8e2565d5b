"""The papers' claims (params.yaml's ``analysis.claims``) tested across a run's scenarios,
from each scenario's compact record (``records/<scenario>/``: outcomes and weights).

Each claim compares a treated (scenario, method) cell with a control cell on some units:
paired by (replicate, seed) within one scenario, Welch across two, or with a fixed success
rate (a sign test). Every tested row shares one Holm family; a row's verdict
(``stats.verdict``) is *reproduced*, *contradicted* or *inconclusive* at the run's power,
and a claim whose cells were not run says so. Some entries are preconditions, not claims
(``precondition: true``: the rare behavior is necessary, the sloppy data hurts plain BC,
the common task is learned); their verdict is *met*, *not met* or *not shown*, and a claim
that ``requires`` one that is not met everywhere is *not applicable*, whatever its own test
says."""
from __future__ import annotations

from dataclasses import dataclass

from balancebc.analysis import stats

VERDICTS = {
    "reproduced": "the run shows what the paper claims (Holm-corrected p < α in the claimed direction, "
                  "or equivalence within the margin for a claim of no difference)",
    "contradicted": "the run shows the opposite: a corrected significant effect against the claim, or, for a "
                    "claimed effect, equivalence within the margin (the effect is excluded)",
    "inconclusive": "neither: at this run's power the data cannot tell (compare the effect's CI with the MDE)",
    "not run": "the claim's scenario or method is not in this run's params, or its scenario's record is missing",
    "not applicable": "a precondition the claim requires was not met or not shown in this run (its rows say "
                      "which), so the run cannot speak to the claim; its own test is shown as it came out",
}
PRECONDITION = {"reproduced": "met", "contradicted": "not met", "inconclusive": "not shown", "not run": "not run"}


@dataclass
class Record:
    """One scenario's compact record: per-policy values (``io.outcomes.policy_values`` of its
    ``outcomes.csv``) and its ``weights.csv``."""
    values: object   # pandas.DataFrame
    weights: object  # pandas.DataFrame

    def cell(self, method: str, unit: str, metric: str, fraction: float):
        """Per-policy values of one cell, indexed by (replicate, seed); None if the unit is absent."""
        if metric == "weight":
            w = self.weights[(self.weights["method"] == method) & (self.weights["behavior"] == unit)]
            return w.set_index(["replicate", "seed"])["weight"] if len(w) else None
        v = self.values
        v = v[(v["method"] == method) & (v["unit"] == unit) & (v["fraction"] == fraction)]
        return v.set_index(["replicate", "seed"])["value"] if len(v) else None


def evaluate(claims: dict, records: dict[str, Record], methods: dict[str, list[str]], checkpoints: list[float],
             analysis: dict) -> list[dict]:
    """One row per claim, unit and checkpoint, with its test and verdict (``records``: the
    run's scenarios that have a record; ``methods``: each scenario's methods)."""
    rows = []
    for name, claim in claims.items():
        level = None if isinstance(claim["control"], str) else float(claim["control"])
        cells = [tuple(claim[arm].split("/")) for arm in ("treated", "control") if isinstance(claim[arm], str)]
        base = {"claim": name, "paper": claim["paper"], "treated": claim["treated"], "control": claim["control"],
                "expect": claim["expect"], "metric": claim["metric"], "precondition": claim["precondition"]}
        if any(s not in records or m not in methods.get(s, []) for s, m in cells):
            rows.append({**base, "unit": ", ".join(claim["units"]), "fraction": None, "verdict": "not run"})
            continue
        (ts, tm), (cs, cm) = cells[0], cells[-1]
        fractions = sorted(checkpoints) if claim["at"] == "curve" and claim["metric"] == "success" else [1.0]
        for unit in claim["units"]:
            for fraction in fractions:
                a = records[ts].cell(tm, unit, claim["metric"], fraction)
                b = None if level is not None else records[cs].cell(cm, unit, claim["metric"], fraction)
                row = {**base, "unit": unit, "fraction": fraction if claim["metric"] == "success" else None}
                if a is None or (b is None and level is None):
                    rows.append({**row, "verdict": "not run"})
                    continue
                if level is not None:
                    test = {"paired": False, **stats.against_level(a.to_numpy(), level, analysis["margin"])}
                    rows.append({**row, "treated_mean": float(a.mean()), "control_mean": level, **test})
                    continue
                paired = ts == cs
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
    for r in rows:
        if r["precondition"]:
            r["verdict"] = PRECONDITION[r["verdict"]]
    return _apply_preconditions(rows, claims)


def _apply_preconditions(rows: list[dict], claims: dict) -> list[dict]:
    """A claim whose required entries (preconditions, or claims) are not met (reproduced) on
    every row is not applicable (``unmet`` names them); its test's own verdict stays in
    ``test_verdict``."""
    status = {}
    for r in rows:  # an entry's status: its first row that is not met (reproduced), else met
        if r["verdict"] not in ("met", "reproduced"):
            status.setdefault(r["claim"], r["verdict"])
    for r in rows:
        unmet = [f"{p}: {status[p]}" for p in claims[r["claim"]]["requires"] if p in status]
        if unmet and r["verdict"] != "not run":
            r.update(test_verdict=r["verdict"], verdict="not applicable", unmet=unmet)
    return rows


def _fmt(x, f="{:.2f}") -> str:
    return "—" if x is None else f.format(x)


def to_markdown(rows: list[dict], analysis: dict, replicates: int, seeds: int) -> str:
    """``claims.md``: the table, with how it was tested and what the verdicts mean."""
    design = stats.format_design(replicates, seeds)
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
        verdict = f"**{r['verdict']}**"
        if "unmet" in r:
            verdict += f" (requires {'; '.join(r['unmet'])}; the test alone: {r['test_verdict']})"
        name = f"{r['claim']} (precondition)" if r["precondition"] else r["claim"]
        if "p" not in r:
            out.append(f"| {name} | {r['paper']} | {r['treated']} vs {r['control']} | {r['unit']} | {at} "
                       f"| | | | | | | {verdict} |")
            continue
        ci = "" if r["ci95"] is None else f" [{r['ci95'][0]:+.2f}, {r['ci95'][1]:+.2f}]"
        out.append(f"| {name} | {r['paper']} | {r['treated']} vs {r['control']} | {r['unit']} | {at} | "
                   f"{r['treated_mean']:.2f} | {r['control_mean']:.2f} | {r['effect']:+.2f}{ci} | "
                   f"{stats.format_p(r['p_holm'])} | {_fmt(r['tost_p'], '{:.3f}')} | {_fmt(r['mde'])} | "
                   f"{verdict} |")
    out += ["", "Verdicts:"] + [f"- *{v}*: {what}." for v, what in VERDICTS.items()]
    out += ["- A precondition's row reads *met* (its test reproduced), *not met* (contradicted) or *not shown* "
            "(inconclusive)."]
    return "\n".join(out) + "\n"


def to_csv(rows: list[dict]) -> str:
    """``claims.csv``: one row per tested or not-run row, its test flattened."""
    import pandas as pd
    keys = ["claim", "precondition", "treated", "control", "metric", "unit", "fraction", "expect", "paired",
            "treated_mean", "control_mean", "effect", "ci95_low", "ci95_high", "p", "p_holm", "tost_p", "mde", "n",
            "verdict", "test_verdict"]
    flat = [{**r, "ci95_low": (r.get("ci95") or [None])[0], "ci95_high": (r.get("ci95") or [None, None])[1]}
            for r in rows]
    return pd.DataFrame([{k: r.get(k) for k in keys} for r in flat]).to_csv(index=False, float_format="%.4f")
