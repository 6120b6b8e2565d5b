"""`dro`: the paper's min-max balance, max over alpha in the simplex, min over theta of
sum_k alpha_k (L_k(theta) - L*_k), solved on a proxy model (balancebc.balance.dro) against
reference losses L*_k (balancebc.balance.reference): ``zero``, ``remix`` or ``metagrad``.
The weights are the running average of alpha; the reference losses are solved in the
same job, with the same seed."""
from __future__ import annotations

import numpy as np
import yaml

from balancebc import registry
from balancebc.balance.methods.base import WeightingMethod
from balancebc.io.weights_file import WeightsFile

SCHEMA_TEXT = """
required: [reference]
properties:
  reference: {enum: [zero, remix, metagrad],
              description: "L*_k: 0, a plain-BC proxy's loss (Re-Mix), or learned by meta-gradient"}
  prior: {enum: [uniform, natural], default: uniform, description: "what alpha is smoothed towards"}
  proxy:
    description: >
      the proxy model that every reference and the DRO game train, with the same trainer and
      budget (gaussian uses a linear one)
    type: object
    additionalProperties: false
    default: {}
    properties:
      hidden: {type: array, items: {type: integer, minimum: 1}, default: [64, 64], description: "MLP widths"}
      steps: {type: integer, minimum: 10, default: 2000, description: "Adam steps of every proxy (x0.1 lr after 75%)"}
      lr: {type: number, exclusiveMinimum: 0, default: 0.01}
      batch_per_behavior: {type: [integer, "null"], minimum: 1, default: 64, description: "null: full batch"}
      split: {enum: [train, valid], default: train,
              description: "where L*_k and the game's excess are measured: the training demos or held-out ones"}
  metagrad:
    description: the meta-gradient reference (reference metagrad)
    type: object
    additionalProperties: false
    default: {}
    properties:
      outer_steps: {type: integer, minimum: 1, default: 200, description: "at most this many steps on w"}
      inner_steps: {type: integer, minimum: 1, default: 5}
      inner_lr: {type: number, exclusiveMinimum: 0, default: 0.05}
      outer_lr: {type: number, exclusiveMinimum: 0, default: 0.5,
                 description: "exponentiated-gradient step: the first moves log w by at most this much"}
      tolerance: {type: number, exclusiveMinimum: 0, default: 0.001, description: "w has converged when it moves less (L1) for 10 steps"}
      start: {enum: [natural, scratch], default: scratch,
              description: "unroll every outer step from a fresh proxy (scratch) or from the plain-BC proxy (natural)"}
      reference_at: {enum: [inner, retrained], default: inner,
                     description: "L*_k after the inner steps with the converged w (inner) or after a full proxy training on it"}
  dro:
    description: the DRO game's alpha steps (the proxy's training sets its length)
    type: object
    additionalProperties: false
    default: {}
    properties:
      eta: {type: number, exclusiveMinimum: 0, default: 0.03}
      smoothing: {type: number, minimum: 0, maximum: 1, default: 0.0001}
      tolerance: {type: number, exclusiveMinimum: 0, default: 0.05,
                  description: "alpha has settled when its mean over the last 10% of iterations moves less (L1) from the 10% before"}
"""


def proxy_model(kind: str, data, proxy: dict):
    """The model the solvers train: ``linear`` (the policy class of Proposition 1) or an MLP
    on the low-dimensional observations."""
    from balancebc.balance.losses import make_model
    in_dim, out_dim = data.train.x.shape[1], data.train.y.shape[1]
    return make_model(kind, in_dim, out_dim, None if kind == "linear" else proxy["hidden"])


class DRO(WeightingMethod):
    name = "dro"
    needs_solver = True

    schema = yaml.safe_load(SCHEMA_TEXT)

    def solve(self, method, spec, problem):
        import torch

        from balancebc.balance import dro
        from balancebc.balance.reference import reference_losses
        from balancebc.io import behavior_data
        torch.set_num_threads(1)  # a small model: a second thread costs more than it gains
        data = behavior_data.load(problem.labelled, problem.obs_keys)
        model = proxy_model(problem.proxy, data, spec["proxy"])
        behaviors, counts = data.behaviors, problem.counts
        reference = reference_losses(model, data, spec, problem.seed)
        prior = np.array(list(registry.METHODS[spec["prior"]].weights_at({}, counts).values()))
        out = dro.solve(model, data, reference, prior, spec, problem.seed)
        named = lambda v: dict(zip(behaviors, v))  # noqa: E731
        solver = {
            "reference": spec["reference"], "reference_losses": named(reference.losses.tolist()),
            "split": "mask/" + spec["proxy"]["split"],
            **{f"metagrad_{k}": named(v) for k, v in reference.extras.items()},  # each behavior's w, trace, convergence
            **{k: named(out[k]) for k in ("final_alpha", "final_losses", "final_excess")},
            **{k: out[k] for k in ("all_clipped_share", "alpha_change", "settled")},
            "prior": named(prior.tolist()),
            "trace": [{"step": t["step"], "weights": named(t["alpha"]), "excess": named(t["excess"])}
                      for t in out["trace"]],
        }
        weights = named(out["weights"])
        return WeightsFile(method=method, spec=spec, behaviors=behaviors, counts=counts, demos=problem.demos,
                           weights=weights, schedule=[{"progress": 0.0, "weights": weights}], solver=solver)

    def note(self, files):
        alpha = "/".join(f"{np.mean(v):.2f} ± {np.std(v, ddof=1) if len(v) > 1 else 0.0:.2f}"
                         for v in (np.array([f.solver["final_alpha"][b] for f in files]) for b in files[0].behaviors))
        note = f"DRO ({files[0].spec['reference']} reference), averaged alpha; final alpha {alpha}"
        unsettled = sum(not f.solver["settled"] for f in files)
        if unsettled:
            note += f"; **alpha did not settle in {unsettled} of {len(files)} solves**"
        converged = [c for f in files for c in f.solver.get("metagrad_converged", {}).values()]
        if not all(converged):
            note += f"; **meta-gradient w did not converge in {converged.count(False)} of {len(converged)} solves**"
        return note


registry.METHODS.register(DRO())
