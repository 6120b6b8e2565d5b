"""Policies: what trains on the weighted data, one module per policy (each registers itself
in ``balancebc.registry.POLICIES``), all drawing their batches with ``sampler.BehaviorSampler``."""
from balancebc.policies import linear, robomimic_bc  # noqa: F401
