"""evaluate: rollouts of a trained policy, N episodes per behavior.

The environment is re-created from the dataset's ``env_args`` with the block in the
behavior's region; success is robosuite's own ``_check_success``. Episodes are spread
over worker processes; episode i of behavior k always gets the same seed, whichever
worker runs it.
"""
from __future__ import annotations

import multiprocessing as mp

import numpy as np
from tqdm import tqdm

from balancebc.scenarios import pick

_worker = {}


def episode_seed(seed: int, behavior_index: int, episode: int) -> int:
    return int(np.random.SeedSequence([seed, 7919, behavior_index, episode]).generate_state(1)[0])


def _init_worker(checkpoint: str, env_args: dict) -> None:
    import robomimic.utils.file_utils as FileUtils
    import torch
    torch.set_num_threads(1)
    policy, _ = FileUtils.policy_from_checkpoint(ckpt_path=checkpoint, device=torch.device("cpu"))
    _worker.update(policy=policy, env=pick.make_env(env_args))


def _rollout(task: tuple) -> tuple:
    behavior, seed, horizon = task
    policy, env = _worker["policy"], _worker["env"]
    env.set_region(behavior)
    env.reseed(seed)
    obs = env.reset()
    policy.start_episode()
    for step in range(horizon):
        obs, _, _, _ = env.step(policy(ob=pick.policy_obs(obs)))
        if env._check_success():
            return task, True, step + 1
    return task, False, horizon


def evaluate(checkpoint: str, env_args: dict, behaviors: list[str], episodes: int, seed: int,
             workers: int) -> dict:
    horizon = env_args["env_kwargs"]["horizon"]
    tasks = [(b, episode_seed(seed, k, i), horizon) for k, b in enumerate(behaviors) for i in range(episodes)]
    outcome = {}
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(checkpoint, env_args)) as pool:
        for task, success, steps in tqdm(pool.imap_unordered(_rollout, tasks), total=len(tasks),
                                         desc="evaluate", mininterval=10):
            outcome[task[:2]] = (success, steps)
    result = {}
    for b in behaviors:
        runs = [outcome[t[:2]] for t in tasks if t[0] == b]
        successes = [bool(s) for s, _ in runs]
        result[b] = {"episodes": len(runs), "successes": int(sum(successes)),
                     "success_rate": float(np.mean(successes)),
                     "mean_steps": float(np.mean([n for _, n in runs])), "per_episode": successes}
    return result
