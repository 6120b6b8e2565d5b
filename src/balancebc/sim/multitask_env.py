"""The `multitask` scenario's environment: robosuite's Stack scene (a red cube A, a green
cube B) with two tasks, chosen per episode and shown to the policy as a one-hot flag in
the object observation (the analogue of the paper's drawer / slider switch):

- ``lift``: pick cube A up and hold it high (its centre 12 cm above the table);
- ``stack``: pick cube A up and leave it standing on cube B (robosuite's Stack check).

Both start with the same grasp; they part ways once A is in the hand, so a policy that
ignores the flag does one task's second half in the other task and fails it.
"""
from __future__ import annotations

import numpy as np
from robosuite.environments.manipulation.stack import Stack
from robosuite.utils.observables import Observable, sensor
from robosuite.utils.placement_samplers import SequentialCompositeSampler, UniformRandomSampler

ENV_NAME = "TwoTaskStack"
TASKS = ("lift", "stack")
LIFT_HEIGHT = 0.12  # cube A's centre above the table top for `lift` to succeed


class TwoTaskStack(Stack):
    def __init__(self, task: str | None = None, cube_b_at: list[float] | None = None, **kwargs):
        """``cube_b_at``: cube B's (x, y) from the table centre, fixed in every episode with no
        rotation (like the paper's drawer and slider, which stay where they are); cube A is
        then placed at random where B is not. ``None``: robosuite's Stack placement, both
        cubes at random in a 16 cm square with a random yaw."""
        self.task = None
        self._fixed_task = None
        self.cube_b_at = cube_b_at
        self.select(task)
        super().__init__(**kwargs)

    def select(self, task: str | None) -> None:
        """Fix the task of the next resets (``None``: a random task per reset)."""
        if task is not None and task not in TASKS:
            raise KeyError(f"unknown task {task!r}; expected one of {TASKS}")
        self._fixed_task = task

    def reseed(self, seed: int) -> None:
        """Seed the cube placement of the next resets."""
        self.rng = np.random.default_rng(seed)
        samplers = getattr(self.placement_initializer, "samplers", {"all": self.placement_initializer})
        for sampler in samplers.values():
            sampler.rng = self.rng

    def _load_model(self):
        super()._load_model()
        if self.cube_b_at is None:
            return
        x, y = self.cube_b_at
        place = SequentialCompositeSampler("ObjectSampler")  # B first, then A anywhere clear of it
        for cube, xs, ys, rotation in ((self.cubeB, [x, x], [y, y], 0.0),
                                       (self.cubeA, [-0.08, 0.08], [-0.08, 0.08], None)):
            place.append_sampler(UniformRandomSampler(
                f"{cube.name}Sampler", mujoco_objects=cube, x_range=xs, y_range=ys, rotation=rotation,
                ensure_object_boundary_in_range=False, ensure_valid_placement=True,
                reference_pos=self.table_offset, z_offset=0.01, rng=self.rng))
        self.placement_initializer = place

    def _reset_internal(self):
        self.task = self._fixed_task or TASKS[self.rng.integers(len(TASKS))]
        super()._reset_internal()

    def _setup_observables(self):
        observables = super()._setup_observables()

        @sensor(modality="object")
        def task_flag(obs_cache):
            return np.array([float(self.task == t) for t in TASKS])

        observables["task_flag"] = Observable(name="task_flag", sensor=task_flag, sampling_rate=self.control_freq)
        return observables

    def _check_success(self):
        if self.task == "lift":
            return bool(self.sim.data.body_xpos[self.cubeA_body_id][2] > self.table_offset[2] + LIFT_HEIGHT)
        return super()._check_success()
