"""Scripted experts for CALVIN's play table, driven by calvin_env's state observations.

Each expert follows waypoints (relative to the red block, the drawer's handle or the
sliding door's handle), moving the hand towards the next one with relative end-effector
actions (position in units of 2 cm per step, clipped to the expert's speed). The
waypoints, the speed and the pauses are drawn per demo, so demos vary.

``robot_obs``: tcp position (0:3), tcp euler angles (3:6), gripper width (6), joints
(7:14), gripper action (14). ``scene_obs``: see :mod:`balancebc.sim.calvin_env`.
"""
from __future__ import annotations

import numpy as np

from balancebc.sim.calvin_env import RED

POS_UNIT, ORN_UNIT = 0.02, 0.05  # metres / radians per unit of a relative action (calvin_env's robot config)
OPEN, CLOSED = 1.0, -1.0


def _wrap(angle: float) -> float:
    return (angle + np.pi) % (2 * np.pi) - np.pi


class WaypointExpert:
    """Visits ``waypoints()`` in turn: (position, gripper, steps to hold once there)."""

    reach = 0.008  # metres: a waypoint is reached within this distance

    def __init__(self, rng: np.random.Generator):
        self.rng, self.plan, self.held, self.yaw = rng, None, 0, None
        self.speed = rng.uniform(0.6, 1.0)

    def waypoints(self, obs: dict) -> list[tuple[np.ndarray, float, int]]:
        raise NotImplementedError

    def target_yaw(self, obs: dict, tcp_yaw: float) -> float:
        return tcp_yaw

    def act(self, obs: dict) -> np.ndarray:
        robot = obs["robot_obs"]
        if self.plan is None:
            self.plan = self.waypoints(obs)
            self.yaw = self.target_yaw(obs, float(robot[5]))
        position, gripper, hold = self.plan[0]
        delta = position - robot[:3]
        if np.linalg.norm(delta) < self.reach and len(self.plan) > 1:
            self.held += 1
            if self.held >= hold:
                self.plan.pop(0)
                self.held = 0
        move = np.clip(delta / POS_UNIT, -self.speed, self.speed)
        turn = np.clip(_wrap(self.yaw - float(robot[5])) / ORN_UNIT, -1.0, 1.0)
        return np.array([*move, 0.0, 0.0, turn, gripper])


class LiftExpert(WaypointExpert):
    """Lift the red block: above it, down to it, close, lift."""

    def waypoints(self, obs):
        block = obs["scene_obs"][RED:RED + 3].astype(float)
        r = self.rng
        above = block + [r.normal(0, 0.005), r.normal(0, 0.005), r.uniform(0.08, 0.12)]
        grasp = block + [0.0, 0.0, r.uniform(-0.005, 0.005)]
        lift = grasp + [0.0, 0.0, r.uniform(0.10, 0.14)]
        return [(above, OPEN, 1), (grasp, OPEN, int(r.integers(1, 4))), (grasp, CLOSED, int(r.integers(6, 10))),
                (lift, CLOSED, 1)]

    def target_yaw(self, obs, tcp_yaw):
        """The block's yaw plus a multiple of 90°, the one nearest the hand's (a box is
        grasped across either side)."""
        block_yaw = float(obs["scene_obs"][RED + 5])
        options = [block_yaw + k * np.pi / 2 for k in range(-4, 5)]
        return min(options, key=lambda a: abs(_wrap(a - tcp_yaw)))


class DrawerExpert(WaypointExpert):
    """Open the drawer: above its handle, down, close on it, pull towards the robot."""

    def waypoints(self, obs):
        r = self.rng
        handle = np.array([r.uniform(0.12, 0.24), -0.25, 0.36])
        above = handle + [0.0, 0.0, r.uniform(0.08, 0.12)]
        pulled = handle + [0.0, -r.uniform(0.18, 0.22), 0.0]
        return [(above, OPEN, 1), (handle, OPEN, int(r.integers(1, 4))), (handle, CLOSED, int(r.integers(6, 10))),
                (pulled, CLOSED, 1)]


class SliderExpert(WaypointExpert):
    """Move the sliding door left: closed fingers beside its handle, pushed towards -x."""

    def waypoints(self, obs):
        r = self.rng
        handle = np.array([0.04, 0.0, 0.50]) + [r.uniform(0.02, 0.03), 0.0, r.uniform(-0.005, 0.005)]
        start = obs["robot_obs"][:3].astype(float)
        over = np.array([handle[0], handle[1] - 0.08, max(start[2], handle[2] + 0.02)])
        pushed = handle + [-r.uniform(0.20, 0.24), 0.0, 0.0]
        return [(over, CLOSED, 1), (handle, CLOSED, int(r.integers(1, 4))), (pushed, CLOSED, 1)]


EXPERTS = {"lift": LiftExpert, "drawer": DrawerExpert, "slider": SliderExpert}
