"""A robomimic file made outside the pipeline, the way robomimic's own tools write them:
robosuite's standard Lift, an old-style (robosuite ≤ 1.4) controller config in
``env_args``, demos ``demo_1…``, filter keys stored as bytes for two operators of
different quality (the multi-human datasets' ``better`` / ``worse``) plus an unrelated one."""
import json
from pathlib import Path

import h5py
import numpy as np

OLD_OSC_POSE = {"type": "OSC_POSE", "input_max": 1, "input_min": -1,
                "output_max": [0.05, 0.05, 0.05, 0.5, 0.5, 0.5], "output_min": [-0.05, -0.05, -0.05, -0.5, -0.5, -0.5],
                "kp": 150, "damping": 1, "impedance_mode": "fixed", "kp_limits": [0, 300], "damping_limits": [0, 10],
                "position_limits": None, "orientation_limits": None, "uncouple_pos_ori": True, "control_delta": True,
                "interpolation": None, "ramp_ratio": 0.2}
ENV_KWARGS = {"robots": "Panda", "controller_configs": OLD_OSC_POSE, "has_renderer": False,
              "has_offscreen_renderer": False, "use_camera_obs": False, "use_object_obs": True,
              "reward_shaping": False, "control_freq": 20, "ignore_done": True, "horizon": 100}
OBS_KEYS = ["robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos", "object"]


def record(env, expert, seed: int, horizon: int = 100):
    from balancebc.scenarios import sim
    sim.reseed(env, seed)
    obs = env.reset()
    rows = {"obs": [], "actions": [], "states": []}
    for _ in range(horizon):
        rows["states"].append(env.sim.get_state().flatten())
        rows["obs"].append(sim.policy_obs(obs, OBS_KEYS))
        action = expert.act(obs)
        obs, _, _, _ = env.step(action)
        rows["actions"].append(action)
        if env._check_success():
            rows["obs"].append(sim.policy_obs(obs, OBS_KEYS))
            return rows
    return None


def write_lift_file(path: Path, better: int = 6, worse: int = 3) -> Path:
    import robosuite as suite

    from balancebc.scenarios.pick_expert import RegionExpert, SloppyExpert
    from balancebc.sources.robomimic_file import convert_env_args
    env_args = {"env_name": "Lift", "type": 1, "env_version": "1.4.1", "env_kwargs": ENV_KWARGS}
    env = suite.make("Lift", **convert_env_args(env_args)["env_kwargs"])
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        names = {"better": [], "worse": []}
        seed, total = 0, 0
        for operator, count in (("better", better), ("worse", worse)):
            while len(names[operator]) < count:
                seed += 1
                expert = RegionExpert() if operator == "better" else SloppyExpert(
                    "noisy", {"noise": 0.3}, np.random.default_rng(seed))
                rows = record(env, expert, seed)
                if rows is None:
                    continue
                name = f"demo_{sum(map(len, names.values())) + 1}"
                g = data.create_group(name)
                n = len(rows["actions"])
                g.create_dataset("actions", data=np.array(rows["actions"]))
                g.create_dataset("states", data=np.array(rows["states"]))
                g.create_dataset("rewards", data=np.r_[np.zeros(n - 1), 1.0])
                g.create_dataset("dones", data=np.r_[np.zeros(n - 1), 1].astype(np.int64))
                for key in OBS_KEYS:
                    seq = np.array([o[key] for o in rows["obs"]])
                    g.create_dataset(f"obs/{key}", data=seq[:-1])
                    g.create_dataset(f"next_obs/{key}", data=seq[1:])
                g.attrs["num_samples"] = n
                names[operator].append(name)
                total += n
        data.attrs["total"] = total
        data.attrs["env_args"] = json.dumps(env_args)
        for key, members in {**names, "20_percent": names["better"][:2]}.items():
            f.create_dataset(f"mask/{key}", data=np.array(members, dtype="S"))
    env.close()
    return path
