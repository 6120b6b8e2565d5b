"""balancebc: behavior cloning from imbalanced demonstrations, as a reproducible pipeline.

Its weights for any trainer (docs: Weights for your own trainer)::

    weights = balancebc.solve_weights({"kind": "dro", "reference": "metagrad"}, "demos.hdf5", ["left", "right"])
    data = balancebc.load_behavior_data("demos.hdf5", ["left", "right"]).train
    sampler = balancebc.BehaviorSampler.from_weights(weights, data.b, batch_size=64, steps=1000)
"""
__version__ = "0.1.0"

# the public API, imported on first use (the pipeline's commands import only what their stage needs)
_API = {"solve_weights": "balancebc.balance.solve", "load_behavior_data": "balancebc.balance.solve",
        "BehaviorSampler": "balancebc.policies.sampler", "WeightsFile": "balancebc.io.weights_file",
        "export_weights": "balancebc.io.export"}
__all__ = list(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'balancebc' has no attribute {name!r}")
    import importlib
    return getattr(importlib.import_module(_API[name]), name)
