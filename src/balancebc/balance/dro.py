"""DRO weights: max over alpha in the simplex, min over theta of sum_k alpha_k (L_k - L*_k)
(paper eq. 12-14), solved the DoReMi / Re-Mix way while a proxy trains (losses.train_proxy,
the same trainer, model and budget as the reference proxies). Before every theta step:

1. the excess of every sample of an alpha batch, clipped at 0 per sample against its
   reference, max(l_theta(x) - l_ref(x), 0), averaged per behavior;
2. alpha <- softmax(log alpha + eta * excess), smoothed towards the prior;
3. the theta step then weighs behavior k's loss by alpha_k.

The output is alpha averaged over all iterations. The alpha batch is the theta batch when
the references are training losses (``proxy.split: train``), and a stratified batch of
held-out demos when they are held-out losses, so the game compares like with like.

One change to the recipe: the excess is divided by the batch's mean loss before the alpha
step, so that one eta serves scenarios whose action losses differ by orders of magnitude
(DoReMi's eta = 1 assumes token log-losses). At a fixed point the clipped excesses of the
behaviors that keep weight are equal, whatever positive number divides them, so this
changes the step size, not the solution."""
from __future__ import annotations

import numpy as np
import torch

from balancebc.balance.losses import by_behavior, sample_losses, stratified_batches, train_proxy
from balancebc.balance.reference import Reference
from balancebc.io.behavior_data import BehaviorData

TRACE_POINTS = 100


def clipped_excess(model, params, reference: Reference, x, y, b, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per behavior: the mean per-sample excess clipped at 0, and the mean loss."""
    with torch.no_grad():
        losses = sample_losses(model, params, x, y)
        excess = torch.clamp(losses - reference.per_sample(model, x, y, b), min=0)
    return by_behavior(excess, b, k), by_behavior(losses, b, k)


def settled(alphas: np.ndarray, tolerance: float) -> tuple[float, bool]:
    """alpha's change over the last 10% of iterations: the L1 distance between its mean over
    them and its mean over the 10% before."""
    n = max(1, len(alphas) // 10)
    change = float(np.abs(alphas[-n:].mean(0) - alphas[-2 * n:-n].mean(0)).sum())
    return change, change < tolerance


def solve(model, data: BehaviorData, reference: Reference, prior: np.ndarray, spec: dict, seed: int) -> dict:
    proxy, cfg = spec["proxy"], spec["dro"]
    K, steps = len(data.behaviors), proxy["steps"]
    prior_t = torch.as_tensor(prior, dtype=data.train.x.dtype)
    log_alpha = torch.log(prior_t)
    held_out = (stratified_batches(data.valid, K, proxy["batch_per_behavior"], torch.Generator().manual_seed(seed + 1))
                if proxy["split"] == "valid" else None)
    alphas, clipped_all, trace = [], 0, []
    every = max(1, steps // TRACE_POINTS)

    def alpha_step(step, params, batch):
        nonlocal log_alpha, clipped_all
        excess, losses = clipped_excess(model, params, reference, *(next(held_out) if held_out else batch), K)
        alpha = torch.softmax(log_alpha + cfg["eta"] * excess / losses.mean().clamp(min=1e-12), dim=0)
        alpha = (1 - cfg["smoothing"]) * alpha + cfg["smoothing"] * prior_t
        log_alpha = torch.log(alpha)
        alphas.append(alpha.numpy())
        clipped_all += bool((excess == 0).all())
        if step % every == 0 or step == steps - 1:
            trace.append({"step": step, "alpha": alpha.tolist(), "excess": excess.tolist()})
        return alpha

    params = train_proxy(model, data, proxy, seed, alpha_step)
    split = getattr(data, proxy["split"])
    excess, losses = clipped_excess(model, params, reference, split.x, split.y, split.b, K)
    alphas = np.array(alphas)
    change, is_settled = settled(alphas, cfg["tolerance"])
    return {"weights": alphas.mean(0).tolist(), "final_alpha": alphas[-1].tolist(),
            "final_losses": losses.tolist(), "final_excess": excess.tolist(),
            "all_clipped_share": clipped_all / steps, "alpha_change": change, "settled": is_settled,
            "trace": trace}
