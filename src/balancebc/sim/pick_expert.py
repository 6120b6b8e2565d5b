"""Scripted experts of the `pick` scenario: one grasp per region, told apart by the wrist
rotation that the region's block yaw needs.

The expert is a function of the observation plus a phase, which it infers from the
observation as well (gripper opening, height), so that demonstrations are consistent
state → action maps a behavior-cloning policy can fit.

``SloppyExpert`` is the same expert done badly, in one of three styles (the
`pick_suboptimal` scenario): ``noisy`` (Gaussian noise on the hand's motion),
``hesitant`` (random pauses before the grasp) or ``detour`` (a swing up and to the side
before the approach). Its demos still lift the block; they are worse demonstrations,
not failures.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

HOVER = 0.06     # metres above the block's centre before the descent
GRASP = -0.005   # eef site height relative to the block centre when closing
LIFT = 0.15      # metres above the block's start height at the end
POS_GAIN = 12.0  # action per metre of position error (actions clip at 1 = 5 cm)
YAW_GAIN = 3.0   # action per radian of yaw error (1 = 0.5 rad)
CLOSE_STEPS = 8


def yaw_of(quat_xyzw: np.ndarray) -> float:
    return float(Rotation.from_quat(quat_xyzw).as_euler("xyz")[2])


def grasp_yaw_error(eef_quat: np.ndarray, block_quat: np.ndarray) -> float:
    """Yaw turn that aligns the fingers with the block's short axis, in (-pi/2, pi/2]:
    a parallel gripper is symmetric under a half turn."""
    err = yaw_of(block_quat) - yaw_of(eef_quat)
    return float((err + np.pi / 2) % np.pi - np.pi / 2)


class RegionExpert:
    """Approach above the block while turning the wrist, descend, close, lift."""

    def __init__(self):
        self.phase = "approach"
        self.closed_for = 0
        self.start_z = None
        self.yaw_ref = None

    def act(self, obs: dict) -> np.ndarray:
        eef, block = obs["robot0_eef_pos"], obs["cube_pos"]
        if self.start_z is None:
            self.start_z = float(block[2])
        yaw_err = grasp_yaw_error(obs["robot0_eef_quat"], obs["cube_quat"])
        target = block + np.array([0.0, 0.0, HOVER])
        grip = -1.0
        if self.phase == "approach":
            if np.linalg.norm(eef - target) < 0.012 and abs(yaw_err) < 0.05:
                self.phase = "descend"
        if self.phase == "descend":
            target = block + np.array([0.0, 0.0, GRASP])
            if abs(eef[2] - target[2]) < 0.008:
                self.phase = "close"
        if self.phase == "close":
            target, grip = block + np.array([0.0, 0.0, GRASP]), 1.0
            self.closed_for += 1
            if self.closed_for >= CLOSE_STEPS:
                self.phase = "lift"
        if self.phase == "lift":
            target = np.array([block[0], block[1], self.start_z + LIFT])
            target[:2] = eef[:2]
            grip, yaw_err = 1.0, 0.0
        action = np.zeros(7)
        action[:3] = POS_GAIN * (target - eef)
        action[5] = YAW_GAIN * yaw_err
        action[6] = grip
        return np.clip(action, -1.0, 1.0)


STYLES = ("noisy", "hesitant", "detour")


class SloppyExpert(RegionExpert):
    """The region expert with one kind of sloppiness (``style`` in STYLES); ``settings``
    are the scenario's ``suboptimal`` parameters, defaults filled in by the schema."""

    def __init__(self, style: str, settings: dict, rng: np.random.Generator):
        super().__init__()
        if style not in STYLES:
            raise ValueError(f"unknown suboptimal style {style!r}; expected one of {STYLES}")
        self.style, self.settings, self.rng = style, settings, rng
        self.paused_for = 0
        side = rng.choice([-1.0, 1.0])
        self.waypoint_offset = np.array([0.0, side * settings["detour_side"], settings["detour_up"]])
        self.waypoint = None

    def act(self, obs: dict) -> np.ndarray:
        eef = obs["robot0_eef_pos"]
        if self.style == "detour" and self.phase == "approach" and self.waypoint is not False:
            if self.waypoint is None:
                self.waypoint = obs["cube_pos"] + self.waypoint_offset
            if np.linalg.norm(eef - self.waypoint) > 0.03:
                action = np.zeros(7)
                action[:3] = POS_GAIN * (self.waypoint - eef)
                action[6] = -1.0
                return np.clip(action, -1.0, 1.0)
            self.waypoint = False  # reached: approach the block as the expert does
        if self.style == "hesitant" and self.phase in ("approach", "descend"):
            if self.paused_for == 0 and self.rng.random() < self.settings["pause_prob"]:
                self.paused_for = self.settings["pause_steps"]
            if self.paused_for > 0:
                self.paused_for -= 1
                action = np.zeros(7)
                action[6] = -1.0
                return action
        action = super().act(obs)
        if self.style == "noisy":
            action[:3] += self.rng.normal(0.0, self.settings["noise"], 3)  # the hand, not the wrist
        return np.clip(action, -1.0, 1.0)
