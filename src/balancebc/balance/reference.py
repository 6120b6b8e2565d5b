"""Reference losses L*_k, the loss each behavior should be held to (paper, section 6):

- ``zero``: L*_k = 0, i.e. equal loss for every behavior;
- ``remix``: L*_k = behavior k's loss under a plain-BC (natural weights) proxy (Re-Mix);
- ``metagrad``: for each behavior k, weights w_k on the simplex that minimise k's loss after
  ``inner_steps`` SGD steps on the w-weighted training loss (eq. 15-18), found by
  differentiating through those steps (torch.func) with exponentiated-gradient steps on w
  until it stops moving. L*_k is k's loss after those inner steps with the converged w_k
  (``reference_at: inner``), or after training a proxy on w_k with the full proxy budget
  (``reference_at: retrained``).

Every loss is measured on the method's ``proxy.split``: ``train`` (default: the paper's
lowest achievable training loss, which the DRO game's training losses are compared with)
or ``valid`` (held-out demos; the DRO game's alpha step then uses held-out batches too).
Every proxy is trained by ``losses.train_proxy``: the same model, batches and budget as
the DRO game's.

A reference is kept as the proxy parameters that produce it, per behavior, so the DRO game
can clip its excess per sample as DoReMi does: max(l_theta(x) - l_ref(x), 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from balancebc.balance.losses import behavior_losses, fresh_params, require_samples, sample_losses, sgd_steps, train_proxy
from balancebc.io.behavior_data import BehaviorData


@dataclass
class Reference:
    params: list[dict | None]     # per behavior: the proxy whose loss is its reference (None: 0)
    losses: np.ndarray            # L*_k: the mean of that loss over k's samples of the split
    extras: dict = field(default_factory=dict)   # what the weights file records besides

    def per_sample(self, model, x: torch.Tensor, y: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """l_ref(x) of every sample: its behavior's reference proxy's loss on it."""
        out = torch.zeros(len(x), dtype=x.dtype)
        with torch.no_grad():
            for k, params in enumerate(self.params):
                m = b == k
                if params is not None and bool(m.any()):
                    out[m] = sample_losses(model, params, x[m], y[m])
        return out


def natural_weights(data: BehaviorData) -> np.ndarray:
    return data.counts / data.counts.sum()


def reference_of(model, data: BehaviorData, split: str, params: list[dict | None], **extras) -> Reference:
    s = getattr(data, split)
    with torch.no_grad():
        losses = [0.0 if p is None else float(behavior_losses(model, p, s.x, s.y, s.b, len(params))[k])
                  for k, p in enumerate(params)]
    return Reference(params, np.array(losses), extras)


def zero(model, data: BehaviorData, spec: dict, seed: int) -> Reference:
    return Reference([None] * len(data.behaviors), np.zeros(len(data.behaviors)))


def remix(model, data: BehaviorData, spec: dict, seed: int) -> Reference:
    params = train_proxy(model, data, spec["proxy"], seed, natural_weights(data))
    return reference_of(model, data, spec["proxy"]["split"], [params] * len(data.behaviors))


def inner_loss(model, data: BehaviorData, k: int, w: torch.Tensor, start: dict, cfg: dict, split: str):
    """L_k(theta_T(w)): behavior k's loss on ``split`` after ``inner_steps`` full-batch SGD
    steps on the w-weighted training loss from ``start``; differentiable in w. Also returns
    theta_T."""
    params = {n: p.detach().requires_grad_(True) for n, p in start.items()}
    end = sgd_steps(model, params, data.train, w, cfg["inner_steps"], cfg["inner_lr"], create_graph=True)
    s = getattr(data, split)
    return behavior_losses(model, end, s.x, s.y, s.b, len(w))[k], end


def metagrad_weights(model, data: BehaviorData, k: int, cfg: dict, start: dict, split: str) -> dict:
    """Behavior k's weights w: exponentiated-gradient (mirror) descent on the simplex,
    w <- w * exp(-beta * g / G), g = dL_k(theta_T(w))/dw. G is fixed at the first step (the
    largest |g_j - w.g| there), so that the first step moves log w by at most beta whatever
    the loss scale, and later steps shrink as w nears a point where g is equal on w's
    support. Every outer step unrolls from the same ``start``, so L_k(theta_T(w)) is one
    fixed function of w and w can settle: it has converged when it moves less than
    ``tolerance`` (L1) for 10 steps in a row."""
    K = len(data.behaviors)
    w = torch.full((K,), 1.0 / K, dtype=data.train.x.dtype)
    trace, still, scale = [w.tolist()], 0, None
    for _ in range(cfg["outer_steps"]):
        w_var = w.clone().requires_grad_(True)
        loss, _ = inner_loss(model, data, k, w_var, start, cfg, split)
        (grad,) = torch.autograd.grad(loss, w_var)
        # a floor on G: a first gradient that is flat across behaviors must not blow up the next steps
        scale = scale or max(float((grad - w @ grad).abs().max()), 1e-6 * float(loss.detach()), 1e-30)
        new = torch.softmax(torch.log(w) - cfg["outer_lr"] * grad / scale, dim=0)
        moved, w = float((new - w).abs().sum()), new
        trace.append(w.tolist())
        still = still + 1 if moved < cfg["tolerance"] else 0
        if still >= 10:
            break
    _, end = inner_loss(model, data, k, w, start, cfg, split)
    return {"weights": w.tolist(), "trace": trace, "converged": still >= 10, "iterations": len(trace) - 1,
            "params": {n: p.detach() for n, p in end.items()}}


def metagrad(model, data: BehaviorData, spec: dict, seed: int) -> Reference:
    """``metagrad.start``: ``scratch`` (default) unrolls every outer step from a fresh
    proxy (the same seeded initialisation each time), as eq. 17-18 do; ``natural`` from the
    plain-BC proxy, so that w is judged near a fitted policy, where conflicting demos pull
    apart."""
    proxy, cfg, split = spec["proxy"], spec["metagrad"], spec["proxy"]["split"]
    start = (train_proxy(model, data, proxy, seed, natural_weights(data)) if cfg["start"] == "natural"
             else {n: p.detach() for n, p in fresh_params(model, seed).items()})
    solved = [metagrad_weights(model, data, k, cfg, start, split) for k in range(len(data.behaviors))]
    if cfg["reference_at"] == "inner":
        params = [s["params"] for s in solved]
    else:
        params = [train_proxy(model, data, proxy, seed, np.array(s["weights"])) for s in solved]
    return reference_of(model, data, split, params, weights=[s["weights"] for s in solved],
                        trace=[s["trace"] for s in solved], converged=[s["converged"] for s in solved],
                        iterations=[s["iterations"] for s in solved])


# reference name (a DRO method's `reference`) -> its solver: (model, data, method spec, seed) -> Reference
REFERENCES = {"zero": zero, "remix": remix, "metagrad": metagrad}


def reference_losses(model, data: BehaviorData, spec: dict, seed: int) -> Reference:
    require_samples(getattr(data, spec["proxy"]["split"]), data.behaviors, spec["proxy"]["split"])
    return REFERENCES[spec["reference"]](model, data, spec, seed)
