"""report: one scenario's results over every method and policy (dataset replicate ×
training seed) — success per region or task (rollouts) or held-out loss per behavior
(offline) — with the statistics of ``balancebc.stats``:

- per method and unit, the mean and sd over policies at the end of training;
- each method against ``natural``: the effect, its 95% CI, a Holm-corrected p across the
  report's family, a TOST equivalence test within ``analysis.margin`` and the minimum
  detectable effect, from per-policy values paired by replicate and seed;
- a mixed-effects logistic model of the episodes (replicate, seed and policy random) and
  the paper's repeated-measures ANOVA;
- the learning curve (every checkpoint) and the first checkpoint reaching ``analysis.target``;
- the weights and reference losses each method solved (the paper's Table 1) and the DRO
  weights over solver iterations.

Its compact record, ``records/<scenario>/outcomes.csv`` (per episode) and ``weights.csv``
(per policy), is what the claims table reads."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from balancebc import paths, registry, stats
from balancebc.io import outcomes as outcomes_io
from balancebc.io.atomic import atomic_path, write_json, write_text
from balancebc.io.weights_file import WeightsFile

LABELS = {"success_rate": "success rate", "loss": "held-out loss (MSE)"}
BASELINE = "natural"


def _mean_std(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def summary(values) -> list[dict]:
    """Per method, unit and checkpoint: mean, sd and number of policies (and successes and
    episodes for rollouts)."""
    rows = []
    for (method, fraction, step, unit), g in values.groupby(["method", "fraction", "step", "unit"], sort=False):
        mean, sd = _mean_std(g["value"])
        rows.append({"method": method, "fraction": float(fraction), "step": int(step), "unit": unit,
                     "mean": mean, "sd": sd, "policies": len(g),
                     "successes": int(round((g["value"] * g["episodes"]).sum())), "episodes": int(g["episodes"].sum())})
    return rows


def comparisons(values, analysis: dict, lower_is_better: bool = False) -> list[dict]:
    """Every method against ``natural`` per unit at the end of training, paired by
    (replicate, seed); Holm across all of them (the report's family)."""
    end = values[values["fraction"] == 1.0]
    methods, units = list(dict.fromkeys(end["method"])), list(dict.fromkeys(end["unit"]))
    if BASELINE not in methods:
        return []
    tests = []
    for unit in units:
        base = end[(end["method"] == BASELINE) & (end["unit"] == unit)].set_index(["replicate", "seed"])["value"]
        for method in methods:
            if method == BASELINE:
                continue
            cell = end[(end["method"] == method) & (end["unit"] == unit)].set_index(["replicate", "seed"])["value"]
            pair = base.index.intersection(cell.index)
            test = stats.compare(cell[pair].to_numpy(), base[pair].to_numpy(), paired=True, margin=analysis["margin"],
                                 alpha=analysis["alpha"], power=analysis["power"])
            tests.append({"method": method, "unit": unit, **test})
    for t, p in zip(tests, stats.holm([t["p"] for t in tests])):
        t["p_holm"] = p
    return tests


def model_tables(outcomes, values) -> tuple[dict, list[dict]]:
    """The mixed-effects logistic model per unit (episodes at the end of training) and the
    repeated-measures ANOVA (per-policy values)."""
    end = outcomes[outcomes["fraction"] == 1.0].rename(columns={"value": "success"})
    fits = {unit: stats.mixed_logit(g, BASELINE) for unit, g in end.groupby("unit", sort=False)}
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


def to_markdown(scenario: str, metric: str, unit_kind: str, rows: list[dict], tests: list[dict], fits: dict,
                anova: list[dict], curve: dict, design: dict, analysis: dict, note: str | None) -> str:
    end = [r for r in rows if r["fraction"] == 1.0]
    units = list(dict.fromkeys(r["unit"] for r in end))
    methods = list(dict.fromkeys(r["method"] for r in end))
    cell = {(r["method"], r["unit"]): r for r in end}
    fmt = "{:.2f}" if metric == "success_rate" else "{:.4f}"
    header = "| method | " + " | ".join(units) + " |\n|---|" + "---|" * len(units)
    out = [f"# {scenario}: {LABELS[metric]} per {unit_kind} at the end of training", "",
           f"Mean ± sd over {design['policies']} policies per method ("
           f"{stats.format_design(design['replicates'], design['seeds'])})"
           + (f", {design['episodes']} episodes per {unit_kind} each." if metric == "success_rate" else ".")
           + (f" Policy: {design['policy']}." if design.get("policy") else ""), "", header]
    for m in methods:
        out.append(f"| {m} | " + " | ".join(f"{fmt.format(cell[m, u]['mean'])} ± {fmt.format(cell[m, u]['sd'])}"
                                            for u in units) + " |")
    if tests:
        alpha, margin = analysis["alpha"], analysis["margin"]
        out += ["", f"## Against `{BASELINE}`", "",
                f"Effect (method − {BASELINE}) with its 95% CI, from per-policy values paired by replicate and seed; "
                f"p Holm-corrected over the {len(tests)} comparisons of this table; † marks p < {alpha}."
                + (f" ≈ marks equivalence within ±{margin} (TOST, p < {alpha})." if metric == "success_rate" else ""),
                "", header]
        by = {(t["method"], t["unit"]): t for t in tests}
        for m in methods:
            if m == BASELINE:
                continue
            out.append(f"| {m} | " + " | ".join(_test_cell(by[m, u], metric, alpha, fmt) for u in units) + " |")
        mdes = [t["mde"] for t in tests if t["mde"] is not None]
        if mdes:
            out += ["", f"Minimum detectable effect (α = {alpha}, power {analysis['power']}, paired t at "
                    f"{design['policies']} policies, from each comparison's spread): median "
                    f"{fmt.format(float(np.median(mdes)))}, range {fmt.format(min(mdes))}–{fmt.format(max(mdes))}."]
    if fits:
        out += ["", "## Mixed-effects logistic model", "",
                "Per unit: " + next((f["model"] for f in fits.values() if "model" in f), "not fitted") + ". "
                "Log-odds against natural ± posterior sd. Descriptive only: the variational posterior sds are "
                "too small (with no true effect its z-test rejected 0.40 of the time at a nominal 0.05, "
                "tests/test_stats.py), so no p-values are shown; the tests are the paired comparisons above.",
                "", header]
        for m in methods:
            if m == BASELINE:
                continue
            cells = []
            for u in units:
                c = fits.get(u, {}).get("methods", {}).get(m)
                cells.append("—" if c is None else f"{c['log_odds']:+.2f} ± {c['sd']:.2f}")
            out.append(f"| {m} | " + " | ".join(cells) + " |")
        vc = {u: f.get("variance_components", {}) for u, f in fits.items()}
        out += ["", "Random-effect SDs (log-odds): " + "; ".join(
            f"{u}: " + ", ".join(f"{k} {v:.2f}" for k, v in comp.items()) for u, comp in vc.items() if comp) + "."]
        errors = {u: f["error"] for u, f in fits.items() if "error" in f}
        if errors:
            out += ["", "Not fitted: " + "; ".join(f"{u} ({e})" for u, e in errors.items()) + "."]
    if anova:
        out += ["", "## Repeated-measures ANOVA (the paper's test)", "",
                "Per-policy success rates, subject = (replicate, seed), within: method × unit "
                "(statsmodels AnovaRM).", "", "| effect | F | df | p |", "|---|---|---|---|"]
        out += [f"| {a['effect']} | {a['F']:.2f} | {a['df_num']:.0f}, {a['df_den']:.0f} | {stats.format_p(a['p'])} |"
                for a in anova]
    steps = sorted({s for c in curve.values() for s in c["steps"]})
    if len(steps) > 1:
        out += ["", "## Learning curve", "", f"Mean {LABELS[metric]} over policies at each checkpoint (training step)"
                + (f"; the last column is the first checkpoint whose mean reaches {analysis['target']}." if
                   metric == "success_rate" else ".")
                + (f" Step 0 is the pre-trained policy ({design['pretrain_steps']} steps with natural weights), "
                   "the same for every method, from which each trains with its own weights."
                   if design.get("pretrain_steps") else ""), "",
                "| method | unit | " + " | ".join(str(s) for s in steps)
                + (" | reaches target |" if metric == "success_rate" else " |"),
                "|---|---|" + "---|" * (len(steps) + (metric == "success_rate"))]
        for (m, u), c in curve.items():
            row = f"| {m} | {u} | " + " | ".join(fmt.format(c["steps"][s]) if s in c["steps"] else "—" for s in steps)
            if metric == "success_rate":
                row += f" | {c['reached'] if c['reached'] is not None else '> ' + str(steps[-1])}"
            out.append(row + " |")
    if note:
        out += ["", f"Note: {note}."]
    return "\n".join(out) + "\n"


def _test_cell(t: dict, metric: str, alpha: float, fmt: str) -> str:
    if t["p"] is None and t["ci95"] is None:
        return f"{t['effect']:+.3f} (n/a)"
    lo, hi = t["ci95"] or (float("nan"), float("nan"))
    mark = "†" if t["p_holm"] is not None and t["p_holm"] < alpha else ""
    mark += " ≈" if metric == "success_rate" and t.get("equivalent") else ""
    return f"{fmt.format(t['effect'])} [{fmt.format(lo)}, {fmt.format(hi)}] p={stats.format_p(t['p_holm'])}{mark}"


def to_csv(rows: list[dict], tests: list[dict], unit_kind: str, metric: str) -> str:
    import pandas as pd
    table = pd.DataFrame(rows)
    table.insert(1, "metric", metric)
    if tests:
        t = pd.DataFrame([{"method": x["method"], "unit": x["unit"], "fraction": 1.0, "effect": x["effect"],
                           "ci95_low": (x["ci95"] or [None])[0], "ci95_high": (x["ci95"] or [None, None])[1],
                           "p": x["p"], "p_holm": x["p_holm"], "tost_p": x["tost_p"], "mde": x["mde"]}
                          for x in tests])
        table = table.merge(t, on=["method", "unit", "fraction"], how="left")
    return table.rename(columns={"unit": unit_kind}).to_csv(index=False, float_format="%.4f")


def weights_csv(weights: dict) -> str:
    lines = ["method,replicate,seed,behavior,weight,reference_loss"]
    for method, per_policy in weights.items():
        for (r, s), w in per_policy.items():
            for b in w.behaviors:
                ref = (w.reference_losses or {}).get(b)
                lines.append(f"{method},{r},{s},{b},{w.weights[b]:.6f},{'' if ref is None else f'{ref:.6g}'}")
    return "\n".join(lines) + "\n"


def weights_markdown(scenario: str, weights: dict, paper: dict | None = None) -> str:
    """Weights and reference losses per method, mean ± std over the policies' solves: the
    analogue of the paper's Table 1; ``paper`` adds the paper's numbers side by side."""
    first = next(iter(next(iter(weights.values())).values()))
    behaviors, counts = first.behaviors, first.counts
    n_policies = len(next(iter(weights.values())))
    ms = lambda vals, f="{:.3f}": "{} ± {}".format(*(f.format(v) for v in _mean_std(vals)))  # noqa: E731
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
    if paper and set(behaviors) == {"optimal", "suboptimal"}:  # not with discovered behaviors
        out += ["", "The paper's Table 1 (picking; CALVIN, GMM policies — its losses are on another scale):", "",
                "| method | w suboptimal | w optimal | L* suboptimal | L* optimal | ours: w suboptimal |",
                "|---|---|---|---|---|---|"]
        for m, row in paper.items():
            losses = row["losses"] or ("—", "—")
            ours = ms([f.weights["suboptimal"] for f in weights[m].values()]) if m in weights else "(not run)"
            out.append(f"| {m} | {row['weights'][0]} | {row['weights'][1]} | {losses[0]} | {losses[1]} | {ours} |")
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


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=130)
    plt.close(fig)


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=130)
    plt.close(fig)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def bar_chart(path: Path, scenario: str, metric: str, unit_kind: str, values, demos: dict[str, int]) -> None:
    """End of training: the mean per method and unit, a dot per policy."""
    plt = _pyplot()
    end = values[values["fraction"] == 1.0]
    units, methods = list(dict.fromkeys(end["unit"])), list(dict.fromkeys(end["method"]))
    fig, ax = plt.subplots(figsize=(3.0 + 1.3 * len(units) * max(1, len(methods)) / 3, 3.6))
    width = 0.8 / len(methods)
    x = np.arange(len(units))
    for i, m in enumerate(methods):
        pos = x - 0.4 + width * (i + 0.5)
        cells = [end[(end["method"] == m) & (end["unit"] == u)]["value"].to_numpy() for u in units]
        ax.bar(pos, [c.mean() for c in cells], width, yerr=[c.std(ddof=1) if len(c) > 1 else 0 for c in cells],
               capsize=3, label=m, edgecolor="black", linewidth=0.6)
        for p, c in zip(pos, cells):
            ax.scatter([p] * len(c), c, s=6, color="black", zorder=3)
    ax.set_xticks(x, [f"{u}\n({demos[u]} train demos)" if u in demos else u for u in units])
    if metric == "success_rate":
        ax.set_ylim(0, 1.05)
    ax.set_ylabel(LABELS[metric])
    ax.set_title(f"{scenario}: {LABELS[metric]} per {unit_kind} (a dot per policy)")
    ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.spines[["top", "right"]].set_visible(False)
    _save(fig, path)


