"""Rollout speed of the evaluate stage against a bare ``env.step`` loop on the same
environment, and the speed-up of ``evaluate.workers: N`` against 1, in one run.

    python benchmarks/evaluate_speed.py --project DIR [--scenario pick] [--method natural] [--workers 2]

DIR is a working copy where the pipeline has trained that policy (replicate 0, seed 0 by
default: its dataset, labels, weights and checkpoints). Each repeat, interleaved:

- ``balancebc evaluate`` as its own process, as Snakemake runs it (start-up, environment,
  checkpoints, rollouts, the evaluation file, MLflow), in a scratch copy of those inputs,
  once with ``workers: 1`` and once with ``workers: N``;
- the same rollouts in this process (``scenarios.rollout.rollouts``, libraries already
  loaded): what evaluation costs per step beyond the simulator, without start-up;
- the bare loop: the environment made from the dataset's ``env_args``, the same seeded
  resets in the same regions, and as many ``env.step`` calls per episode as that episode
  took in the evaluation, replaying a recorded demo's actions of the region (cycled), so
  the block is touched as in a rollout. The environment is made before the clock starts.

Prints medians over --repeats: env steps per second each way, their ratios (target ≥ 0.9),
the speed-up with N workers (target ≥ 0.85·N), and whether N workers gave the same
outcomes as one.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import yaml

from balancebc import paths
from balancebc.io.robomimic_hdf5 import env_args, open_dataset
from balancebc.sim import env as sim
from balancebc.sim.rollout import episode_seed


def scratch_project(project: Path, scenario: str, method: str, replicate: int, seed: int, workers: int) -> Path:
    """A working copy holding only what one evaluate job reads, with ``evaluate.workers`` set."""
    out = Path(tempfile.mkdtemp(prefix="evaluate_speed_"))
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["evaluate"]["workers"] = workers
    (out / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    files = [paths.dataset(scenario, replicate), paths.labels(scenario, replicate), paths.labelled(scenario, replicate),
             paths.weights(scenario, method, replicate, seed),
             *paths.checkpoints(scenario, method, replicate, seed, params["checkpoints"]).values()]
    for f in files:
        (out / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project / f, out / f)
    import mlflow  # the tracking store exists before the job, as under Snakemake (its onstart creates it)
    mlflow.MlflowClient(f"sqlite:///{out / 'mlflow.db'}").search_experiments()
    return out


def evaluate_job(project: Path, scenario: str, method: str, replicate: int, seed: int) -> tuple[float, dict]:
    """Wall time of one ``balancebc evaluate`` process, and the evaluation it wrote."""
    env = {**os.environ, "BALANCEBC_PARAMS": str(project / "params.yaml")}
    env.pop("MLFLOW_TRACKING_URI", None)
    cmd = [str(Path(sys.executable).parent / "balancebc"), "evaluate", "--scenario", scenario,
           "--replicate", str(replicate), "--method", method,
           "--seed", str(seed)]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=project, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    return wall, json.loads((project / paths.evaluation(scenario, method, replicate, seed)).read_text())


def episodes(evaluation: dict, seed: int) -> list[tuple[str, int, int]]:
    """(region, episode seed, env steps) of every episode the evaluation ran, all checkpoints."""
    out = []
    for point in evaluation["curve"]:
        for k, (region, unit) in enumerate(point["units"].items()):
            out += [(region, episode_seed(seed, k, i), n) for i, n in enumerate(unit["steps"])]
    return out


def demo_actions(labelled: Path) -> dict[str, object]:
    """One recorded demo's actions per behavior (for `pick`: per region)."""
    actions = {}
    with h5py.File(labelled, "r") as f:
        for demo in f["data"].values():
            actions.setdefault(str(demo.attrs["unit"]), demo["actions"][()])
    return actions


def bare_loop(env, runs: list[tuple[str, int, int]], actions: dict) -> float:
    start = time.perf_counter()
    for region, episode_seed_, n in runs:
        env.select(region)
        sim.reseed(env, episode_seed_)
        env.reset()
        a = actions[region]
        for t in range(n):
            env.step(a[t % len(a)])
    return time.perf_counter() - start


