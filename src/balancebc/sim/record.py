"""Scripted-expert demonstrations of a simulated scenario, written as one robomimic file.

Each demo has its own seed (derived from the scenario seed, its behavior and its index),
so the file does not depend on how many worker processes ran. Failed attempts are
retried with the next seed; only successful demos are kept.
"""
from __future__ import annotations

import json
import multiprocessing as mp

import numpy as np
from tqdm import tqdm

from balancebc import registry
from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import split_train_valid, write_dataset
from balancebc.sim import env as sim

MAX_ATTEMPTS = 5
_worker = {}


def demo_seed(base: int, behavior_index: int, demo_index: int, attempt: int) -> int:
    return int(np.random.SeedSequence([base, behavior_index, demo_index, attempt]).generate_state(1)[0])


def _init_worker(args: dict, kind: str, obs_keys: list[str]) -> None:
    images = any(map(sim.is_image, obs_keys))
    if images or "env" not in _worker:  # without cameras the workers inherit the parent's environment
        _worker["env"] = sim.make_env(args, images=images)
    _worker.update(kind=registry.SCENARIOS[kind], obs_keys=obs_keys)


def _record(task: tuple) -> tuple:
    """(task, the first successful demo or None, the tries it took)."""
    (behavior, unit, sloppiness), seeds, horizon = task
    for tries, seed in enumerate(seeds, 1):
        expert = _worker["kind"].make_expert(unit, sloppiness, seed)
        demo = sim.record_demo(_worker["env"], unit, seed, horizon, expert, behavior, _worker["obs_keys"])
        if demo is not None:
            return task, demo, tries
    return task, None, len(seeds)


def record_dataset(kind, scenario: dict, out: str) -> dict[str, int]:
    """Record ``kind.demo_plan(scenario)`` with ``kind.make_expert`` in ``kind.env_args(scenario)``
    (with the scenario's ``cameras``, their images too). The file's ``data`` attribute
    ``generation`` (JSON) records the expert's tries and successes per behavior."""
    args = sim.with_cameras(kind.env_args(scenario), scenario.get("cameras"), scenario.get("image_size", 84))
    names = kind.behaviors(scenario, [])
    tasks, index_in_behavior = [], {b: 0 for b in names}
    for item in kind.demo_plan(scenario):
        b = item[0]
        j, index_in_behavior[b] = index_in_behavior[b], index_in_behavior[b] + 1
        seeds = [demo_seed(scenario["seed"], names.index(b), j, a) for a in range(MAX_ATTEMPTS)]
        tasks.append((item, seeds, scenario["horizon"]))
    demos_by_task, tries = {}, {b: 0 for b in names}
    ctx = mp.get_context("fork")  # the workers inherit the loaded libraries (robosuite, MuJoCo)
    _worker.clear()
    if not any(map(sim.is_image, kind.policy_obs_keys(scenario))):  # one environment for the job, made before the fork
        _worker["env"] = sim.make_env(args)
    with ctx.Pool(scenario["workers"], initializer=_init_worker,
                  initargs=(args, kind.name, kind.policy_obs_keys(scenario))) as pool:
        for task, demo, n in tqdm(pool.imap_unordered(_record, tasks), total=len(tasks), desc="generate",
                                  mininterval=5):
            tries[task[0][0]] += n
            if demo is None:
                (behavior, unit, _), seeds, horizon = task
                raise BalanceBCError(f"generate: the {behavior!r} expert failed {len(seeds)} times in a row "
                                     f"in {unit!r} within {horizon} steps; check the scenario's "
                                     "regions, horizon and suboptimal settings")
            demos_by_task[tuple(task[1])] = demo  # the seeds identify the task
    demos, names_by_behavior = [], {b: [] for b in names}
    for (behavior, _, _), seeds, _ in tasks:  # the plan's order, whatever order workers finished in
        names_by_behavior[behavior].append(f"demo_{len(demos)}")
        demos.append(demos_by_task[tuple(seeds)])
    train, valid = split_train_valid(names_by_behavior, scenario["valid_fraction"], scenario["seed"])
    generation = {b: {"tries": tries[b], "successes": len(names_by_behavior[b])} for b in names}
    write_dataset(out, demos, args, {**names_by_behavior, "train": train, "valid": valid},
                  {"generation": json.dumps(generation)})
    print("expert successes / tries per behavior:",
          ", ".join(f"{b} {g['successes']}/{g['tries']}" for b, g in generation.items()))
    return {b: len(n) for b, n in names_by_behavior.items()}