def curve_chart(path: Path, scenario: str, metric: str, values) -> None:
    """The learning curve: the mean over policies (± its standard error) against training
    steps, one panel per unit, one line per method."""
    plt = _pyplot()
    units, methods = list(dict.fromkeys(values["unit"])), list(dict.fromkeys(values["method"]))
    fig, axes = plt.subplots(1, len(units), figsize=(2.9 * len(units) + 1.4, 2.9), squeeze=False, sharey=True)
    for ax, u in zip(axes[0], units):
        for j, m in enumerate(methods):
            g = values[(values["unit"] == u) & (values["method"] == m)].groupby("step")["value"]
            mean, se = g.mean(), g.sem().fillna(0)
            ax.errorbar(mean.index, mean.to_numpy(), yerr=se.to_numpy(), marker="o", ms=3, capsize=2, color=f"C{j}",
                        label=m)
        ax.set_title(u, fontsize=9)
        ax.set_xlabel("training step")
        ax.spines[["top", "right"]].set_visible(False)
    axes[0][0].set_ylabel(LABELS[metric])
    if metric == "success_rate":
        axes[0][0].set_ylim(0, 1.05)
    axes[0][-1].legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(f"{scenario}: learning curve (mean ± s.e. over policies)", fontsize=10)
    _save(fig, path)