def in_process(project: Path, scenario: str, method: str, replicate: int, seed: int, workers: int) -> float:
    """Wall time of the evaluation's rollouts called here: environment, checkpoints, episodes."""
    from balancebc import registry
    from balancebc.params import all_scenarios, load
    from balancebc.scenarios.base import for_replicate
    from balancebc.sim.rollout import rollouts
    params = load(str(project / "params.yaml"))
    spec = for_replicate(all_scenarios(params)[scenario], replicate)
    kind = registry.SCENARIOS[spec["kind"]]
    with open_dataset(project / paths.dataset(scenario, replicate)) as f:
        env = env_args(f)
    how = kind.evaluation(spec, env)
    files = {f: str(project / c) for f, c in paths.checkpoints(scenario, method, replicate, seed,
                                                                 params["checkpoints"]).items()}
    start = time.perf_counter()
    rollouts(kind.policy, files, env, how.units, params["evaluate"]["episodes"], seed, workers,
             kind.policy_obs_keys(spec), how.horizon)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--project", type=Path, required=True)
    ap.add_argument("--scenario", default="pick")
    ap.add_argument("--method", default="natural")
    ap.add_argument("--replicate", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    job = (args.scenario, args.method, args.replicate, args.seed)
    scratch = {n: scratch_project(args.project.resolve(), *job, n) for n in (1, args.workers)}
    with open_dataset(scratch[1] / paths.dataset(args.scenario, args.replicate)) as f:
        env = sim.make_env(env_args(f))
    actions = demo_actions(scratch[1] / paths.labelled(args.scenario, args.replicate))
    walls, bare, outcomes, here = {1: [], args.workers: []}, [], {}, {1: [], args.workers: []}
    for r in range(args.repeats):
        for n in walls:
            wall, outcomes[n] = evaluate_job(scratch[n], *job)
            walls[n].append(wall)
        for n in here:
            here[n].append(in_process(scratch[1], *job, n))
        runs = episodes(outcomes[1], args.seed)
        bare.append(bare_loop(env, runs, actions))
        print(f"repeat {r}: evaluate {', '.join(f'{n} worker(s) {w[-1]:.1f} s' for n, w in walls.items())}; "
              f"in-process rollouts {', '.join(f'{n}: {w[-1]:.1f} s' for n, w in here.items())}; "
              f"bare loop {bare[-1]:.1f} s ({sum(n for *_, n in runs)} steps)", flush=True)
    steps = sum(n for *_, n in episodes(outcomes[1], args.seed))
    med = {n: statistics.median(w) for n, w in walls.items()}
    bare_rate, eval_rate = steps / statistics.median(bare), steps / med[1]
    same = outcomes[1]["curve"] == outcomes[args.workers]["curve"]
    inner = {n: statistics.median(w) for n, w in here.items()}
    print(f"\n{args.scenario}/{args.method}: {steps} env steps per evaluation, medians of {args.repeats}")
    print(f"bare env.step loop        {bare_rate:7.1f} steps/s")
    print(f"evaluate job, 1 worker    {eval_rate:7.1f} steps/s   ratio {eval_rate / bare_rate:.2f} (target >= 0.9)")
    print(f"evaluate job, {args.workers} workers   {steps / med[args.workers]:7.1f} steps/s   speed-up "
          f"{med[1] / med[args.workers]:.2f} (target >= {0.85 * args.workers:.2f}); same outcomes as 1 worker: {same}")
    print(f"start-up and wind-down of a job (1 worker: job - in-process rollouts) {med[1] - inner[1]:.1f} s")
    print(f"rollouts in-process, 1    {steps / inner[1]:7.1f} steps/s   ratio {steps / inner[1] / bare_rate:.2f}")
    print(f"rollouts in-process, {args.workers}    {steps / inner[args.workers]:7.1f} steps/s   speed-up "
          f"{inner[1] / inner[args.workers]:.2f}")
    for d in scratch.values():
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
