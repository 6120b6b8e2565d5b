"""A scenario report's numbers as text: ``results.md`` (one section per analysis),
``results.csv``, the weights table (``weights.md``, the analogue of the paper's Table 1),
the compact weights record (``weights.csv``) and one HTML page of the Markdown tables."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from balancebc import registry
from balancebc.analysis import stats
from balancebc.analysis.summary import mean_std

LABELS = {"success_rate": "success rate", "loss": "held-out loss (MSE)"}


@dataclass
class Results:
    """Everything ``results.md`` shows for one scenario (``analysis.summary`` makes the parts)."""
    scenario: str
    metric: str                 # "success_rate" (rollouts) or "loss" (offline)
    unit_kind: str              # what a unit is: "region", "task", "behavior"
    rows: list[dict]            # summary.summary
    tests: list[dict]           # summary.comparisons
    fits: dict                  # summary.model_tables: the mixed-effects model per unit
    anova: list[dict]           # ... and the repeated-measures ANOVA
    curve: dict                 # summary.curve_table
    design: dict                # policies, replicates, seeds, episodes, policy, pretrain_steps
    analysis: dict              # params.yaml's `analysis`
    note: str | None = None     # what the evaluation says of itself (e.g. why offline)

    @property
    def rollouts(self) -> bool:
        return self.metric == "success_rate"

    @property
    def fmt(self) -> str:
        return "{:.2f}" if self.rollouts else "{:.4f}"

    @cached_property
    def end(self) -> list[dict]:
        return [r for r in self.rows if r["fraction"] == 1.0]

    @cached_property
    def units(self) -> list[str]:
        return list(dict.fromkeys(r["unit"] for r in self.end))

    @cached_property
    def methods(self) -> list[str]:
        return list(dict.fromkeys(r["method"] for r in self.end))

    @cached_property
    def others(self) -> list[str]:
        """The methods compared with the baseline."""
        return [m for m in self.methods if m != self.analysis["baseline"]]

    @cached_property
    def header(self) -> str:
        """The head of a table with a row per method and a column per unit."""
        return "| method | " + " | ".join(self.units) + " |\n|---|" + "---|" * len(self.units)


def results_markdown(res: Results) -> str:
    """``results.md``: the means, then each analysis that has something to show."""
    out = _means(res)
    for section in (_against_baseline, _mixed_model, _anova, _curve):
        out += section(res)
    if res.note:
        out += ["", f"Note: {res.note}."]
    return "\n".join(out) + "\n"


def _means(res: Results) -> list[str]:
    d, cell = res.design, {(r["method"], r["unit"]): r for r in res.end}
    return [f"# {res.scenario}: {LABELS[res.metric]} per {res.unit_kind} at the end of training", "",
            f"Mean ± sd over {d['policies']} policies per method ({stats.format_design(d['replicates'], d['seeds'])})"
            + (f", {d['episodes']} episodes per {res.unit_kind} each." if res.rollouts else ".")
            + (f" Policy: {d['policy']}." if d.get("policy") else ""), "", res.header] + [
        f"| {m} | " + " | ".join(f"{res.fmt.format(cell[m, u]['mean'])} ± {res.fmt.format(cell[m, u]['sd'])}"
                                 for u in res.units) + " |" for m in res.methods]


def _against_baseline(res: Results) -> list[str]:
    if not res.tests:
        return []
    alpha, margin, baseline, fmt = res.analysis["alpha"], res.analysis["margin"], res.analysis["baseline"], res.fmt
    out = ["", f"## Against `{baseline}`", "",
           f"Effect (method − {baseline}) with its 95% CI, from per-policy values paired by replicate and seed; "
           f"p Holm-corrected over the {len(res.tests)} comparisons of this table; † marks p < {alpha}."
           + (f" ≈ marks equivalence within ±{margin} (TOST, p < {alpha})." if res.rollouts else ""), "", res.header]
    by = {(t["method"], t["unit"]): t for t in res.tests}
    out += [f"| {m} | " + " | ".join(_test_cell(by[m, u], res.rollouts, alpha, fmt) for u in res.units) + " |"
            for m in res.others]
    mdes = [t["mde"] for t in res.tests if t["mde"] is not None]
    if mdes:
        out += ["", f"Minimum detectable effect (α = {alpha}, power {res.analysis['power']}, paired t at "
                f"{res.design['policies']} policies, from each comparison's spread): median "
                f"{fmt.format(float(np.median(mdes)))}, range {fmt.format(min(mdes))}–{fmt.format(max(mdes))}."]
    return out


def _test_cell(t: dict, equivalence: bool, alpha: float, fmt: str) -> str:
    if t["p"] is None and t["ci95"] is None:
        return f"{t['effect']:+.3f} (n/a)"
    lo, hi = t["ci95"] or (float("nan"), float("nan"))
    mark = "†" if t["p_holm"] is not None and t["p_holm"] < alpha else ""
    mark += " ≈" if equivalence and t.get("equivalent") else ""
    return f"{fmt.format(t['effect'])} [{fmt.format(lo)}, {fmt.format(hi)}] p={stats.format_p(t['p_holm'])}{mark}"


def _mixed_model(res: Results) -> list[str]:
    if not res.fits:
        return []
    out = ["", "## Mixed-effects logistic model", "",
           "Per unit: " + next((f["model"] for f in res.fits.values() if "model" in f), "not fitted") + ". "
           f"Log-odds against {res.analysis['baseline']} ± posterior sd. Descriptive only: the variational posterior "
           "sds are too small (with no true effect its z-test rejected 0.40 of the time at a nominal 0.05, "
           "tests/test_stats.py), so no p-values are shown; the tests are the paired comparisons above.",
           "", res.header]
    for m in res.others:
        cells = [res.fits.get(u, {}).get("methods", {}).get(m) for u in res.units]
        out.append(f"| {m} | " + " | ".join("—" if c is None else f"{c['log_odds']:+.2f} ± {c['sd']:.2f}"
                                            for c in cells) + " |")
    vc = {u: f.get("variance_components", {}) for u, f in res.fits.items()}
    out += ["", "Random-effect SDs (log-odds): " + "; ".join(
        f"{u}: " + ", ".join(f"{k} {v:.2f}" for k, v in comp.items()) for u, comp in vc.items() if comp) + "."]
    errors = {u: f["error"] for u, f in res.fits.items() if "error" in f}
    if errors:
        out += ["", "Not fitted: " + "; ".join(f"{u} ({e})" for u, e in errors.items()) + "."]
    return out


def _anova(res: Results) -> list[str]:
    if not res.anova:
        return []
    return ["", "## Repeated-measures ANOVA (the paper's test)", "",
            "Per-policy success rates, subject = (replicate, seed), within: method × unit (statsmodels AnovaRM).",
            "", "| effect | F | df | p |", "|---|---|---|---|"] + [
        f"| {a['effect']} | {a['F']:.2f} | {a['df_num']:.0f}, {a['df_den']:.0f} | {stats.format_p(a['p'])} |"
        for a in res.anova]


def _curve(res: Results) -> list[str]:
    steps = sorted({s for c in res.curve.values() for s in c["steps"]})
    if len(steps) < 2:
        return []
    out = ["", "## Learning curve", "", f"Mean {LABELS[res.metric]} over policies at each checkpoint (training step)"
           + (f"; the last column is the first checkpoint whose mean reaches {res.analysis['target']}."
              if res.rollouts else ".")
           + (f" Step 0 is the pre-trained policy ({res.design['pretrain_steps']} steps with natural weights), "
              "the same for every method, from which each trains with its own weights."
              if res.design.get("pretrain_steps") else ""), "",
           "| method | unit | " + " | ".join(str(s) for s in steps) + (" | reaches target |" if res.rollouts else " |"),
           "|---|---|" + "---|" * (len(steps) + res.rollouts)]
    for (m, u), c in res.curve.items():
        row = f"| {m} | {u} | " + " | ".join(res.fmt.format(c["steps"][s]) if s in c["steps"] else "—" for s in steps)
        if res.rollouts:
            row += f" | {c['reached'] if c['reached'] is not None else '> ' + str(steps[-1])}"
        out.append(row + " |")
    return out


def results_csv(res: Results) -> str:
    """``results.csv``: one row per method, checkpoint and unit, with its comparison."""
    import pandas as pd
    table = pd.DataFrame(res.rows)
    table.insert(1, "metric", res.metric)
    if res.tests:
        t = pd.DataFrame([{"method": x["method"], "unit": x["unit"], "fraction": 1.0, "effect": x["effect"],
                           "ci95_low": (x["ci95"] or [None])[0], "ci95_high": (x["ci95"] or [None, None])[1],
                           "p": x["p"], "p_holm": x["p_holm"], "tost_p": x["tost_p"], "mde": x["mde"]}
                          for x in res.tests])
        table = table.merge(t, on=["method", "unit", "fraction"], how="left")
    return table.rename(columns={"unit": res.unit_kind}).to_csv(index=False, float_format="%.4f")


def weights_csv(weights: dict) -> str:
    """The compact weights record: every policy's weight and reference loss per behavior
    (``weights``: method → (replicate, seed) → WeightsFile)."""
    lines = ["method,replicate,seed,behavior,weight,reference_loss"]
    for method, per_policy in weights.items():
        for (r, s), w in per_policy.items():
            for b in w.behaviors:
                ref = (w.reference_losses or {}).get(b)
                lines.append(f"{method},{r},{s},{b},{w.weights[b]:.6f},{'' if ref is None else f'{ref:.6g}'}")
    return "\n".join(lines) + "\n"


def weights_markdown(scenario: str, weights: dict, paper: dict | None = None) -> str:
    """Weights and reference losses per method, mean ± std over the policies' solves: the
    analogue of the paper's Table 1. ``paper`` (a scenario kind's ``paper_table``: its
    ``behaviors`` and per-method ``rows``) adds the paper's numbers side by side where the
    run's behaviors are the paper's."""
    first = next(iter(next(iter(weights.values())).values()))
    behaviors, counts = first.behaviors, first.counts
    n_policies = len(next(iter(weights.values())))
    ms = lambda vals, f="{:.3f}": "{} ± {}".format(*(f.format(v) for v in mean_std(vals)))  # noqa: E731
    out = [f"# {scenario}: per-behavior weights and reference losses (mean ± std over {n_policies} policies)", "",
           "| method | " + " | ".join(f"w {b} (n={counts[b]})" for b in behaviors) + " | "
           + " | ".join(f"L* {b}" for b in behaviors) + " | notes |",
           "|---|" + "---|" * (2 * len(behaviors) + 1)]
    for m, per_seed in weights.items():
        files = list(per_seed.values())
        cells = [ms([f.weights[b] for f in files]) for b in behaviors]
        if files[0].reference_losses:
            cells += [ms([f.reference_losses[b] for f in files], "{:.4g}") for b in behaviors]
        else:
            cells += ["—"] * len(behaviors)
        note = registry.METHODS[files[0].spec["kind"]].note(files)
        out.append(f"| {m} | " + " | ".join(cells) + f" | {note} |")
    if paper and set(behaviors) == set(paper["behaviors"]):  # not with discovered behaviors
        names, first_b = paper["behaviors"], paper["behaviors"][0]
        out += ["", paper["caption"], "",
                "| method | " + " | ".join(f"w {b}" for b in names) + " | " + " | ".join(f"L* {b}" for b in names)
                + f" | ours: w {first_b} |", "|---|" + "---|" * (2 * len(names) + 1)]
        for m, row in paper["rows"].items():
            losses = row["losses"] or ("—",) * len(names)
            ours = ms([f.weights[first_b] for f in weights[m].values()]) if m in weights else "(not run)"
            out.append(f"| {m} | " + " | ".join(str(w) for w in row["weights"]) + " | "
                       + " | ".join(str(x) for x in losses) + f" | {ours} |")
    return "\n".join(out) + "\n"


def html_page(title: str, markdown_texts: list[str]) -> str:
    """The report's Markdown tables as one small HTML page (for Snakemake's HTML report,
    which shows HTML inline)."""
    import markdown
    body = "\n".join(markdown.markdown(text, extensions=["tables"]) for text in markdown_texts)
    style = ("body{font-family:sans-serif;font-size:13px;margin:1em} table{border-collapse:collapse;margin:0.5em 0 1.5em}"
             " th,td{border:1px solid #bbb;padding:3px 8px;text-align:right} th:first-child,td:first-child{text-align:left}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title><style>{style}</style></head>"
            f"<body>\n{body}\n</body></html>\n")
