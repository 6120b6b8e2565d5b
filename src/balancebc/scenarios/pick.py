"""The `pick` scenario: environment arguments, environment construction from a dataset's
``env_args``, and one expert demonstration recorded in robomimic's layout."""
from __future__ import annotations

import numpy as np

from balancebc.io.robomimic_hdf5 import Demo

POLICY_OBS_KEYS = ["robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos", "object"]
CONTROL_FREQ = 20


def env_args(scenario: dict) -> dict:
    """robomimic ``env_args``: enough to re-create the environment (regions included)."""
    from robosuite.controllers import load_composite_controller_config

    from balancebc.scenarios.pick_env import ENV_NAME
    controller = load_composite_controller_config(controller="BASIC", robot="Panda")
    return {
        "env_name": ENV_NAME,
        "type": 1,  # robomimic's EnvType.ROBOSUITE_TYPE
        "env_version": __import__("robosuite").__version__,
        "env_kwargs": {
            "robots": "Panda",
            "controller_configs": controller,
            "regions": scenario["regions"],
            "has_renderer": False,
            "has_offscreen_renderer": False,
            "use_camera_obs": False,
            "use_object_obs": True,
            "reward_shaping": False,
            "control_freq": CONTROL_FREQ,
            "horizon": scenario["horizon"],
            "ignore_done": True,
        },
    }


def demo_plan(scenario: dict) -> list[tuple[str, str, dict | None]]:
    """(behavior, region, sloppiness) of every demo to record, behavior by behavior.
    `pick`: one behavior per region. `pick_suboptimal`: optimal and suboptimal demos,
    each spread over the regions in turn."""
    regions = list(scenario["regions"])
    if scenario["kind"] == "pick":
        return [(r, r, None) for r in regions for _ in range(scenario["demos"][r])]
    return [(b, regions[j % len(regions)], scenario["suboptimal"] if b == "suboptimal" else None)
            for b in ("optimal", "suboptimal") for j in range(scenario["demos"][b])]


def make_env(args: dict, region: str | None = None, seed: int = 0):
    """Create the robosuite environment that ``args`` (a dataset's ``env_args``) describes."""
    import robosuite as suite

    import balancebc.scenarios.pick_env  # noqa: F401  (registers RegionLift with robosuite)
    return suite.make(args["env_name"], region=region, seed=seed, **args["env_kwargs"])


def policy_obs(obs: dict) -> dict[str, np.ndarray]:
    """The observation keys stored in datasets and fed to policies."""
    return {"robot0_eef_pos": obs["robot0_eef_pos"], "robot0_eef_quat": obs["robot0_eef_quat"],
            "robot0_gripper_qpos": obs["robot0_gripper_qpos"], "object": obs["object-state"]}


def record_demo(env, region: str, seed: int, horizon: int, behavior: str | None = None,
                sloppiness: dict | None = None) -> Demo | None:
    """Run the region's expert once from a seeded reset; the demo, or None if it failed.
    ``sloppiness`` (a scenario's ``suboptimal`` parameters) makes it a SloppyExpert."""
    from balancebc.scenarios.pick_expert import RegionExpert, SloppyExpert
    env.set_region(region)
    env.reseed(seed)
    obs = env.reset()
    expert = (SloppyExpert(sloppiness["style"], sloppiness, np.random.default_rng(seed)) if sloppiness
              else RegionExpert())
    steps = {"obs": [], "next_obs": [], "actions": [], "states": [], "rewards": []}
    for _ in range(horizon):
        steps["states"].append(env.sim.get_state().flatten())
        steps["obs"].append(policy_obs(obs))
        action = expert.act(obs)
        obs, reward, _, _ = env.step(action)
        steps["actions"].append(action)
        steps["rewards"].append(reward)
        steps["next_obs"].append(policy_obs(obs))
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
                next_obs=stack(steps["next_obs"]), model_file=env.sim.model.get_xml(),
                attrs={"behavior": behavior or region, "region": region, "seed": seed})
