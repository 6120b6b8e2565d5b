"""A scenario report's charts: the end of training per method and unit (``results.png``),
the learning curve (``curve.png``) and the DRO weights over solver iterations
(``alpha.png``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from balancebc.analysis.tables import LABELS
from balancebc.io.atomic import atomic_path


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=130)
    _pyplot().close(fig)


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
    behavior and policy (``weights``: method → (replicate, seed) → WeightsFile)."""
    plt = _pyplot()
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
