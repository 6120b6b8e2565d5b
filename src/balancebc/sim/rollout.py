"""Rollouts of a trained policy, N episodes per evaluation unit (region or task; for an
environment without units, N episodes of its task).

The environment is re-created from the dataset's ``env_args`` (with the block in the
region); success is robosuite's own ``_check_success``. Episodes are spread over worker
processes, forked once the policy and the environment are made (one worker: in this
process), so a job makes one environment; with cameras each worker makes its own, since a
rendering context does not survive a fork. Episode i of
region k always gets the same seed (for the scene and for the policy's own sampling),
whichever worker runs it; the policy's recurrent state or frame history starts afresh
every episode.
"""
from __future__ import annotations

import multiprocessing as mp

import numpy as np
import torch
from tqdm import tqdm

from balancebc import registry
from balancebc.sim import env as sim

_worker = {}


def episode_seed(seed: int, behavior_index: int, episode: int) -> int:
    return int(np.random.SeedSequence([seed, 7919, behavior_index, episode]).generate_state(1)[0])


def _load_policy(policy: str, first_checkpoint: str, obs_keys: list[str]) -> None:
    """The registered policy and its first checkpoint, before any environment: the policy's
    libraries (torchvision, and with it triton) crash on import once MuJoCo has made an EGL
    context for images."""
    _worker.update(policy=registry.POLICIES[policy], policies={}, obs_keys=obs_keys)
    _loaded(first_checkpoint)


def _make_env(env_args: dict, obs_keys: list[str]) -> None:
    _worker["env"] = sim.make_env(env_args, images=any(map(sim.is_image, obs_keys)))


def _loaded(checkpoint: str):
    """The rollout policy of ``checkpoint``, loaded once per worker (tasks come checkpoint by checkpoint)."""
    loaded = _worker["policies"]
    if checkpoint not in loaded:
        loaded.clear()
        loaded[checkpoint] = _worker["policy"].rollout_policy(checkpoint)
    return loaded[checkpoint]


def _rollout(task: tuple) -> tuple:
    checkpoint, region, seed, horizon = task
    policy, env = _loaded(checkpoint), _worker["env"]
    if region is not None:
        env.select(region)
    sim.reseed(env, seed)
    torch.manual_seed(seed)  # a stochastic policy (a GMM head samples) draws the same in any worker
    obs = env.reset()
    policy.start_episode()
    for step in range(horizon):
        obs, _, _, _ = env.step(policy(ob=sim.observe(env, obs, _worker["obs_keys"])))
        if env._check_success():
            return task, True, step + 1
    return task, False, horizon


def rollouts(policy: str, checkpoints: dict, env_args: dict, regions: list[str] | None, episodes: int, seed: int,
             workers: int, obs_keys: list[str], horizon: int, progress=lambda done, total: None) -> dict:
    """Success per region or task (``regions=None``: one unit, the environment's task) of
    each of the registered ``policy``'s ``checkpoints`` (name → file), by name; one
    environment per worker serves them all. ``progress(done, total)`` after each episode."""
    units = regions or [None]
    tasks = [(str(c), r, episode_seed(seed, k, i), horizon) for c in checkpoints.values()
             for k, r in enumerate(units) for i in range(episodes)]
    outcome = {}
    _load_policy(policy, str(next(iter(checkpoints.values()))), obs_keys)
    images = any(map(sim.is_image, obs_keys))
    if workers == 1 or not images:  # the job's one environment, which forked workers inherit a copy of
        _make_env(env_args, obs_keys)
    if workers == 1:
        runs = map(_rollout, tasks)
    else:  # forked workers inherit the libraries, the policy and (without cameras) the environment
        pool = mp.get_context("fork").Pool(workers, initializer=_make_env if images else None,
                                           initargs=(env_args, obs_keys) if images else ())
        runs = pool.imap_unordered(_rollout, tasks)
    try:
        for task, success, steps in tqdm(runs, total=len(tasks), desc="evaluate", mininterval=10):
            outcome[task[:3]] = (success, steps)
            progress(len(outcome), len(tasks))
    finally:
        if workers > 1:
            pool.terminate()
    return {name: _per_unit(outcome, str(c), units, seed, episodes, env_args["env_name"])
            for name, c in checkpoints.items()}


def _per_unit(outcome: dict, checkpoint: str, units: list, seed: int, episodes: int, env_name: str) -> dict:
    result = {}
    for k, r in enumerate(units):
        done = [outcome[(checkpoint, r, episode_seed(seed, k, i))] for i in range(episodes)]
        successes = [bool(s) for s, _ in done]
        result[r or env_name] = {"episodes": len(done), "successes": int(sum(successes)),
                                 "success_rate": float(np.mean(successes)),
                                 "mean_steps": float(np.mean([n for _, n in done])),
                                 "per_episode": successes, "steps": [n for _, n in done]}
    return result
