"""Weighting methods, one module per kind (each registers itself in
``balancebc.registry.METHODS``): closed-form weights (natural, uniform, temperature,
fixed) and the DRO balance with its reference losses (dro)."""
from balancebc.balance.methods import dro, fixed, natural, temperature, uniform  # noqa: F401
