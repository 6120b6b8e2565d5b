"""report: per-behavior success per method, mean ± std over seeds, as CSV, Markdown and a
bar chart in the style of the paper's figures, plus the weights each method used."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from balancebc import paths
from balancebc.io.atomic import atomic_path, read_json, write_json, write_text


def collect(scenario: str, methods: list[str], seeds: list[int]) -> tuple[list[dict], dict]:
    rows, weights = [], {}
    for method in methods:
        weights[method] = read_json(paths.weights(scenario, method), "weights file")
        per_seed = {s: read_json(paths.evaluation(scenario, method, s), "evaluation")["behaviors"]
                    for s in seeds}
        for behavior in weights[method]["behaviors"]:
            rates = np.array([per_seed[s][behavior]["success_rate"] for s in seeds])
            successes = sum(per_seed[s][behavior]["successes"] for s in seeds)
            episodes = sum(per_seed[s][behavior]["episodes"] for s in seeds)
            ci = binomtest(successes, episodes).proportion_ci(0.95, method="wilson")
            rows.append({"method": method, "behavior": behavior,
                         "weight": weights[method]["weights"][behavior],
                         "mean": float(rates.mean()), "std": float(rates.std(ddof=1)) if len(rates) > 1 else 0.0,
                         "seeds": len(seeds),
                         "episodes": int(episodes), "successes": int(successes),
                         "ci95": [float(ci.low), float(ci.high)],
                         "per_seed": {str(s): float(r) for s, r in zip(seeds, rates)}})
    return rows, weights


def to_csv(rows: list[dict], seeds: list[int]) -> str:
    head = ["method", "behavior", "weight", "success_mean", "success_std", "seeds", "episodes",
            "successes", "pooled_ci95_low", "pooled_ci95_high"]
    head += [f"seed{s}" for s in seeds]
    lines = [",".join(head)]
    for r in rows:
        lines.append(",".join([r["method"], r["behavior"], f"{r['weight']:.4f}", f"{r['mean']:.4f}",
                               f"{r['std']:.4f}", str(r["seeds"]), str(r["episodes"]), str(r["successes"]),
                               f"{r['ci95'][0]:.4f}", f"{r['ci95'][1]:.4f}"]
                              + [f"{r['per_seed'][str(s)]:.4f}" for s in seeds]))
    return "\n".join(lines) + "\n"


def to_markdown(scenario: str, rows: list[dict], seeds: list[int]) -> str:
    behaviors = list(dict.fromkeys(r["behavior"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    cell = {(r["method"], r["behavior"]): r for r in rows}
    out = [f"# {scenario}: success per behavior (mean ± std over {len(seeds)} seeds)", "",
           "| method | " + " | ".join(behaviors) + " |", "|---|" + "---|" * len(behaviors)]
    for m in methods:
        out.append(f"| {m} | " + " | ".join(f"{cell[m, b]['mean']:.2f} ± {cell[m, b]['std']:.2f}"
                                            for b in behaviors) + " |")
    out += ["", "Pooled over seeds: successes / episodes [95% Wilson interval]", "",
            "| method | " + " | ".join(behaviors) + " |", "|---|" + "---|" * len(behaviors)]
    for m in methods:
        out.append(f"| {m} | " + " | ".join(
            f"{cell[m, b]['successes']}/{cell[m, b]['episodes']} [{cell[m, b]['ci95'][0]:.2f}, {cell[m, b]['ci95'][1]:.2f}]"
            for b in behaviors) + " |")
    return "\n".join(out) + "\n"


def weights_markdown(scenario: str, weights: dict) -> str:
    behaviors = next(iter(weights.values()))["behaviors"]
    counts = next(iter(weights.values()))["counts"]
    out = [f"# {scenario}: per-behavior weights (end of training)", "",
           "| method | " + " | ".join(f"{b} (n={counts[b]})" for b in behaviors) + " | schedule |",
           "|---|" + "---|" * (len(behaviors) + 1)]
    for m, w in weights.items():
        sched = "fixed"
        if w["scheduled"]:
            start = "/".join(f"{w['trace'][0]['weights'][b]:.3f}" for b in behaviors)
            sched = f"{w['spec']['schedule']}, from {start} at the start"
        out.append(f"| {m} | " + " | ".join(f"{w['weights'][b]:.3f}" for b in behaviors) + f" | {sched} |")
    return "\n".join(out) + "\n"


def bar_chart(path: Path, scenario: str, rows: list[dict], demos: dict[str, int]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    behaviors = list(dict.fromkeys(r["behavior"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    cell = {(r["method"], r["behavior"]): r for r in rows}
    fig, ax = plt.subplots(figsize=(3.0 + 1.3 * len(behaviors) * max(1, len(methods)) / 3, 3.6))
    width = 0.8 / len(methods)
    x = np.arange(len(behaviors))
    for i, m in enumerate(methods):
        means = [cell[m, b]["mean"] for b in behaviors]
        stds = [cell[m, b]["std"] for b in behaviors]
        pos = x - 0.4 + width * (i + 0.5)
        ax.bar(pos, means, width, yerr=stds, capsize=3, label=m, edgecolor="black", linewidth=0.6)
        for p, b in zip(pos, behaviors):
            seeds = list(cell[m, b]["per_seed"].values())
            ax.scatter([p] * len(seeds), seeds, s=8, color="black", zorder=3)
    ax.set_xticks(x, [f"{b}\n({demos[b]} train demos)" for b in behaviors])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("success rate")
    ax.set_title(f"{scenario}: success per behavior")
    ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=130)
    plt.close(fig)


def report(scenario: str, methods: list[str], seeds: list[int]) -> list[str]:
    rows, weights = collect(scenario, methods, seeds)
    out = Path(paths.report_dir(scenario))
    write_text(out / "success.csv", to_csv(rows, seeds))
    write_text(out / "success.md", to_markdown(scenario, rows, seeds))
    write_text(out / "weights.md", weights_markdown(scenario, weights))
    bar_chart(out / "success.png", scenario, rows, next(iter(weights.values()))["demos"])
    write_json(out / "metrics.json", {m: {r["behavior"]: round(r["mean"], 4) for r in rows if r["method"] == m}
                                      for m in methods})
    return paths.report_files(scenario)
