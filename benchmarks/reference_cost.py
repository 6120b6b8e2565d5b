"""CPU time of the weights stage of each method with a solver (DRO: reference losses, then
the DRO game), as a ratio of one train stage on the same scenario, all measured in this
run (medians over --repeats).

    python benchmarks/reference_cost.py --scenario pick [--params params.yaml] [--repeats 3]

Needs the scenario's dataset and labels (run the pipeline's generate and label first);
works in a temporary copy so that no result or MLflow run of the project is touched.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from balancebc import registry
from balancebc.params import all_scenarios, load

BIN = Path(sys.executable).parent


def cpu_seconds(cmd: list[str], cwd: Path) -> float:
    """User + system CPU time of a child command (and its own children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="pick")
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    params = load(args.params)
    solved = [m for m, spec in params["methods"].items() if registry.METHODS[spec["kind"]].needs_solver]
    base = [m for m, spec in params["methods"].items() if spec["kind"] == "natural"][0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(Path("data") / args.scenario, work / "data" / args.scenario)
        shutil.copy(args.params, work / "params.yaml")
        seed = str(params["seeds"][0])
        run = lambda stage, method: cpu_seconds(  # noqa: E731
            ["balancebc", stage, "--scenario", args.scenario, "--method", method, "--seed", seed], work)
        run("weights", base)
        train = [run("train", base) for _ in range(args.repeats)]
        t_train = statistics.median(train)
        scenario = all_scenarios(params)[args.scenario]
        steps = registry.SCENARIOS[scenario["kind"]].train_settings(params, scenario)["steps"]
        print(f"{args.scenario}: train stage ({base}, {steps} steps): median {t_train:.1f} s CPU "
              f"over {args.repeats} runs {[round(t, 1) for t in train]}")
        for method in solved:
            costs = [run("weights", method) for _ in range(args.repeats)]
            t = statistics.median(costs)
            print(f"{method}: weights median {t:.1f} s CPU {[round(c, 1) for c in costs]}; "
                  f"ratio to one train stage {t / t_train:.2f}")


if __name__ == "__main__":
    main()
