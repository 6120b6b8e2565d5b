"""The `pick` scenario's environment: robosuite Lift with the block placed in one of
several table regions, each region turning the block by its own yaw.

The block is longer (13 cm) than the Panda gripper opens (8 cm), so it can only be
grasped across its short side: a region whose block is turned needs the wrist turned
with it. A policy that learned only the common region's grasp closes its fingers on the
block's long side there and fails; each region's behavior is necessary in that region.
"""
from __future__ import annotations

import numpy as np
from robosuite.environments.manipulation.lift import Lift
from robosuite.models.arenas import TableArena
from robosuite.models.objects import BoxObject
from robosuite.models.tasks import ManipulationTask
from robosuite.utils.placement_samplers import UniformRandomSampler

ENV_NAME = "RegionLift"
BLOCK_HALF_SIZE = (0.065, 0.02, 0.02)


class RegionLift(Lift):
    """Lift whose block is placed in a named region: ``regions`` maps a name to
    ``{"y": centre along the table's y axis, "yaw": block yaw in degrees}``.
    ``region`` fixes the region used at every reset; ``None`` draws one per reset."""

    def __init__(self, regions: dict, region: str | None = None, jitter_xy: float = 0.03,
                 jitter_yaw_deg: float = 4.0, **kwargs):
        self.regions = {name: dict(spec) for name, spec in regions.items()}
        self.jitter_xy = jitter_xy
        self.jitter_yaw_deg = jitter_yaw_deg
        self.region = None
        self._fixed_region = None
        self.select(region)
        super().__init__(**kwargs)

    def select(self, region: str | None) -> None:
        """Fix the region of the next resets (``None``: a random region per reset)."""
        if region is not None and region not in self.regions:
            raise KeyError(f"unknown region {region!r}; expected one of {sorted(self.regions)}")
        self._fixed_region = region

    def _load_model(self):
        super(Lift, self)._load_model()
        xpos = self.robots[0].robot_model.base_xpos_offset["table"](self.table_full_size[0])
        self.robots[0].robot_model.set_base_xpos(xpos)
        arena = TableArena(table_full_size=self.table_full_size, table_friction=self.table_friction,
                           table_offset=self.table_offset)
        arena.set_origin([0, 0, 0])
        self.cube = BoxObject(name="cube", size=list(BLOCK_HALF_SIZE), rgba=[1, 0, 0, 1],
                              friction=[2.0, 0.005, 0.0001], density=300, rng=self.rng)
        self.region_samplers = {}
        for name, spec in self.regions.items():
            yaw = np.deg2rad(spec["yaw"])
            jitter = np.deg2rad(self.jitter_yaw_deg)
            self.region_samplers[name] = UniformRandomSampler(
                name=f"{name}Sampler", mujoco_objects=self.cube,
                x_range=[-self.jitter_xy, self.jitter_xy],
                y_range=[spec["y"] - self.jitter_xy, spec["y"] + self.jitter_xy],
                rotation=(yaw - jitter, yaw + jitter), rotation_axis="z",
                ensure_object_boundary_in_range=False, ensure_valid_placement=True,
                reference_pos=self.table_offset, z_offset=0.01, rng=self.rng)
        self.placement_initializer = next(iter(self.region_samplers.values()))
        self.model = ManipulationTask(mujoco_arena=arena,
                                      mujoco_robots=[robot.robot_model for robot in self.robots],
                                      mujoco_objects=self.cube)

    def _reset_internal(self):
        names = sorted(self.regions)
        self.region = self._fixed_region or names[self.rng.integers(len(names))]
        self.placement_initializer = self.region_samplers[self.region]
        super()._reset_internal()

    def reseed(self, seed: int) -> None:
        """Seed the placement of the next resets (robosuite's samplers hold their own rng)."""
        self.rng = np.random.default_rng(seed)
        for sampler in self.region_samplers.values():
            sampler.rng = self.rng
