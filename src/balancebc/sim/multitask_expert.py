"""Scripted experts of the `multitask` scenario: the region expert's grasp of cube A, then
either a lift straight up (``lift``) or a carry over cube B, a descent onto it and a
release (``stack``)."""
from __future__ import annotations

import numpy as np

from balancebc.sim.pick_expert import POS_GAIN, RegionExpert

CARRY = 0.03        # cube A's clearance above cube B's top while carrying: low enough that
                    # the carry never passes for `lift` (cube A stays below LIFT_HEIGHT)
RELEASE_GAP = 0.012  # cube A's bottom above cube B's top when the gripper opens
HALF_A, HALF_B = 0.02, 0.025


class TaskExpert:
    def __init__(self, task: str):
        self.task = task
        self.grasp = RegionExpert()
        self.phase = "grasp"
        self.open_for = 0

    def act(self, obs: dict) -> np.ndarray:
        view = dict(obs, cube_pos=obs["cubeA_pos"], cube_quat=obs["cubeA_quat"])
        action = self.grasp.act(view)
        if self.task == "lift" or self.grasp.phase != "lift":
            return action
        eef, a, b = obs["robot0_eef_pos"], obs["cubeA_pos"], obs["cubeB_pos"]
        top_b = b[2] + HALF_B
        if self.phase == "grasp":
            self.phase = "carry"
        if self.phase == "carry":
            target = np.array([b[0], b[1], top_b + HALF_A + CARRY])
            if a[2] - HALF_A < top_b + 0.7 * CARRY:  # first rise clear of cube B
                target[:2] = eef[:2]
            elif np.linalg.norm(a[:2] - b[:2]) < 0.01:
                self.phase = "place"
        if self.phase == "place":
            target = eef + np.array([b[0] - a[0], b[1] - a[1], top_b + HALF_A + RELEASE_GAP - a[2]])
            if a[2] - HALF_A - top_b < RELEASE_GAP + 0.004:
                self.phase = "release"
        grip = 1.0
        if self.phase == "release":
            target, grip = eef + np.array([0.0, 0.0, 0.01 if self.open_for > 4 else 0.0]), -1.0
            self.open_for += 1
        action = np.zeros(7)
        action[:3] = POS_GAIN * (target - eef)
        action[6] = grip
        return np.clip(action, -1.0, 1.0)
