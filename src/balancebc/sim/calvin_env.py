"""CALVIN's simulator (calvin_env, on PyBullet) as a balancebc environment.

The play table of one CALVIN scene (A–D), made by calvin_env's own Hydra config and reset
to the start of an evaluation unit: the red block somewhere in a table area, or the light
bulb on or off. It is stepped with calvin_env's relative end-effector actions (7 numbers:
position step in units of 2 cm, orientation step in units of 0.05 rad, gripper -1 closes /
+1 opens) and judged by calvin_env's own task oracle (``Tasks.get_task_info_for_set``
between the unit's start and now). The interface is the one rollouts and recording use for
robosuite: ``select(unit)``, ``reseed(seed)``, ``reset()``, ``step(action)``,
``_check_success()``, plus ``flat_state()`` (robot and scene state, what
``env.reset(robot_obs, scene_obs)`` restores).

A unit (``env_args["env_kwargs"]["units"]``) is ``{"task": <oracle task>, "block": {"x":
[lo, hi], "y": [lo, hi]}}`` (the red block's area; its yaw is drawn uniformly) or
``{"task": ..., "light": 0 | 1}`` (the switch set so that the bulb starts off / on).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from balancebc.errors import BalanceBCError

TYPE = "calvin_env"  # env_args["type"]: made by this module, not by robomimic's EnvUtils
SCENES = ["calvin_scene_A", "calvin_scene_B", "calvin_scene_C", "calvin_scene_D"]
CAMERAS = {"static": "rgb_static", "gripper": "rgb_gripper"}  # balancebc camera → calvin_env's observation
INSTALL = ("calvin_env is not installed: run `bash scripts/setup.sh` (it installs pybullet and calvin_env, "
           "from CALVIN_ENV_SOURCE=<folder> if set, else from github.com/mees/calvin_env)")

# scene_obs layout (24): sliding door, drawer, button, switch, light bulb, green LED, then
# red / blue / pink block (x, y, z, euler x, y, z each)
SLIDER, DRAWER, BUTTON, SWITCH, BULB, LED = range(6)
RED, BLUE, PINK = 6, 12, 18
SCENE_OBS = 24
SWITCH_ON = 0.08          # switch position (the bulb follows it: >= 0.06 at reset is on)
BLOCK_Z = 0.46            # the table's top (scene configs' `surfaces.table`), where blocks rest
# the blue and pink blocks wait on the table's left-hand shelf, out of the red block's way,
# at the height where they settle (placed 1 mm lower, they tip by an amount that depends on
# the episodes before, and so would the rollouts)
PARKED = {BLUE: (-0.28, 0.09, 0.461), PINK: (-0.20, 0.09, 0.461)}


def missing() -> str | None:
    """None if calvin_env can be imported, else what to install."""
    try:
        import calvin_env  # noqa: F401
        import pybullet  # noqa: F401
    except ImportError:
        return INSTALL
    return None


def conf_dir() -> Path:
    import calvin_env
    return Path(calvin_env.__file__).resolve().parents[1] / "conf"


def table(scene: str) -> tuple[list[float], list[float]]:
    """The table's top in ``scene``: (x lo, x hi), (y lo, y hi), from the scene's own config."""
    import yaml
    surfaces = yaml.safe_load((conf_dir() / "scene" / f"{scene}.yaml").read_text())["surfaces"]
    (x0, y0, _), (x1, y1, _) = surfaces["table"]
    return [x0, x1], [y0, y1]


def env_args(name: str, scene: str, horizon: int, units: dict, cameras: list[str] | None = None,
             image_size: int = 84) -> dict:
    """robomimic-style ``env_args`` that :func:`make_env` re-creates the environment from."""
    import calvin_env
    return {"env_name": name, "type": TYPE, "env_version": getattr(calvin_env, "__version__", "unknown"),
            "env_kwargs": {"scene": scene, "horizon": horizon, "units": units, "cameras": list(cameras or []),
                           "image_size": image_size, "control_freq": 30}}


class CalvinEnv:
    """One calvin_env play table (see the module's doc)."""

    def __init__(self, kwargs: dict, images: bool = False):
        if problem := missing():
            raise BalanceBCError(problem)
        import hydra
        from hydra import compose, initialize_config_dir
        from hydra.core.global_hydra import GlobalHydra
        cameras = kwargs["cameras"] if images else []
        overrides = [f"scene={kwargs['scene']}", "cameras=no_cameras", "env.use_egl=false", "use_vr=false"]
        GlobalHydra.instance().clear()
        with initialize_config_dir(config_dir=str(conf_dir()), version_base=None):
            cfg = compose("config_data_collection", overrides=overrides)
        size = kwargs.get("image_size", 84)
        camera_cfg = {}
        for camera in cameras:
            c = compose_camera(camera)
            c.width = c.height = size
            camera_cfg[camera] = c
        self.env = hydra.utils.instantiate(cfg.env, cameras=camera_cfg, show_gui=False, use_vr=False,
                                           use_scene_info=True)
        self.tasks = hydra.utils.instantiate(cfg.tasks)
        self.units, self.cameras = kwargs["units"], cameras
        self.unit, self.rng, self._start = next(iter(self.units)), np.random.default_rng(0), None

    def select(self, unit: str | None) -> None:
        if unit is not None:
            self.unit = unit

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def start_scene(self) -> np.ndarray:
        """The selected unit's start: drawer and door closed, the bulb as the unit says (off
        otherwise), the red block in the unit's area (else at the table's middle), the other
        blocks parked on the shelf."""
        spec, scene = self.units[self.unit], np.zeros(SCENE_OBS)  # every entry is set below
        on = spec.get("light", 0)
        scene[SWITCH], scene[BULB] = (SWITCH_ON if on else 0.0), float(on)
        area = spec.get("block", {"x": [0.15, 0.15], "y": [-0.09, -0.09]})
        x, y = self.rng.uniform(*area["x"]), self.rng.uniform(*area["y"])
        scene[RED:RED + 6] = [x, y, BLOCK_Z, 0.0, 0.0, self.rng.uniform(-np.pi, np.pi)]
        for index, (px, py, pz) in PARKED.items():
            scene[index:index + 6] = [px, py, pz, 0.0, 0.0, 0.0]
        return scene

    def reset(self) -> dict:
        """The unit's start. calvin_env's reset keeps the robot's last gripper action (in
        ``robot_obs``), so it is set to open first. Known limit: the parked blocks still
        start tilted by up to 0.004 rad depending on the episodes before (restoring
        PyBullet's saved state does not remove it), so an episode's outcome can depend on
        the ones run before it in the same process."""
        self.env.robot.gripper_action = 1
        obs = self.env.reset(scene_obs=self.start_scene())
        self._start, self._success = self.env.get_info(), False
        return self._obs(obs)

    def step(self, action) -> tuple[dict, float, bool, dict]:
        action = np.asarray(action, dtype=np.float64).copy()
        action[-1] = 1.0 if action[-1] >= 0 else -1.0  # calvin_env takes the gripper as exactly ±1
        obs, _, _, info = self.env.step({"action": action, "type": "cartesian_rel"})
        task = self.units[self.unit]["task"]
        self._success = task in self.tasks.get_task_info_for_set(self._start, info, {task})
        return self._obs(obs), float(self._success), False, info

    def _check_success(self) -> bool:
        """Whether calvin_env's oracle found the unit's task done between the reset and the last step."""
        return self._success

    def flat_state(self) -> np.ndarray:
        state = self.env.get_state_obs()
        return np.concatenate([state["robot_obs"], state["scene_obs"]])

    def policy_obs(self, obs: dict, keys: list[str]) -> dict:
        return {k: obs[k] for k in keys}

    def _obs(self, obs: dict) -> dict:
        out = {"robot_obs": obs["robot_obs"].astype(np.float32), "scene_obs": obs["scene_obs"].astype(np.float32)}
        for camera in self.cameras:
            out[f"{camera}_image"] = obs["rgb_obs"][CAMERAS[camera]]
        return out


def compose_camera(camera: str):
    from omegaconf import OmegaConf
    return OmegaConf.load(conf_dir() / "cameras" / "cameras" / f"{camera}.yaml")


def make_env(args: dict, images: bool = False) -> CalvinEnv:
    return CalvinEnv(args["env_kwargs"], images=images)
