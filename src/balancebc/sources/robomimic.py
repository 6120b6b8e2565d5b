"""Bring your own robomimic file: validate it and copy it into the pipeline with one
filter key per behavior.

The scenario maps each behavior to one or more of the file's filter keys (for example
robomimic's multi-human datasets: ``better`` / ``okay`` / ``worse`` operators). Every demo
must land in exactly one behavior; shapes must agree across demos; actions must lie in
[-1, 1]. Demos are renamed ``demo_0…`` in their numeric order. The held-out split is the
file's own ``valid`` filter key when the scenario names one, otherwise a share of each
behavior's demos. Old-style (robosuite ≤ 1.4) controller configs in ``env_args`` are
converted to robosuite 1.5's composite form, so that evaluation can re-create the env.
"""
from __future__ import annotations

import json

import h5py
import numpy as np

from balancebc.errors import BalanceBCError
from balancebc.io.atomic import atomic_path
from balancebc.io.robomimic_hdf5 import check_finite, demo_number, open_dataset, read_masks, sorted_demos, split_train_valid
from balancebc.io.robomimic_hdf5 import env_args as read_env_args

ACTION_TOLERANCE = 1e-6


def assign_behaviors(path: str, masks: dict[str, list[str]], demos: list[str],
                     behaviors: dict[str, list[str]]) -> dict[str, str]:
    """demo → behavior, with errors for missing filter keys and demos in two behaviors or none."""
    owner: dict[str, tuple[str, str]] = {}
    for behavior, keys in behaviors.items():
        for key in keys:
            if key not in masks:
                raise BalanceBCError(f"{path}: filter key mask/{key} (behavior {behavior!r}) not found; "
                                     f"the file has {sorted(masks) or 'no filter keys'}")
            for demo in masks[key]:
                if demo not in demos:
                    raise BalanceBCError(f"{path}: mask/{key} names {demo}, which is not in data/")
                if demo in owner and owner[demo][0] != behavior:
                    raise BalanceBCError(f"{path}: {demo} is in behavior {owner[demo][0]!r} (mask/{owner[demo][1]}) "
                                         f"and in behavior {behavior!r} (mask/{key}); expected exactly one")
                owner[demo] = (behavior, key)
    unlabelled = [d for d in demos if d not in owner]
    if unlabelled:
        raise BalanceBCError(f"{path}: {len(unlabelled)} demos belong to no behavior (e.g. {unlabelled[0]}); "
                             "map a filter key that holds them to a behavior")
    return {d: b for d, (b, _) in owner.items()}


def check_demos(path: str, f: h5py.File, demos: list[str], obs_keys: list[str]) -> None:
    """Every demo has actions in [-1, 1] and the observation keys, with shapes that agree, and
    no NaN or ±inf in its float arrays (actions, states, rewards, obs/*, next_obs/*)."""
    shapes: dict[str, tuple] = {}
    for demo in demos:
        g = f[f"data/{demo}"]
        if "actions" not in g:
            raise BalanceBCError(f"{path}: data/{demo} has no actions")
        actions = g["actions"][()]
        n = len(actions)
        for key, value in [("actions", actions), *((f"obs/{k}", g.get(f"obs/{k}")) for k in obs_keys)]:
            if value is None:
                raise BalanceBCError(f"{path}: data/{demo}/{key} not found (scenario obs_keys {obs_keys})")
            if len(value) != n:
                raise BalanceBCError(f"{path}: data/{demo}/{key} has {len(value)} steps but actions {n}")
            shape = tuple(value.shape[1:])
            if shapes.setdefault(key, shape) != shape:
                raise BalanceBCError(f"{path}: data/{demo}/{key} has shape {shape} per step, other demos "
                                     f"{shapes[key]}; expected the same in every demo")
        floats = ["actions", "states", "rewards", *(f"{p}/{k}" for p in ("obs", "next_obs") if p in g for k in g[p])]
        check_finite(f"{path}: data/{demo}", {key: g[key] for key in floats if isinstance(g.get(key), h5py.Dataset)})
        worst = float(np.abs(actions).max()) if n else 0.0
        if worst > 1.0 + ACTION_TOLERANCE:
            raise BalanceBCError(f"{path}: data/{demo}/actions outside [-1, 1] (max |a| = {worst:.3g}); "
                                 "robomimic expects normalized actions")


def convert_env_args(env_args: dict) -> dict:
    """robosuite ≤ 1.4 part-controller configs → robosuite 1.5 composite configs."""
    kwargs = env_args.get("env_kwargs", {})
    if env_args.get("type") != 1 or "controller_configs" not in kwargs:
        return env_args
    from robosuite.controllers.composite.composite_controller_factory import refactor_composite_controller_config
    robots = kwargs.get("robots", "Panda")
    robot = robots[0] if isinstance(robots, list) else robots
    converted = refactor_composite_controller_config(kwargs["controller_configs"], robot, ["right"])
    return {**env_args, "env_kwargs": {**kwargs, "controller_configs": converted}}


def import_robomimic(scenario: dict, out: str) -> dict[str, int]:
    path = scenario["path"]
    with open_dataset(path) as f:
        masks = read_masks(f)
        demos = sorted_demos(f["data"])
        bad = [d for d in demos if demo_number(d) < 0]
        if bad:
            raise BalanceBCError(f"{path}: data/{bad[0]} is not named demo_<integer> (robomimic sorts on it)")
        owner = assign_behaviors(path, masks, demos, scenario["behaviors"])
        check_demos(path, f, demos, scenario["obs_keys"])
        rename = {d: f"demo_{i}" for i, d in enumerate(demos)}
        by_behavior = {b: [rename[d] for d in demos if owner[d] == b] for b in scenario["behaviors"]}
        if scenario.get("valid_key"):
            key = scenario["valid_key"]
            if key not in masks:
                raise BalanceBCError(f"{path}: valid_key mask/{key} not found; the file has {sorted(masks)}")
            valid = [rename[d] for d in masks[key]]
        else:
            valid = split_train_valid(by_behavior, scenario["valid_fraction"], scenario["seed"])[1]
        env = convert_env_args(read_env_args(f))
        with atomic_path(out) as tmp, h5py.File(tmp, "w") as dst:
            data = dst.create_group("data")
            for old, new in rename.items():
                f.copy(f[f"data/{old}"], data, name=new)
                data[new].attrs["source_demo"] = old
                data[new].attrs["behavior"] = owner[old]
            data.attrs["total"] = int(sum(data[n]["actions"].shape[0] for n in rename.values()))
            data.attrs["env_args"] = json.dumps(env)
            train = [n for n in rename.values() if n not in set(valid)]
            for name, members in {**by_behavior, "train": train, "valid": valid}.items():
                dst.create_dataset(f"mask/{name}", data=np.array(members, dtype="S"))
    return {b: len(m) for b, m in by_behavior.items()}

