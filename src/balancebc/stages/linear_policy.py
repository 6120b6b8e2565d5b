"""train and evaluate for the `gaussian` scenario: a linear policy a = theta^T s trained by
minibatch Adam (cosine-annealed) with the same per-sample probabilities as the robomimic trainer
(p_i = w_k / n_k), then judged offline: per-behavior held-out loss, distance to each
theta_k, and distance to the closed form theta*(w) of Proposition 1."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from balancebc.balance import data as behavior_data
from balancebc.balance.losses import behavior_losses, fresh_params, make_model
from balancebc.io.atomic import atomic_path
from balancebc.scenarios import gaussian
from balancebc.stages.train import per_sample_probabilities, record_training
from balancebc.stages.weights import at_progress

EPOCHS = 10


def train(dataset: str, labels: dict, weights_file: dict, cfg: dict, seed: int, out_dir: str | Path,
          run_info: dict) -> dict:
    torch.set_num_threads(1)
    data = behavior_data.load(dataset, labels, gaussian.OBS_KEYS)
    behaviors, K = data.behaviors, len(data.behaviors)
    model = make_model("linear", data.train.x.shape[1], data.train.y.shape[1])
    params = fresh_params(model, seed)
    opt = torch.optim.Adam(params.values(), lr=cfg["learning_rate"])
    # annealed to zero: minibatch noise would otherwise keep the last iterate off the optimum
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg["steps"])
    gen = torch.Generator().manual_seed(seed)
    per_epoch = -(-cfg["steps"] // EPOCHS)
    history, started = [], time.time()
    for epoch in range(EPOCHS):
        weights = at_progress(weights_file, epoch / max(EPOCHS - 1, 1))
        probs = torch.as_tensor(per_sample_probabilities(data.train.b.numpy(), weights, behaviors))
        for _ in range(per_epoch):
            idx = torch.multinomial(probs, cfg["batch_size"], replacement=True, generator=gen)
            opt.zero_grad()
            pred = torch.func.functional_call(model, params, (data.train.x[idx],))
            (pred - data.train.y[idx]).pow(2).mean().backward()
            opt.step()
            schedule.step()
        with torch.no_grad():
            row = {f"weight/{b}": weights[b] for b in behaviors}
            for split in ("train", "valid"):
                s = getattr(data, split)
                row.update({f"loss_{split}/{b}": float(v) for b, v in
                            zip(behaviors, behavior_losses(model, params, s.x, s.y, s.b, K))})
        history.append(row)
    out_dir = Path(out_dir)
    theta = params["weight"].detach().numpy().T  # (state_dim, action_dim)
    with atomic_path(out_dir / "model.pth") as tmp:
        torch.save({"theta": theta, "behaviors": behaviors}, tmp)
    return record_training(out_dir, run_info, seed, behaviors, cfg, weights_file["spec"], history, started)


def evaluate(checkpoint: str, dataset: str, labels: dict, scenario: dict, weights_file: dict) -> dict:
    theta = torch.load(checkpoint, weights_only=False)["theta"]
    data = behavior_data.load(dataset, labels, gaussian.OBS_KEYS)
    truth = gaussian.true_parameters(scenario)
    v = data.valid
    pred = v.x.numpy() @ theta
    result = {}
    for k, b in enumerate(data.behaviors):
        m = (v.b == k).numpy()
        result[b] = {"loss": float(((pred[m] - v.y.numpy()[m]) ** 2).mean()),
                     "distance": float(np.linalg.norm(theta - truth[b]))}
    closed = gaussian.closed_form(scenario, weights_file["weights"])
    return {"behaviors": result, "closed_form_distance": float(np.linalg.norm(theta - closed)),
            "closed_form_scale": float(np.linalg.norm(closed))}
