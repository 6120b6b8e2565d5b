"""report: one scenario's results over every method and policy (dataset replicate ×
training seed), analysed by ``balancebc.analysis``: success per region or task (rollouts)
or held-out loss per behavior (offline), each method against the baseline, the models,
the learning curve, the weights each method solved (the paper's Table 1) and the DRO
weights over solver iterations.

Writes ``results/<scenario>/report/`` (tables, figures, ``metrics.json`` and ``plot.csv``
for DVC) and the compact record ``records/<scenario>/`` (``outcomes.csv`` per episode,
``weights.csv`` per policy), from which the claims table and every table regenerate."""
from __future__ import annotations

from pathlib import Path

from balancebc import paths, registry
from balancebc.analysis import figures, summary, tables
from balancebc.io import outcomes as outcomes_io
from balancebc.io.atomic import read_json, write_json, write_text
from balancebc.io.weights_file import WeightsFile
from balancebc.params import all_scenarios, methods_of


def design(params: dict, scenario: dict, outcomes) -> dict:
    """What stands behind each cell: policies, replicates, seeds, episodes per unit, the
    registered policy (with the algorithm its settings name) and its pre-training steps."""
    kind = registry.SCENARIOS[scenario["kind"]]
    settings = kind.train_settings(params, scenario)
    algo = settings.get("policy", {}).get("algo")
    return {"policies": len(params["replicates"]) * len(params["seeds"]), "replicates": len(params["replicates"]),
            "seeds": len(params["seeds"]),
            "episodes": int(outcomes.groupby(["method", "replicate", "seed", "fraction", "unit"]).size().max()),
            "policy": kind.policy + (f" ({algo})" if algo else ""), "pretrain_steps": settings.get("pretrain_steps", 0)}


def report(name: str, params: dict) -> list[str]:
    """Write the scenario's report files from its evaluations and weights files."""
    methods, replicates, seeds = methods_of(params, name), params["replicates"], params["seeds"]
    analysis, scenario = params["analysis"], all_scenarios(params)[name]
    outcomes, unit_kind, metric = outcomes_io.from_evaluations(name, methods, replicates, seeds)
    weights = {m: {(r, s): WeightsFile.read(paths.weights(name, m, r, s)) for r in replicates for s in seeds}
               for m in methods}
    note = read_json(paths.evaluation(name, methods[0], replicates[0], seeds[0]), "evaluation").get("note")

    values = outcomes_io.policy_values(outcomes)
    rows = summary.summary(values)
    rollouts = metric == "success_rate"
    fits, anova = summary.model_tables(outcomes, values, analysis["baseline"]) if rollouts else ({}, [])
    res = tables.Results(name, metric, unit_kind, rows, summary.comparisons(values, analysis), fits, anova,
                         summary.curve_table(rows, analysis["target"] if rollouts else None),
                         design(params, scenario, outcomes), analysis, note)
    results_md = tables.results_markdown(res)
    weights_md = tables.weights_markdown(name, weights, registry.SCENARIOS[scenario["kind"]].paper_table)

    out = Path(paths.report_dir(name))
    write_text(out / "results.csv", tables.results_csv(res))
    write_text(out / "results.md", results_md)
    write_text(out / "weights.md", weights_md)
    write_text(out / "results.html", tables.html_page(f"{name}: results", [results_md, weights_md]))
    write_text(paths.record_file(name, "outcomes.csv"), outcomes.to_csv(index=False))
    write_text(paths.record_file(name, "weights.csv"), tables.weights_csv(weights))
    demos = next(iter(next(iter(weights.values())).values())).demos
    figures.bar_chart(out / "results.png", name, metric, unit_kind, values, demos)
    figures.curve_chart(out / "curve.png", name, metric, values)
    figures.alpha_chart(out / "alpha.png", name, weights)
    write_json(out / "metrics.json", {m: {r["unit"]: round(r["mean"], 6) for r in res.end if r["method"] == m}
                                      for m in methods})
    # the data behind `dvc plots`: one bar per method and unit (success rate or loss), a colour per experiment
    write_text(out / "plot.csv", "case,mean\n" + "".join(f"{r['method']} / {r['unit']},{r['mean']:.4f}\n"
                                                            for r in res.end))
    return paths.report_files(name) + paths.record_files(name)


def run(params: dict, scenario: str) -> None:
    written = report(scenario, params)
    print("wrote " + ", ".join(written))
