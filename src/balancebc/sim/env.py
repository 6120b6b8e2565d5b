"""What every simulated scenario shares: the environment (robosuite's, or CALVIN's
calvin_env) re-created from a dataset's ``env_args``, the observations policies see, seeded resets, and one scripted
demonstration recorded in robomimic's layout. Environments expose ``select(unit)`` (the
region or task of the next resets) and ``reseed(seed)``."""
from __future__ import annotations

import os

import numpy as np

from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import Demo
from balancebc.sim import calvin_env

POLICY_OBS_KEYS = ["robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos", "object"]
CONTROL_FREQ = 20


def env_args(env_name: str, horizon: int, **env_specific) -> dict:
    """robomimic ``env_args`` of a Panda with robosuite's BASIC composite controller
    (OSC_POSE arm), no rendering, low-dimensional object observations."""
    import robosuite
    from robosuite.controllers import load_composite_controller_config
    controller = load_composite_controller_config(controller="BASIC", robot="Panda")
    return {
        "env_name": env_name,
        "type": 1,  # robomimic's EnvType.ROBOSUITE_TYPE
        "env_version": robosuite.__version__,
        "env_kwargs": {
            "robots": "Panda", "controller_configs": controller, **env_specific,
            "has_renderer": False, "has_offscreen_renderer": False, "use_camera_obs": False,
            "use_object_obs": True, "reward_shaping": False, "control_freq": CONTROL_FREQ,
            "horizon": horizon, "ignore_done": True,
            "hard_reset": False,  # reuse the compiled model at reset: a hard reset recompiles it (~0.2 s)
        },
    }


def with_cameras(args: dict, cameras: list[str] | None, size: int = 84) -> dict:
    """``args`` with robosuite's offscreen cameras ``cameras`` rendering ``size`` × ``size``
    RGB images (observations ``<camera>_image``); unchanged without cameras."""
    if not cameras or args.get("type") == calvin_env.TYPE:  # CALVIN's env_args name their cameras themselves
        return args
    return {**args, "env_kwargs": {**args["env_kwargs"], "has_offscreen_renderer": True, "use_camera_obs": True,
                                   "camera_names": list(cameras), "camera_heights": size, "camera_widths": size,
                                   "camera_depths": False}}


def make_env(args: dict, seed: int = 0, images: bool = False):
    """Create the robosuite environment that ``args`` (a dataset's ``env_args``) describes,
    rendering its cameras offscreen only with ``images`` (MuJoCo's ``MUJOCO_GL``, default
    EGL, with Mesa's software renderer on a machine without a GPU); balancebc's
    environments register with robosuite on import. CALVIN's env_args make a
    :class:`~balancebc.sim.calvin_env.CalvinEnv`."""
    if args.get("type") == calvin_env.TYPE:
        return calvin_env.make_env(args, images=images)
    if images:
        os.environ.setdefault("MUJOCO_GL", "egl")
    import robosuite as suite

    import balancebc.sim.multitask_env  # noqa: F401
    import balancebc.sim.pick_env  # noqa: F401
    kwargs = {**args["env_kwargs"], "has_renderer": False}
    if not images:
        kwargs.update(has_offscreen_renderer=False, use_camera_obs=False)
    elif not kwargs.get("use_camera_obs"):
        raise BalanceBCError(f"{args['env_name']}: the policy sees camera images, but the dataset's env_args "
                             "render no camera (record it with the scenario's `cameras`)")
    return suite.make(args["env_name"], seed=seed, **kwargs)


def is_image(key: str) -> bool:
    return key.endswith("_image")


def policy_obs(obs: dict, keys: list[str] = POLICY_OBS_KEYS) -> dict[str, np.ndarray]:
    """The observation keys stored in datasets and fed to policies; robomimic's names drop
    robosuite's ``-state`` suffix (``object`` is robosuite's ``object-state``). Images are
    turned upright (robosuite renders them bottom row first), as robomimic's own
    environment wrapper does, and stay HWC uint8."""
    return {k: np.ascontiguousarray(obs[k][::-1]) if is_image(k) else obs[k] if k in obs else obs[f"{k}-state"]
            for k in keys}


def observe(env, obs: dict, keys: list[str]) -> dict[str, np.ndarray]:
    """What a policy sees of ``obs``: the environment's own ``policy_obs`` where it has one
    (CALVIN's), else robosuite's (:func:`policy_obs`)."""
    return env.policy_obs(obs, keys) if hasattr(env, "policy_obs") else policy_obs(obs, keys)


def reseed(env, seed: int) -> None:
    """Seed the object placement of the next resets (robosuite's samplers keep their own rng)."""
    if hasattr(env, "reseed"):
        env.reseed(seed)
        return
    env.rng = np.random.default_rng(seed)
    samplers = [getattr(env, "placement_initializer", None)]
    while samplers:
        sampler = samplers.pop()
        if sampler is not None:
            sampler.rng = env.rng
            samplers += list(getattr(sampler, "samplers", {}).values())


def record_demo(env, unit: str, seed: int, horizon: int, expert, behavior: str | None = None,
                obs_keys: list[str] = POLICY_OBS_KEYS) -> Demo | None:
    """Run ``expert`` once from a seeded reset with the env set to ``unit`` (a region or a
    task); the demo, or None if the task was not done within ``horizon`` steps."""
    env.select(unit)
    reseed(env, seed)
    obs = env.reset()
    steps = {"obs": [], "next_obs": [], "actions": [], "states": [], "rewards": []}
    for _ in range(horizon):
        steps["states"].append(env.flat_state() if hasattr(env, "flat_state") else env.sim.get_state().flatten())
        steps["obs"].append(observe(env, obs, obs_keys))
        action = expert.act(obs)
        obs, reward, _, _ = env.step(action)
        steps["actions"].append(action)
        steps["rewards"].append(reward)
        steps["next_obs"].append(observe(env, obs, obs_keys))
        if env._check_success():
            break
    else:
        return None
    n = len(steps["actions"])
    dones = np.zeros(n, dtype=np.int64)
    dones[-1] = 1
    stack = lambda seq: {k: np.array([o[k] for o in seq]) for k in seq[0]}  # noqa: E731
    return Demo(actions=np.array(steps["actions"]), states=np.array(steps["states"]),
                rewards=np.array(steps["rewards"]), dones=dones, obs=stack(steps["obs"]),
                next_obs=stack(steps["next_obs"]), model_file=env.sim.model.get_xml() if hasattr(env, "sim") else "",
                attrs={"behavior": behavior or unit, "unit": unit, "seed": seed})
