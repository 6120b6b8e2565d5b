"""Reference losses L*_k, the loss each behavior should be held to (paper, section 6):

- ``zero``: L*_k = 0, i.e. equal training loss for every behavior;
- ``remix``: L*_k = held-out loss of behavior k under a plain-BC (natural weights) proxy
  trained on the imbalanced data (Re-Mix);
- ``metagrad``: for each behavior k, weights w on the simplex that minimise k's held-out
  loss after T inner SGD steps on the w-weighted training loss, found by differentiating
  through those steps (torch.func) and projecting onto the simplex; repeated until w stops
  moving. L*_k is k's held-out loss of a proxy trained with the converged w.

Losses are measured on the split ``proxy.split`` names: ``valid`` (held-out demos, the
default) or ``train`` (the paper's "lowest achievable training loss"). Every proxy has the
same model and budget.
"""
from __future__ import annotations

import numpy as np
import torch

from balancebc.balance.losses import behavior_losses, fresh_params, sgd_steps, train_weighted
from balancebc.balance.simplex import project_simplex
from balancebc.io.behavior_data import BehaviorData


def losses_on(model, params, data: BehaviorData, split: str = "valid") -> np.ndarray:
    """Per-behavior loss of ``params`` on the dataset's ``valid`` or ``train`` split."""
    v = getattr(data, split)
    with torch.no_grad():
        return behavior_losses(model, params, v.x, v.y, v.b, len(data.behaviors)).numpy()


def natural_weights(data: BehaviorData) -> np.ndarray:
    return data.counts / data.counts.sum()


def remix(model, data: BehaviorData, proxy: dict, seed: int) -> dict:
    params = train_weighted(model, data.train, natural_weights(data), proxy["steps"], proxy["lr"], seed)
    return {"losses": losses_on(model, params, data, proxy["split"]).tolist()}


def metagrad_weights(model, data: BehaviorData, k: int, cfg: dict, seed: int,
                     start: dict | None = None, split: str = "valid") -> list[list[float]]:
    """The trace of behavior k's weights w, ending at the converged w: k's loss on ``split``
    after the inner steps is what w minimises. The inner steps continue from ``start``
    (default: a fresh seeded proxy)."""
    K = len(data.behaviors)
    w = torch.full((K,), 1.0 / K)
    params = dict(start) if start is not None else fresh_params(model, seed)
    v = getattr(data, split)
    trace, still = [w.tolist()], 0
    for _ in range(cfg["outer_steps"]):
        w_var = w.clone().requires_grad_(True)
        start = {n: p.detach().requires_grad_(True) for n, p in params.items()}
        end = sgd_steps(model, start, data.train, w_var, cfg["inner_steps"], cfg["inner_lr"], create_graph=True)
        outer = behavior_losses(model, end, v.x, v.y, v.b, K)[k]
        (grad,) = torch.autograd.grad(outer, w_var)
        # scale-free step: beta moves w by at most beta along the steepest coordinate
        step = cfg["outer_lr"] * grad / (grad.abs().max() + 1e-12)
        new = project_simplex(w - step)
        params = {n: p.detach() for n, p in end.items()}
        moved = float((new - w).abs().sum())
        w = new
        trace.append(w.tolist())
        still = still + 1 if moved < cfg["tolerance"] else 0
        if still >= 10:
            break
    return trace


def metagrad(model, data: BehaviorData, proxy: dict, cfg: dict, seed: int) -> dict:
    """``cfg["start"]``: ``scratch`` (default) runs the inner steps from a fresh proxy, as
    the paper does; ``natural`` continues them from the plain-BC proxy, so that w is judged
    near a fitted policy, where conflicting demos pull apart."""
    start, split = None, proxy["split"]
    if cfg["start"] == "natural":
        start = train_weighted(model, data.train, natural_weights(data), proxy["steps"], proxy["lr"], seed)
    losses, weights, traces = [], [], []
    for k in range(len(data.behaviors)):
        trace = metagrad_weights(model, data, k, cfg, seed, start, split)
        params = train_weighted(model, data.train, np.array(trace[-1]), proxy["steps"], proxy["lr"], seed)
        losses.append(float(losses_on(model, params, data, split)[k]))
        weights.append(trace[-1])
        traces.append(trace)
    return {"losses": losses, "weights": weights, "trace": traces}


def zero(model, data: BehaviorData, proxy: dict, cfg: dict, seed: int) -> dict:
    return {"losses": [0.0] * len(data.behaviors)}


# reference name (a DRO method's `reference`) → its solver
REFERENCES = {"zero": zero, "remix": lambda model, data, proxy, cfg, seed: remix(model, data, proxy, seed),
              "metagrad": metagrad}


def reference_losses(kind: str, model, data: BehaviorData, proxy: dict, cfg: dict, seed: int) -> dict:
    return REFERENCES[kind](model, data, proxy, cfg, seed)
