"""generate: scripted-expert demonstrations of a scenario, written as one robomimic file.

Each demo has its own seed (derived from the scenario seed, its region and its index), so
the file does not depend on how many worker processes ran. Failed attempts are retried
with the next seed; only successful demos are kept.
"""
from __future__ import annotations

import multiprocessing as mp

import numpy as np
from tqdm import tqdm

from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import write_dataset
from balancebc.scenarios import pick

MAX_ATTEMPTS = 5
_worker_env = None


def demo_seed(base: int, region_index: int, demo_index: int, attempt: int) -> int:
    return int(np.random.SeedSequence([base, region_index, demo_index, attempt]).generate_state(1)[0])


def _init_worker(args: dict) -> None:
    global _worker_env
    _worker_env = pick.make_env(args)


def _record(task: tuple) -> tuple:
    region, region_index, demo_index, base, horizon = task
    for attempt in range(MAX_ATTEMPTS):
        seed = demo_seed(base, region_index, demo_index, attempt)
        demo = pick.record_demo(_worker_env, region, seed, horizon)
        if demo is not None:
            return task, demo, attempt
    return task, None, MAX_ATTEMPTS


def split_train_valid(names_by_behavior: dict[str, list[str]], valid_fraction: float,
                      seed: int) -> tuple[list[str], list[str]]:
    """Hold out ``valid_fraction`` of each behavior's demos (at least one when it has two)."""
    rng = np.random.default_rng(seed)
    train, valid = [], []
    for names in names_by_behavior.values():
        names = list(rng.permutation(names))
        n_valid = 0 if valid_fraction == 0 or len(names) < 2 else max(1, round(valid_fraction * len(names)))
        valid += names[:n_valid]
        train += names[n_valid:]
    key = lambda n: int(n.split("_")[1])  # noqa: E731
    return sorted(train, key=key), sorted(valid, key=key)


def generate(scenario: dict, out: str) -> dict:
    args = pick.env_args(scenario)
    regions = list(scenario["regions"])
    tasks = [(region, i, j, scenario["seed"], scenario["horizon"])
             for i, region in enumerate(regions) for j in range(scenario["demos"][region])]
    results = {}
    ctx = mp.get_context("spawn")
    with ctx.Pool(scenario["workers"], initializer=_init_worker, initargs=(args,)) as pool:
        for task, demo, attempts in tqdm(pool.imap_unordered(_record, tasks), total=len(tasks),
                                         desc="generate", mininterval=5):
            if demo is None:
                raise BalanceBCError(f"generate: the {task[0]!r} expert failed {attempts} times in a row "
                                     f"(demo {task[2]}); check scenarios.pick.regions")
            results[task[:3]] = demo
    demos, names_by_behavior = [], {r: [] for r in regions}
    for key in sorted(results, key=lambda k: (k[1], k[2])):
        names_by_behavior[key[0]].append(f"demo_{len(demos)}")
        demos.append(results[key])
    train, valid = split_train_valid(names_by_behavior, scenario["valid_fraction"], scenario["seed"])
    write_dataset(out, demos, args, {**names_by_behavior, "train": train, "valid": valid})
    return {r: len(n) for r, n in names_by_behavior.items()}
