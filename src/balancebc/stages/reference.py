"""reference: the per-behavior reference losses L*_k a DRO method holds each behavior to
(zero, Re-Mix or meta-gradient; see balancebc.balance.reference). Methods without a
reference get a file that says so, so that every method has the same stages (without
importing torch: a third of the pipeline's jobs are these)."""
from __future__ import annotations

import time


def proxy_model(scenario_kind: str, data, balance: dict):
    """The model the solvers train: linear for `gaussian` (the policy class of
    Proposition 1), an MLP on the low-dimensional observations otherwise."""
    from balancebc.balance.losses import make_model
    in_dim, out_dim = data.train.x.shape[1], data.train.y.shape[1]
    if scenario_kind == "gaussian":
        return make_model("linear", in_dim, out_dim)
    return make_model("mlp", in_dim, out_dim, balance["proxy"]["hidden"])


def compute(method: str, spec: dict, scenario_kind: str, dataset: str, labels: dict, obs_keys: list[str],
            balance: dict, seed: int) -> dict:
    if spec["kind"] != "dro":
        return {"method": method, "reference": None, "behaviors": list(labels["behaviors"])}
    import torch

    from balancebc.balance import data as behavior_data
    from balancebc.balance.reference import reference_losses
    torch.set_num_threads(1)
    data = behavior_data.load(dataset, labels, obs_keys)
    model = proxy_model(scenario_kind, data, balance)
    started = time.process_time()
    result = reference_losses(spec["reference"], model, data, balance["proxy"], balance["metagrad"], seed)
    return {"method": method, "reference": spec["reference"], "behaviors": data.behaviors,
            "losses": dict(zip(data.behaviors, result.pop("losses"))),
            "split": "mask/" + balance["proxy"].get("split", "valid"), "proxy": balance["proxy"], "settings": balance["metagrad"] if spec["reference"] == "metagrad" else {},
            "cpu_seconds": round(time.process_time() - started, 2), **result}
