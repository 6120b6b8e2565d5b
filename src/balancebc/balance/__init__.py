"""Weighting methods (``methods/``, one module per kind) and the solvers behind them, on a
proxy model: reference losses (zero, Re-Mix, meta-gradient) and the DRO weights that
equalise each behavior's excess loss over its reference."""
