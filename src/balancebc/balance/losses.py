"""The solvers' proxy model and its training: per-sample and per-behavior losses of a
functional model (L_k(theta) = mean squared action error over behavior k's samples),
written with torch.func so the meta-gradient can differentiate through training steps, and
the one trainer every proxy uses, so that every reference and the DRO game see the same
model, batches and budget."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from balancebc.errors import BalanceBCError


def make_model(kind: str, in_dim: int, out_dim: int, hidden: list[int] | None = None,
               dtype: torch.dtype = torch.float32) -> nn.Module:
    if kind == "linear":
        return nn.Linear(in_dim, out_dim, bias=False, dtype=dtype)
    layers, width = [], in_dim
    for h in hidden or []:
        layers += [nn.Linear(width, h, dtype=dtype), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, out_dim, dtype=dtype))


def sample_losses(model: nn.Module, params: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(N,) squared action error of every sample, averaged over the action's dimensions."""
    return ((functional_call(model, params, (x,)) - y) ** 2).mean(dim=1)


def by_behavior(per_sample: torch.Tensor, b: torch.Tensor, k: int) -> torch.Tensor:
    """(K,) mean of ``per_sample`` over each behavior's samples (0 for a behavior with none)."""
    total = torch.zeros(k, dtype=per_sample.dtype).index_add(0, b, per_sample)
    return total / torch.bincount(b, minlength=k).clamp(min=1).to(per_sample.dtype)


def behavior_losses(model: nn.Module, params: dict, x: torch.Tensor, y: torch.Tensor,
                    b: torch.Tensor, k: int) -> torch.Tensor:
    """(K,) mean squared error of each behavior (0 for a behavior with no samples)."""
    return by_behavior(sample_losses(model, params, x, y), b, k)


def require_samples(split, behaviors: list[str], name: str) -> None:
    """A loss per behavior needs samples of every behavior in ``split``: else an error naming it."""
    counts = torch.bincount(split.b, minlength=len(behaviors))
    missing = [b for b, n in zip(behaviors, counts.tolist()) if n == 0]
    if missing:
        raise BalanceBCError(f"behavior(s) {missing} have no samples in the {name} split, so their loss cannot be "
                             f"measured there; give them more demos, or set the method's proxy.split to `train`")


def sgd_steps(model, params, data, weights: torch.Tensor, steps: int, lr: float, create_graph=False):
    """``steps`` full-batch gradient steps on sum_k w_k L_k; differentiable in ``weights``
    and the start parameters when ``create_graph``."""
    k = len(weights)
    for _ in range(steps):
        loss = (weights * behavior_losses(model, params, data.x, data.y, data.b, k)).sum()
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=create_graph)
        params = {n: p - lr * g for (n, p), g in zip(params.items(), grads)}
    return params


def fresh_params(model: nn.Module, seed: int) -> dict:
    torch.manual_seed(seed)
    for m in model.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
    return {n: p.detach().clone().requires_grad_(True) for n, p in model.named_parameters()}


def stratified_batches(split, k: int, per_behavior: int | None, gen: torch.Generator):
    """Endless batches with ``per_behavior`` samples of every behavior (None: the whole split)."""
    members = [torch.nonzero(split.b == j).flatten() for j in range(k)]
    while True:
        if per_behavior is None:
            yield split.x, split.y, split.b
            continue
        idx = torch.cat([m[torch.randint(len(m), (per_behavior,), generator=gen)] for m in members])
        yield split.x[idx], split.y[idx], split.b[idx]


Weights = np.ndarray | Callable[[int, dict, tuple], torch.Tensor]


def train_proxy(model, data, proxy: dict, seed: int, weights: Weights) -> dict:
    """Train a seeded proxy on sum_k w_k L_k: ``proxy["steps"]`` Adam steps at ``proxy["lr"]``
    (x0.1 after 75%) on batches of ``proxy["batch_per_behavior"]`` training samples per
    behavior. ``weights``: fixed (K,) weights, or a function ``(step, params, batch) -> w``
    called before every step (the DRO game's alpha). Returns the final parameters."""
    k = len(data.behaviors)
    params = fresh_params(model, seed)
    opt = torch.optim.Adam(params.values(), lr=proxy["lr"])
    decay = torch.optim.lr_scheduler.MultiStepLR(opt, [int(0.75 * proxy["steps"])], gamma=0.1)
    batches = stratified_batches(data.train, k, proxy["batch_per_behavior"], torch.Generator().manual_seed(seed))
    fixed = None if callable(weights) else torch.as_tensor(weights, dtype=data.train.x.dtype)
    for step in range(proxy["steps"]):
        batch = next(batches)
        w = fixed if fixed is not None else weights(step, params, batch)
        opt.zero_grad()
        (w * behavior_losses(model, params, *batch, k)).sum().backward()
        opt.step()
        decay.step()
    return {n: p.detach() for n, p in params.items()}
