"""A linear policy a = theta^T s (the `gaussian` scenario's policy class, Proposition 1),
trained by minibatch Adam (cosine-annealed) with the same sampler as every trainer."""
from __future__ import annotations

from balancebc import registry
from balancebc.io.atomic import atomic_path
from balancebc.policies.base import Policy

LOG_ROWS = 20  # rows of the training log (learning curves), evenly spaced over the budget


class Linear(Policy):
    name = "linear"

    def train(self, labelled, behaviors, weights_at, settings, seed, obs_keys, checkpoints, on_epoch=lambda row: None):
        import torch

        from balancebc.balance.losses import behavior_losses, fresh_params, make_model
        from balancebc.io import behavior_data
        from balancebc.policies.sampler import BehaviorSampler
        torch.set_num_threads(1)
        data = behavior_data.load(labelled, obs_keys)
        K = len(behaviors)
        model = make_model("linear", data.train.x.shape[1], data.train.y.shape[1])
        params = fresh_params(model, seed)
        opt = torch.optim.Adam(params.values(), lr=settings["learning_rate"])
        # annealed to zero: minibatch noise would otherwise keep the last iterate off the optimum
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=settings["steps"])
        steps = settings["steps"]
        sampler = BehaviorSampler(data.train.b.numpy(), behaviors, weights_at, settings["batch_size"], steps, seed)
        log_every = max(1, steps // LOG_ROWS)
        history = []
        for step in range(1, steps + 1):
            idx = sampler.next_batch()
            opt.zero_grad()
            pred = torch.func.functional_call(model, params, (data.train.x[idx],))
            (pred - data.train.y[idx]).pow(2).mean().backward()
            opt.step()
            schedule.step()
            if step % log_every == 0 or step == steps:
                with torch.no_grad():
                    row = {"step": step, **{f"weight/{b}": w for b, w in sampler.mean_weights().items()}}
                    for split in ("train", "valid"):
                        s = getattr(data, split)
                        row.update({f"loss_{split}/{b}": float(v) for b, v in
                                    zip(behaviors, behavior_losses(model, params, s.x, s.y, s.b, K))})
                history.append(row)
                on_epoch(row)
            if step in checkpoints:
                theta = params["weight"].detach().numpy().T  # (state_dim, action_dim)
                with atomic_path(checkpoints[step]) as tmp:
                    torch.save({"theta": torch.from_numpy(theta.copy()), "behaviors": behaviors, "step": step}, tmp)
        return history

    def heldout_loss(self, checkpoint, labelled, obs_keys):
        import torch

        from balancebc.io import behavior_data
        theta = torch.load(checkpoint, weights_only=True)["theta"].numpy()
        data = behavior_data.load(labelled, obs_keys)
        v = data.valid
        pred = v.x.numpy() @ theta
        result = {}
        for k, b in enumerate(data.behaviors):
            m = (v.b == k).numpy()
            if not m.any():  # no held-out demo of this behavior
                continue
            result[b] = {"loss": float(((pred[m] - v.y.numpy()[m]) ** 2).mean()), "samples": int(m.sum())}
        return result


registry.POLICIES.register(Linear())
