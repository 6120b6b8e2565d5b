"""Per-behavior losses of a functional model: L_k(theta) = mean squared action error over
behavior k's samples. Written with torch.func so the meta-gradient can differentiate
through training steps."""
from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call


def make_model(kind: str, in_dim: int, out_dim: int, hidden: list[int] | None = None) -> nn.Module:
    if kind == "linear":
        return nn.Linear(in_dim, out_dim, bias=False)
    layers, width = [], in_dim
    for h in hidden or []:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, out_dim))


def behavior_losses(model: nn.Module, params: dict, x: torch.Tensor, y: torch.Tensor,
                    b: torch.Tensor, k: int) -> torch.Tensor:
    """(K,) mean squared error of each behavior (0 for a behavior with no samples)."""
    err = ((functional_call(model, params, (x,)) - y) ** 2).mean(dim=1)
    total = torch.zeros(k, dtype=err.dtype).index_add(0, b, err)
    count = torch.bincount(b, minlength=k).clamp(min=1).to(err.dtype)
    return total / count


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


def train_weighted(model, data, weights, steps: int, lr: float, seed: int) -> dict:
    """Train from a seeded start on sum_k w_k L_k with Adam (full batch); returns params."""
    params = fresh_params(model, seed)
    opt = torch.optim.Adam(params.values(), lr=lr)
    w = torch.as_tensor(weights, dtype=torch.float32)
    for step in range(steps):
        if step == int(0.75 * steps):
            for g in opt.param_groups:
                g["lr"] = lr * 0.1
        opt.zero_grad()
        (w * behavior_losses(model, params, data.x, data.y, data.b, len(w))).sum().backward()
        opt.step()
    return {n: p.detach() for n, p in params.items()}
