"""report: results per method over seeds — success rate of rollouts per region (`pick`,
`pick_suboptimal`) or held-out loss per behavior (`gaussian`) — as CSV, Markdown (with
paired tests against `natural`) and a bar chart in the style of the paper's figures; the
weights and reference losses each method solved, over seeds (the paper's Table 1, next to
the paper's own numbers for `pick_suboptimal`); the DRO weights over solver iterations."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from balancebc import paths, registry
from balancebc.io.atomic import atomic_path, read_json, write_json, write_text
from balancebc.io.weights_file import WeightsFile

LABELS = {"success_rate": "success rate", "loss": "held-out loss (MSE)"}


def _mean_std(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def collect(scenario: str, methods: list[str], seeds: list[int], metric: str) -> tuple[list[dict], dict]:
    """One row per method and evaluation unit (region or behavior); the weights files of
    every method and seed."""
    from scipy.stats import binomtest
    rows, weights = [], {}
    for method in methods:
        weights[method] = {s: WeightsFile.read(paths.weights(scenario, method, s)) for s in seeds}
        per_seed = {s: read_json(paths.evaluation(scenario, method, s), "evaluation") for s in seeds}
        unit_kind = per_seed[seeds[0]]["unit"]
        for unit in per_seed[seeds[0]]["units"]:
            values = np.array([per_seed[s]["units"][unit][metric] for s in seeds])
            weight = [weights[method][s].weights.get(unit) for s in seeds]
            mean, std = _mean_std(values)
            row = {"method": method, "unit_kind": unit_kind, "unit": unit,
                   "weight": None if None in weight else float(np.mean(weight)),
                   "metric": metric, "mean": mean, "std": std, "seeds": len(seeds),
                   "per_seed": {str(s): float(v) for s, v in zip(seeds, values)}}
            if metric == "success_rate":
                successes = sum(per_seed[s]["units"][unit]["successes"] for s in seeds)
                episodes = sum(per_seed[s]["units"][unit]["episodes"] for s in seeds)
                ci = binomtest(successes, episodes).proportion_ci(0.95, method="wilson")
                row.update(episodes=int(episodes), successes=int(successes), ci95=[float(ci.low), float(ci.high)])
            rows.append(row)
    return rows, weights


def paired_tests(rows: list[dict], baseline: str = "natural") -> list[dict]:
    """Paired t-test over seeds of every method against ``baseline``, per behavior."""
    from scipy.stats import ttest_rel
    cell = {(r["method"], r["unit"]): r for r in rows}
    out = []
    for r in rows:
        base = cell.get((baseline, r["unit"]))
        if base is None or r["method"] == baseline or r["seeds"] < 2:
            continue
        a, b = np.array(list(r["per_seed"].values())), np.array(list(base["per_seed"].values()))
        d = a - b
        if np.all(d == 0):
            p = 1.0
        elif np.ptp(d) == 0:  # the same nonzero difference in every seed: the t statistic is undefined
            p = None
        else:
            p = float(ttest_rel(a, b).pvalue)
        out.append({"method": r["method"], "unit": r["unit"], "difference": float(d.mean()), "p_value": p})
    return out


def to_csv(rows: list[dict], seeds: list[int]) -> str:
    with_ci = "ci95" in rows[0]
    head = [rows[0]["unit_kind"], "method", "weight", "metric", "mean", "std", "seeds"]
    head += ["episodes", "successes", "pooled_ci95_low", "pooled_ci95_high"] if with_ci else []
    lines = [",".join(head + [f"seed{s}" for s in seeds])]
    for r in rows:
        weight = "" if r["weight"] is None else f"{r['weight']:.4f}"
        cols = [r["unit"], r["method"], weight, r["metric"], f"{r['mean']:.4f}",
                f"{r['std']:.4f}", str(r["seeds"])]
        if with_ci:
            cols += [str(r["episodes"]), str(r["successes"]), f"{r['ci95'][0]:.4f}", f"{r['ci95'][1]:.4f}"]
        lines.append(",".join(cols + [f"{r['per_seed'][str(s)]:.4f}" for s in seeds]))
    return "\n".join(lines) + "\n"


def to_markdown(scenario: str, rows: list[dict], seeds: list[int], tests: list[dict]) -> str:
    behaviors = list(dict.fromkeys(r["unit"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    cell = {(r["method"], r["unit"]): r for r in rows}
    fmt = "{:.2f}" if rows[0]["metric"] == "success_rate" else "{:.4f}"
    out = [f"# {scenario}: {LABELS[rows[0]['metric']]} per {rows[0]['unit_kind']} "
           f"(mean ± std over {len(seeds)} seeds)", "",
           "| method | " + " | ".join(behaviors) + " |", "|---|" + "---|" * len(behaviors)]
    for m in methods:
        out.append(f"| {m} | " + " | ".join(f"{fmt.format(cell[m, b]['mean'])} ± {fmt.format(cell[m, b]['std'])}"
                                            for b in behaviors) + " |")
    if "ci95" in rows[0]:
        out += ["", "Pooled over seeds: successes / episodes [95% Wilson interval]", "",
                "| method | " + " | ".join(behaviors) + " |", "|---|" + "---|" * len(behaviors)]
        for m in methods:
            out.append(f"| {m} | " + " | ".join(
                f"{cell[m, b]['successes']}/{cell[m, b]['episodes']} "
                f"[{cell[m, b]['ci95'][0]:.2f}, {cell[m, b]['ci95'][1]:.2f}]" for b in behaviors) + " |")
    if tests:
        out += ["", "Paired t-test over seeds against `natural` (scipy.stats.ttest_rel); "
                "* marks p < 0.05. With few seeds the test has little power.", "",
                "| method | " + " | ".join(behaviors) + " |", "|---|" + "---|" * len(behaviors)]
        by = {(t["method"], t["unit"]): t for t in tests}
        for m in methods:
            if (m, behaviors[0]) in by:
                out.append(f"| {m} | " + " | ".join(_test_cell(by[m, b]) for b in behaviors) + " |")
    return "\n".join(out) + "\n"


def _test_cell(test: dict) -> str:
    p = test["p_value"]
    if p is None:
        return f"{test['difference']:+.3f} (p n/a)"
    return f"{test['difference']:+.3f} (p={p:.3f}){'*' if p < 0.05 else ''}"


def weights_markdown(scenario: str, weights: dict, paper: dict | None = None) -> str:
    """Weights and reference losses per method, mean ± std over the seeds' solves: the
    analogue of the paper's Table 1; ``paper`` adds the paper's numbers side by side."""
    first = next(iter(next(iter(weights.values())).values()))
    behaviors, counts = first.behaviors, first.counts
    n_seeds = len(next(iter(weights.values())))
    ms = lambda vals, f="{:.3f}": "{} ± {}".format(*(f.format(v) for v in _mean_std(vals)))  # noqa: E731
    out = [f"# {scenario}: per-behavior weights and reference losses (mean ± std over {n_seeds} seeds)", "",
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


def bar_chart(path: Path, scenario: str, rows: list[dict], demos: dict[str, int]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    behaviors = list(dict.fromkeys(r["unit"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    cell = {(r["method"], r["unit"]): r for r in rows}
    fig, ax = plt.subplots(figsize=(3.0 + 1.3 * len(behaviors) * max(1, len(methods)) / 3, 3.6))
    width = 0.8 / len(methods)
    x = np.arange(len(behaviors))
    for i, m in enumerate(methods):
        pos = x - 0.4 + width * (i + 0.5)
        ax.bar(pos, [cell[m, b]["mean"] for b in behaviors], width, yerr=[cell[m, b]["std"] for b in behaviors],
               capsize=3, label=m, edgecolor="black", linewidth=0.6)
        for p, b in zip(pos, behaviors):
            seeds = list(cell[m, b]["per_seed"].values())
            ax.scatter([p] * len(seeds), seeds, s=8, color="black", zorder=3)
    ax.set_xticks(x, [f"{b}\n({demos[b]} train demos)" if b in demos else b for b in behaviors])
    if rows[0]["metric"] == "success_rate":
        ax.set_ylim(0, 1.05)
    ax.set_ylabel(LABELS[rows[0]["metric"]])
    ax.set_title(f"{scenario}: {LABELS[rows[0]['metric']]} per {rows[0]['unit_kind']}")
    ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.spines[["top", "right"]].set_visible(False)
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
    axes[0][0].set_ylabel("alpha (one line per seed)")
    if dro:
        axes[0][0].legend(fontsize=7, frameon=False)
    else:
        axes[0][0].text(0.5, 0.5, "no DRO method", ha="center", va="center")
    fig.suptitle(f"{scenario}: DRO weights over iterations", fontsize=10)
    _save(fig, path)


def report(name: str, scenario: dict, methods: list[str], seeds: list[int]) -> list[str]:
    """Write the scenario's report files from its evaluations and weights files."""
    first = read_json(paths.evaluation(name, methods[0], seeds[0]), "evaluation")
    metric = "success_rate" if "success_rate" in next(iter(first["units"].values())) else "loss"
    rows, weights = collect(name, methods, seeds, metric)
    tests = paired_tests(rows)
    out = Path(paths.report_dir(name))
    note = first.get("note")
    results_md = to_markdown(name, rows, seeds, tests) + (f"\nNote: {note}.\n" if note else "")
    weights_md = weights_markdown(name, weights, registry.SCENARIOS[scenario["kind"]].paper_table)
    write_text(out / "results.csv", to_csv(rows, seeds))
    write_text(out / "results.md", results_md)
    write_text(out / "weights.md", weights_md)
    write_text(out / "results.html", html_page(f"{name}: results", [results_md, weights_md]))
    bar_chart(out / "results.png", name, rows, next(iter(next(iter(weights.values())).values())).demos)
    alpha_chart(out / "alpha.png", name, weights)
    write_json(out / "metrics.json", {m: {r["unit"]: round(r["mean"], 6) for r in rows if r["method"] == m}
                                      for m in methods})
    # the data behind `dvc plots`: one bar per method and unit (success rate or loss), a colour per experiment
    write_text(out / "plot.csv", "case,mean\n" + "".join(f"{r['method']} / {r['unit']},{r['mean']:.4f}\n"
                                                            for r in rows))
    return paths.report_files(name)


def run(params: dict, scenario: str) -> None:
    written = report(scenario, params["scenarios"][scenario], list(params["methods"]), params["seeds"])
    print("wrote " + ", ".join(written))