def alpha_chart(path: Path, scenario: str, weights: dict) -> None:
    """DRO weights (alpha) over solver iterations, one panel per DRO method, one line per
    behavior and seed."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    dro = {m: w for m, w in weights.items() if (next(iter(w.values())).solver or {}).get("trace")}
    fig, axes = plt.subplots(1, max(1, len(dro)), figsize=(3.2 * max(1, len(dro)), 2.8), squeeze=False)
    for ax, (m, per_seed) in zip(axes[0], dro.items()):
        for i, w in enumerate(per_seed.values()):
            trace = w.solver["trace"]
            steps = [t["step"] for t in trace]
            for j, b in enumerate(w.behaviors):
                ax.plot(steps, [t["weights"][b] for t in trace], color=f"C{j}", alpha=0.8 if i == 0 else 0.35,
                        label=b if i == 0 else None)
        ax.set_title(m, fontsize=9)
        ax.set_xlabel("solver iteration")
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("alpha (one line per policy)")
    if dro:
        axes[0][0].legend(fontsize=7, frameon=False)
    else:
        axes[0][0].text(0.5, 0.5, "no DRO method", ha="center", va="center")
    fig.suptitle(f"{scenario}: DRO weights over iterations", fontsize=10)
    _save(fig, path)


def policy_design(kind, params: dict, scenario: dict) -> dict:
    """What the scenario's policies are: the registered policy (with the algorithm its
    settings name, where they name one) and its pre-training steps."""
    settings = kind.train_settings(params, scenario)
    algo = settings.get("policy", {}).get("algo")
    return {"policy": kind.policy + (f" ({algo})" if algo else ""), "pretrain_steps": settings.get("pretrain_steps", 0)}


def report(name: str, params: dict) -> list[str]:
    """Write the scenario's report files from its evaluations and weights files."""
    methods, replicates, seeds = list(params["methods"]), params["replicates"], params["seeds"]
    analysis, scenario = params["analysis"], params["scenarios"][name]
    outcomes, unit_kind, metric = outcomes_io.from_evaluations(name, methods, replicates, seeds)
    values = outcomes_io.policy_values(outcomes)
    weights = {m: {(r, s): WeightsFile.read(paths.weights(name, m, r, s)) for r in replicates for s in seeds}
               for m in methods}
    rows = summary(values)
    tests = comparisons(values, analysis)
    fits, anova = model_tables(outcomes, values) if metric == "success_rate" else ({}, [])
    curve = curve_table(rows, analysis["target"] if metric == "success_rate" else None)
    design = {"policies": len(replicates) * len(seeds), "replicates": len(replicates), "seeds": len(seeds),
              "episodes": int(outcomes.groupby(["method", "replicate", "seed", "fraction", "unit"]).size().max()),
              **policy_design(registry.SCENARIOS[scenario["kind"]], params, scenario)}
    from balancebc.io.atomic import read_json
    note = read_json(paths.evaluation(name, methods[0], replicates[0], seeds[0]), "evaluation").get("note")
    results_md = to_markdown(name, metric, unit_kind, rows, tests, fits, anova, curve, design, analysis, note)
    weights_md = weights_markdown(name, weights, registry.SCENARIOS[scenario["kind"]].paper_table)
    out = Path(paths.report_dir(name))
    write_text(out / "results.csv", to_csv(rows, tests, unit_kind, metric))
    write_text(out / "results.md", results_md)
    write_text(out / "weights.md", weights_md)
    write_text(out / "results.html", html_page(f"{name}: results", [results_md, weights_md]))
    write_text(paths.record_file(name, "outcomes.csv"), outcomes.to_csv(index=False))
    write_text(paths.record_file(name, "weights.csv"), weights_csv(weights))
    demos = next(iter(next(iter(weights.values())).values())).demos
    bar_chart(out / "results.png", name, metric, unit_kind, values, demos)
    curve_chart(out / "curve.png", name, metric, values)
    alpha_chart(out / "alpha.png", name, weights)
    end = [r for r in rows if r["fraction"] == 1.0]
    write_json(out / "metrics.json", {m: {r["unit"]: round(r["mean"], 6) for r in end if r["method"] == m}
                                      for m in methods})
    # the data behind `dvc plots`: one bar per method and unit (success rate or loss), a colour per experiment
    write_text(out / "plot.csv", "case,mean\n" + "".join(f"{r['method']} / {r['unit']},{r['mean']:.4f}\n"
                                                            for r in end))
    return paths.report_files(name) + paths.record_files(name)


def run(params: dict, scenario: str) -> None:
    written = report(scenario, params)
    print("wrote " + ", ".join(written))
