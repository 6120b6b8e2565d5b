"""DRO weights: max over alpha in the simplex, min over theta of sum_k alpha_k (L_k - L*_k)
(paper eq. 12-14), solved the DoReMi / Re-Mix way: alternate an exponentiated-gradient
step on alpha with the excess loss clipped at 0, smoothed towards a prior, and an
optimiser step on theta with the alpha-weighted (unclipped) loss on a batch stratified so
every behavior is present. The output is the running average of alpha.

One change to the recipe: the excess is divided by the batch's mean loss before the alpha
step, so a single eta serves scenarios whose losses differ by orders of magnitude."""
from __future__ import annotations

import numpy as np
import torch

from balancebc.balance.losses import behavior_losses, fresh_params
from balancebc.io.behavior_data import BehaviorData


def stratified_batches(data: BehaviorData, per_behavior: int | None, gen: torch.Generator):
    """Endless batches with ``per_behavior`` samples of every behavior (None: the full set)."""
    t = data.train
    members = [torch.nonzero(t.b == k).flatten() for k in range(len(data.behaviors))]
    while True:
        if per_behavior is None:
            yield t.x, t.y, t.b
            continue
        idx = torch.cat([m[torch.randint(len(m), (per_behavior,), generator=gen)] for m in members])
        yield t.x[idx], t.y[idx], t.b[idx]


def solve(model, data: BehaviorData, reference: np.ndarray, prior: np.ndarray, cfg: dict, seed: int) -> dict:
    K = len(data.behaviors)
    ref = torch.as_tensor(reference, dtype=torch.float32)
    prior_t = torch.as_tensor(prior, dtype=torch.float32)
    alpha, total = prior_t.clone(), torch.zeros(K)
    params = fresh_params(model, seed)
    opt = torch.optim.Adam(params.values(), lr=cfg["lr"])
    gen = torch.Generator().manual_seed(seed)
    trace, every = [], max(1, cfg["steps"] // 100)
    batches = stratified_batches(data, cfg["batch_per_behavior"], gen)
    for step in range(cfg["steps"]):
        x, y, b = next(batches)
        losses = behavior_losses(model, params, x, y, b, K)
        # excess in units of the batch's mean loss, so that eta does not depend on the action scale
        excess = torch.clamp(losses.detach() - ref, min=0) / losses.detach().mean().clamp(min=1e-12)
        alpha = alpha * torch.exp(cfg["eta"] * excess)
        alpha = (1 - cfg["smoothing"]) * alpha / alpha.sum() + cfg["smoothing"] * prior_t
        total += alpha
        opt.zero_grad()
        (alpha * (losses - ref)).sum().backward()
        opt.step()
        if step % every == 0 or step == cfg["steps"] - 1:
            trace.append({"step": step, "alpha": alpha.tolist(), "excess": (losses.detach() - ref).tolist()})
    t = data.train
    with torch.no_grad():
        final = behavior_losses(model, params, t.x, t.y, t.b, K).numpy()
    return {"weights": (total / cfg["steps"]).tolist(), "final_alpha": alpha.tolist(),
            "final_train_losses": final.tolist(), "trace": trace}
