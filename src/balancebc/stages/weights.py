"""weights: per-behavior sampling weights, one file per method.

``natural``: w_k = n_k / sum_j n_j (plain BC). ``uniform``: w_k = 1/K (eq. 8).
``temperature``: w_k ∝ n_k^(1/tau); with ``schedule: cosine`` tau warms from ``tau`` to
``tau_end`` along a cosine over training (Patil et al.), so rare behaviors are sampled
more towards the end. ``dro``: the averaged alpha of the DRO solver against the method's
reference losses (balancebc.balance.dro). n_k counts the behavior's training samples.
"""
from __future__ import annotations

import math

import numpy as np

TRACE_POINTS = 11


def temperature_at(spec: dict, progress: float) -> float:
    tau = spec["tau"]
    if spec.get("schedule", "constant") == "cosine":
        tau_end = spec.get("tau_end", 5.0)
        return tau_end + (tau - tau_end) * (1 + math.cos(math.pi * progress)) / 2
    return tau


def weights_at(spec: dict, counts: dict[str, int], progress: float = 1.0) -> dict[str, float]:
    """Weights of the behaviors at ``progress`` ∈ [0, 1] of training."""
    names = list(counts)
    n = np.array([counts[k] for k in names], dtype=float)
    kind = spec["kind"]
    if kind == "natural":
        w = n
    elif kind == "uniform":
        w = np.ones_like(n)
    elif kind == "temperature":
        w = n ** (1.0 / temperature_at(spec, progress))
    else:
        raise ValueError(f"unknown weighting kind {kind!r}")
    w = w / w.sum()
    return {k: float(v) for k, v in zip(names, w)}


def is_scheduled(spec: dict) -> bool:
    return spec.get("schedule", "constant") != "constant"


def label_counts(labels: dict) -> tuple[dict[str, int], dict[str, int]]:
    """Training samples and training demos per behavior, from a labels file."""
    behaviors = labels["behaviors"]
    return ({b: e["train_samples"] for b, e in behaviors.items()},
            {b: e["train_demos"] for b, e in behaviors.items()})


def at_progress(weights_file: dict, progress: float) -> dict[str, float]:
    """The weights a weights file prescribes at ``progress`` ∈ [0, 1] of training."""
    if weights_file["scheduled"]:
        return weights_at(weights_file["spec"], weights_file["counts"], progress)
    return weights_file["weights"]


def solve_dro(method: str, spec: dict, labels: dict, reference: dict, data, model, balance: dict,
              seed: int) -> dict:
    import torch

    from balancebc.balance import dro
    torch.set_num_threads(1)  # a small model: a second thread costs more than it gains
    counts, demos = label_counts(labels)
    behaviors = list(counts)
    prior = np.array(list(weights_at({"kind": spec.get("prior", "uniform")}, counts).values()))
    ref = np.array([reference["losses"][b] for b in behaviors])
    out = dro.solve(model, data, ref, prior, balance["dro"], seed)
    named = lambda v: dict(zip(behaviors, v))  # noqa: E731
    return {
        "method": method, "spec": spec, "behaviors": behaviors, "counts": counts, "demos": demos,
        "weights": named(out["weights"]), "final_alpha": named(out["final_alpha"]),
        "reference_losses": named(ref.tolist()), "final_train_losses": named(out["final_train_losses"]),
        "prior": named(prior.tolist()), "settings": balance["dro"], "scheduled": False,
        "trace": [{"step": t["step"], "weights": named(t["alpha"]), "excess": named(t["excess"])}
                  for t in out["trace"]],
    }


def solve(method: str, spec: dict, labels: dict) -> dict:
    counts, demos = label_counts(labels)
    trace = [{"progress": t, "weights": weights_at(spec, counts, t)}
             for t in np.linspace(0, 1, TRACE_POINTS if is_scheduled(spec) else 1)]
    return {
        "method": method,
        "spec": spec,
        "behaviors": list(counts),
        "counts": counts,
        "demos": demos,
        "weights": weights_at(spec, counts, 1.0),
        "scheduled": is_scheduled(spec),
        "trace": trace,
    }
