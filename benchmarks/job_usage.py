"""What each stage's jobs used against what params.yaml's `resources` asks for, from the
benchmark files Snakemake writes next to every job's log (logs/<stage>/...benchmark.tsv).

    python benchmarks/job_usage.py            # after a `snakemake` run, in the repository

Prints per stage: jobs, the largest peak memory (max_rss, MB) and wall time (s) over its
jobs, and the request (mem_mb, runtime in minutes), so requests can be kept honest; and
the CPU seconds its jobs used in all, with their share of the run's, and the median per
job (where a run's time goes).
"""
from __future__ import annotations

import csv
import os
import statistics
import sys
from pathlib import Path

from balancebc.params import compose


def _number(row: dict, key: str) -> float:
    """A benchmark column's value; 0 where Snakemake wrote none ("-" or "NA")."""
    value = row.get(key, "-")
    return float(value) if value not in ("-", "NA", "") else 0.0


def usage(root: Path) -> dict[str, dict]:
    stages: dict[str, dict] = {}
    for tsv in sorted(root.glob("logs/*/**/*.benchmark.tsv")):
        stage = tsv.relative_to(root / "logs").parts[0]
        row = next(csv.DictReader(tsv.open(), delimiter="\t"))
        entry = stages.setdefault(stage, {"jobs": 0, "max_rss_mb": 0.0, "wall_s": 0.0, "cpu_s": []})
        entry["jobs"] += 1
        entry["max_rss_mb"] = max(entry["max_rss_mb"], _number(row, "max_rss"))
        entry["wall_s"] = max(entry["wall_s"], float(row["s"]))
        entry["cpu_s"].append(_number(row, "cpu_time"))
    return stages


def main() -> int:
    root = Path.cwd()
    params = compose(*os.environ.get("BALANCEBC_PARAMS", "params.yaml").split(os.pathsep))
    stages = usage(root)
    if not stages:
        print("no logs/*/**/*.benchmark.tsv here: run the pipeline with Snakemake first", file=sys.stderr)
        return 1
    total = sum(sum(e["cpu_s"]) for e in stages.values()) or 1.0
    print(f"{'stage':<10} {'jobs':>5} {'max RSS MB':>11} {'mem_mb':>7} {'max wall s':>11} {'runtime s':>10} "
          f"{'CPU s':>7} {'share':>6} {'CPU s/job':>10}")
    for stage, e in sorted(stages.items(), key=lambda item: -sum(item[1]["cpu_s"])):
        req = params["resources"].get(stage, {})
        print(f"{stage:<10} {e['jobs']:>5} {e['max_rss_mb']:>11.0f} {req.get('mem_mb', '-'):>7} "
              f"{e['wall_s']:>11.1f} {req.get('runtime', 0) * 60:>10} {sum(e['cpu_s']):>7.0f} "
              f"{sum(e['cpu_s']) / total:>6.0%} {statistics.median(e['cpu_s']):>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
