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

from balancebc.sim.calvin_env import DRAWER, RED

POS_UNIT, ORN_UNIT = 0.02, 0.05  # metres / radians per unit of a relative action (calvin_env's robot config)
OPEN, CLOSED = 1.0, -1.0
GAIN = 0.5  # of the distance left, per step: calvin_env adds each action to a target pose the hand lags behind
# scene D's handles, found by ray casts against calvin_env's table (metres, world frame):
HANDLE_Y, HANDLE_Z = -0.25, 0.36   # the closed drawer's handle: a bar along x (0.07-0.30), y -0.26 to -0.24, z 0.34-0.38
SLIDER_HANDLE = (0.04, -0.012, 0.52)  # the closed sliding door's handle: upright, x 0.02-0.06, its front at y -0.03;
                                   # y 0.0 is the gap between it and the door's face (y 0.04 at this height)


def _wrap(angle: float) -> float:
    return (angle + np.pi) % (2 * np.pi) - np.pi


class WaypointExpert:
    """Visits ``waypoints(obs)`` in turn, each (position, gripper, steps to hold once
    there); the waypoints are recomputed from every observation (a block that was nudged is
    followed), and a waypoint not reached within ``patience`` steps is given up for the next."""

    reach = 0.01     # metres: a waypoint is reached within this distance
    patience = 40    # steps

    def __init__(self, rng: np.random.Generator):
        self.rng, self.phase, self.held, self.spent = rng, 0, 0, 0
        self.speed = rng.uniform(0.6, 1.0)
        self.draws = self.draw(rng)

    def draw(self, rng: np.random.Generator) -> dict:
        """This demo's random offsets and pauses."""
        return {}

    def waypoints(self, obs: dict) -> list[tuple[np.ndarray, float, int]]:
        raise NotImplementedError

    def target_yaw(self, obs: dict, tcp_yaw: float) -> float:
        return tcp_yaw

    def act(self, obs: dict) -> np.ndarray:
        robot = obs["robot_obs"]
        plan, yaw = self.waypoints(obs), self.target_yaw(obs, float(robot[5]))
        position, gripper, hold = plan[min(self.phase, len(plan) - 1)]
        delta, yaw_error = position - robot[:3], _wrap(yaw - float(robot[5]))
        self.spent += 1
        if self.phase < len(plan) - 1:
            if np.linalg.norm(delta) < self.reach and abs(yaw_error) < 0.05:
                self.held += 1
            if self.held >= hold or self.spent >= self.patience:
                self.phase, self.held, self.spent = self.phase + 1, 0, 0
        move = np.clip(GAIN * delta / POS_UNIT, -self.speed, self.speed)
        turn = np.clip(yaw_error / ORN_UNIT, -1.0, 1.0)
        return np.array([*move, 0.0, 0.0, turn, gripper])


class LiftExpert(WaypointExpert):
    """Lift the red block: above it, down to it, close, lift."""

    def draw(self, r):
        return {"above": r.uniform(0.08, 0.12), "grasp": r.uniform(0.0, 0.01), "lift": r.uniform(0.10, 0.14),
                "settle": int(r.integers(1, 4)), "close": int(r.integers(6, 10)), "jitter": r.normal(0, 0.004, 2)}

    def waypoints(self, obs):
        d, block = self.draws, obs["scene_obs"][RED:RED + 3].astype(float)
        if self.phase >= 2:  # once the fingers close, the block is in hand: hold the grasp point
            block = self.grasped
        else:
            self.grasped = block.copy()
        above = block + [*d["jitter"], d["above"]]
        grasp = block + [0.0, 0.0, d["grasp"]]
        return [(above, OPEN, 1), (grasp, OPEN, d["settle"]), (grasp, CLOSED, d["close"]),
                (grasp + [0.0, 0.0, d["lift"]], CLOSED, 1)]

    def target_yaw(self, obs, tcp_yaw):
        """Across the block's short side: its yaw plus 90°, or minus, whichever is nearer the hand's."""
        block_yaw = float(obs["scene_obs"][RED + 5]) + np.pi / 2
        return min((block_yaw + k * np.pi for k in range(-2, 3)), key=lambda a: abs(_wrap(a - tcp_yaw)))


class DrawerExpert(WaypointExpert):
    """Open the drawer: above its handle bar, down with the fingers open around it, close on
    it, pull towards the robot. The waypoints follow the handle as the drawer moves, so the
    drawer is often open (by the oracle) before the fingers close."""

    def draw(self, r):
        return {"x": r.uniform(0.12, 0.24), "above": r.uniform(0.08, 0.12), "pull": r.uniform(0.18, 0.22),
                "settle": int(r.integers(1, 4)), "close": int(r.integers(6, 10))}

    def waypoints(self, obs):
        d = self.draws
        handle = np.array([d["x"], HANDLE_Y - float(obs["scene_obs"][DRAWER]), HANDLE_Z])  # it moves with the drawer
        return [(handle + [0.0, 0.0, d["above"]], OPEN, 1), (handle, OPEN, d["settle"]),
                (handle, CLOSED, d["close"]), (np.array([d["x"], HANDLE_Y - d["pull"], HANDLE_Z]), CLOSED, 1)]


class SliderExpert(WaypointExpert):
    """Move the sliding door left: closed fingers in front of the door, into the gap on the
    right of its handle, then pushed towards -x (the door slides along -x)."""

    def draw(self, r):
        return {"side": r.uniform(0.045, 0.055), "z": r.uniform(-0.01, 0.01), "push": r.uniform(0.20, 0.24),
                "settle": int(r.integers(1, 4))}

    def waypoints(self, obs):
        d = self.draws
        beside = np.array([SLIDER_HANDLE[0] + d["side"], SLIDER_HANDLE[1], SLIDER_HANDLE[2] + d["z"]])
        front = beside + [0.0, -0.08, 0.02]
        return [(front, CLOSED, 1), (beside, CLOSED, d["settle"]), (beside - [d["push"], 0.0, 0.0], CLOSED, 1)]


EXPERTS = {"lift": LiftExpert, "drawer": DrawerExpert, "slider": SliderExpert}
