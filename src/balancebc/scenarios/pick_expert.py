"""Scripted experts of the `pick` scenario: one grasp per region, told apart by the wrist
rotation that the region's block yaw needs.

The expert is a function of the observation plus a phase, which it infers from the
observation as well (gripper opening, height), so that demonstrations are consistent
state → action maps a behavior-cloning policy can fit.
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

    def __init__(self, rng: np.random.Generator | None = None, action_noise: float = 0.0):
        self.rng = rng or np.random.default_rng(0)
        self.action_noise = action_noise
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
        if self.action_noise:
            action[:6] += self.rng.normal(0.0, self.action_noise, 6)
        return np.clip(action, -1.0, 1.0)
