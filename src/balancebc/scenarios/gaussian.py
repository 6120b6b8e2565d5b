"""The `gaussian` scenario: no simulator, the linear-Gaussian setting of Proposition 1.

Behavior k has a linear sub-policy a = theta_k^T s + N(0, noise_k^2) with states
s ~ N(0, scale_k^2 I), so S_k = E_k[s s^T] = scale_k^2 I. A behavior with its own theta_k
is a conflicting sub-policy; one that shares another's (``theta_of``) with more action noise
is a sloppy copy of that demonstrator (the paper's Table 1 setting). The weighted-BC optimum of a
linear policy is then known in closed form,
    theta*(w) = (sum_k w_k S_k)^-1 sum_k w_k S_k theta_k,
which the tests use as an oracle. The data is written in robomimic's layout (obs key
``state``; demos are chunks of one behavior's samples) so the other stages read it the same
way; ``env_args`` holds the true parameters.
"""
from __future__ import annotations

import numpy as np

from balancebc import registry
from balancebc.io.robomimic_hdf5 import Demo, split_train_valid, write_dataset
from balancebc.scenarios.base import Offline, ScenarioKind

OBS_KEYS = ["state"]


def true_parameters(scenario: dict) -> dict[str, np.ndarray]:
    """theta_k of every behavior: drawn at random, or another behavior's (``theta_of``)."""
    rng = np.random.default_rng(scenario["seed"])
    thetas = {k: rng.normal(size=(scenario["state_dim"], scenario["action_dim"])) for k in scenario["samples"]}
    return {k: thetas[scenario["theta_of"].get(k, k)] for k in thetas}


def second_moment(scenario: dict, behavior: str) -> np.ndarray:
    return scenario["state_scale"][behavior] ** 2 * np.eye(scenario["state_dim"])


def closed_form(scenario: dict, weights: dict[str, float]) -> np.ndarray:
    """theta*(w) = (sum_k w_k S_k)^-1 sum_k w_k S_k theta_k (Proposition 1, general form)."""
    thetas = true_parameters(scenario)
    A = sum(weights[k] * second_moment(scenario, k) for k in thetas)
    B = sum(weights[k] * second_moment(scenario, k) @ thetas[k] for k in thetas)
    return np.linalg.solve(A, B)


def generate(scenario: dict, out: str) -> dict[str, int]:
    rng = np.random.default_rng(scenario["seed"] + 1)
    thetas = true_parameters(scenario)
    length = scenario["demo_length"]
    demos, names = [], {k: [] for k in thetas}
    for k, theta in thetas.items():
        n = scenario["samples"][k]
        s = rng.normal(scale=scenario["state_scale"][k], size=(n, scenario["state_dim"]))
        a = s @ theta + rng.normal(scale=scenario["noise"][k], size=(n, scenario["action_dim"]))
        for start in range(0, n, length):
            ss, aa = s[start:start + length], a[start:start + length]
            dones = np.zeros(len(aa), dtype=np.int64)
            dones[-1] = 1
            names[k].append(f"demo_{len(demos)}")
            demos.append(Demo(actions=aa, states=ss, rewards=np.zeros(len(aa)), dones=dones,
                              obs={"state": ss}, next_obs={"state": ss}, attrs={"behavior": k}))
    train, valid = split_train_valid(names, scenario["valid_fraction"], scenario["seed"])
    env_args = {"env_name": "LinearGaussian", "type": None,
                "env_kwargs": {"thetas": {k: t.tolist() for k, t in thetas.items()},
                               "state_scale": scenario["state_scale"], "noise": scenario["noise"]}}
    write_dataset(out, demos, env_args, {**names, "train": train, "valid": valid})
    return {k: len(v) for k, v in names.items()}


class Gaussian(ScenarioKind):
    name = "gaussian"
    policy = "linear"
    proxy = "linear"  # the policy class of Proposition 1
    schema = {
        "required": ["seed", "state_dim", "action_dim", "samples", "state_scale", "noise", "demo_length",
                     "valid_fraction", "train"],
        "properties": {
            "seed": {"type": "integer", "minimum": 0},
            "state_dim": {"type": "integer", "minimum": 1},
            "action_dim": {"type": "integer", "minimum": 1},
            "samples": {"type": "object", "minProperties": 2,
                        "additionalProperties": {"type": "integer", "minimum": 2}},
            "state_scale": {"type": "object", "additionalProperties": {"type": "number", "exclusiveMinimum": 0}},
            "noise": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
            "theta_of": {"type": "object", "additionalProperties": {"type": "string"}, "default": {},
                         "description": "behavior -> the behavior whose theta it shares (a sloppy copy with its own noise)"},
            "demo_length": {"type": "integer", "minimum": 1},
            "valid_fraction": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5},
            "train": {"description": "the linear policy's minibatch Adam", "type": "object",
                      "additionalProperties": False, "required": ["steps", "batch_size", "learning_rate"],
                      "properties": {"steps": {"type": "integer", "minimum": 10},
                                     "batch_size": {"type": "integer", "minimum": 1},
                                     "learning_rate": {"type": "number", "exclusiveMinimum": 0}}},
        },
    }

    def check(self, scenario):
        behaviors = set(scenario["samples"])
        problems = [f"{key}: expected one entry per behavior {sorted(behaviors)}, got {sorted(scenario[key])}"
                    for key in ("state_scale", "noise") if set(scenario[key]) != behaviors]
        return problems + [f"theta_of: {k}: {v!r} expected a behavior with its own theta, one of "
                           f"{sorted(behaviors - set(scenario['theta_of']))}"
                           for k, v in scenario["theta_of"].items()
                           if k not in behaviors or v not in behaviors or v in scenario["theta_of"]]

    def obs_keys(self, scenario):
        return OBS_KEYS

    def behaviors(self, scenario, masks):
        return list(scenario["samples"])

    def make_dataset(self, scenario, out):
        return generate(scenario, out)

    def evaluation(self, scenario, env_args):
        return Offline(None)  # judged against the closed form instead

    def train_settings(self, params, scenario):
        return scenario["train"]

    def offline_extras(self, scenario, checkpoint, weights):
        """Distance of the learned theta to each theta_k and to the closed form theta*(w)."""
        import torch
        theta = torch.load(checkpoint, weights_only=True)["theta"].numpy()  # the linear policy's checkpoint
        per_behavior = {b: {"distance": float(np.linalg.norm(theta - t))}
                        for b, t in true_parameters(scenario).items()}
        closed = closed_form(scenario, weights.weights)
        return per_behavior, {"closed_form_distance": float(np.linalg.norm(theta - closed)),
                              "closed_form_scale": float(np.linalg.norm(closed))}


registry.SCENARIOS.register(Gaussian())
