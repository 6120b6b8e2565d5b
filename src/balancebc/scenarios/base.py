"""What a scenario kind declares. Each kind is one module with one ``ScenarioKind``
subclass, registered in ``balancebc.registry.SCENARIOS`` under the ``kind`` that
params.yaml names; the stages ask it, and never test the kind's name themselves."""
from __future__ import annotations

from dataclasses import dataclass

import yaml

# Schema pieces several kinds share: simulated scenarios' common keys, and a grouping of a
# file's filter keys or tasks into behaviors.
SIMULATED = yaml.safe_load("""
seed: {type: integer, minimum: 0}
valid_fraction: {$ref: "#/$defs/valid_fraction"}
horizon: {type: integer, minimum: 10, description: "env steps per demo and rollout"}
workers: {type: integer, minimum: 1, default: 1, description: "processes recording demos"}
discover: {$ref: "#/$defs/discover"}
train:
  $ref: "#/$defs/train"
  description: "overrides of the top-level `train` for this scenario, e.g. {hidden: [32, 32]} (a capacity axis)"
policy: {$ref: "#/$defs/policy", description: "this scenario's robomimic algorithm, instead of the top-level `policy`"}
cameras:
  type: array
  uniqueItems: true
  items: {enum: [agentview, robot0_eye_in_hand, frontview, birdview, sideview]}
  description: >
    robosuite cameras recorded as RGB images (obs/<camera>_image, uint8) that the policy sees
    besides the low-dimensional observations; the weighting methods' proxies stay on the
    low-dimensional ones
image_size: {type: integer, minimum: 16, maximum: 512, default: 84, description: "camera images' height and width"}
""")
POLICY = SIMULATED["policy"]
# The balanced control of a kind whose `demos` count demos per behavior.
BALANCED = {"type": "boolean", "default": False,
            "description": "record the same total of demos as `demos`, split equally over its behaviors "
                           "(total // K each; the first total % K in `demos`' order get one more): "
                           "the balanced control of the imbalanced scenario"}
# A control trained without some behaviors (e.g. to show that a behavior is necessary).
WITHOUT = {"type": "array", "uniqueItems": True, "minItems": 1, "items": {"type": "string"},
           "description": "behaviors left out of the data, with no entry in `demos`: a control trained "
                          "without them (is the behavior necessary? does the sloppy data hurt?); a left-out "
                          "region or area is still evaluated"}
GROUPS = {"type": "object", "minProperties": 1,
          "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string"}}}


def grouped_behaviors(scenario: dict, masks: list[str]) -> list[str]:
    """The scenario's ``behaviors`` grouping, or one behavior per filter key but train / valid."""
    if scenario.get("behaviors"):
        return list(scenario["behaviors"])
    return [m for m in masks if m not in ("train", "valid")]


def demonstrated(scenario: dict, names) -> tuple[list[str], list[str]]:
    """(the behaviors among ``names`` that have demos, problems with ``demos`` and ``without``):
    every name in exactly one of the two."""
    without = scenario.get("without", [])
    problems = [f"without: {sorted(set(without) - set(names))} are not behaviors; expected some of {list(names)}"
                ] if set(without) - set(names) else []
    expected = [n for n in names if n not in without]
    if set(scenario["demos"]) != set(expected):
        problems.append(f"demos: expected one entry per behavior {sorted(expected)}"
                        + (f" (all of {list(names)} but `without`)" if without else "")
                        + f", got {sorted(scenario['demos'])}")
    return expected, problems


def demo_counts(scenario: dict) -> dict[str, int]:
    """Demos to record per behavior: the scenario's ``demos``, or with ``balanced: true`` the
    same total split equally (total // K each, one more for the first total % K behaviors
    in ``demos``' order)."""
    demos = dict(scenario["demos"])
    if not scenario.get("balanced", False):
        return demos
    each, extra = divmod(sum(demos.values()), len(demos))
    return {b: each + (i < extra) for i, b in enumerate(demos)}


def for_replicate(scenario: dict, replicate: int) -> dict:
    """The scenario as dataset replicate ``replicate`` makes it. Replicate 0 is the scenario
    as written; replicate r > 0 replaces its ``seed`` with one drawn from (seed, r), so that
    it records other demos (or, for an imported dataset, draws another train/valid split)."""
    if replicate == 0 or "seed" not in scenario:
        return scenario
    import numpy as np
    seed = int(np.random.SeedSequence([scenario["seed"], replicate]).generate_state(1)[0] >> 1)
    return {**scenario, "seed": seed}


@dataclass(frozen=True)
class Rollouts:
    """Evaluate by rollouts: ``units`` (regions or tasks; None: one unit, the env's task)
    of ``horizon`` steps each."""
    unit: str
    units: list[str] | None
    horizon: int


@dataclass(frozen=True)
class Offline:
    """Evaluate offline, by the policy's held-out loss per behavior; ``why`` says what
    rollouts would need (None: the scenario has no simulator to speak of)."""
    why: str | None


class ScenarioKind:
    name: str = ""
    schema: dict = {}            # JSON schema of the scenario's section (besides `kind`)
    policy: str = "robomimic_bc"  # the registered policy that trains on its data
    proxy: str = "mlp"           # the solvers' proxy model: an MLP on the observations, or `linear`

    def check(self, scenario: dict) -> list[str]:
        """Problems the schema cannot express, as ``key: message``."""
        return []

    def obs_keys(self, scenario: dict) -> list[str]:
        """The low-dimensional observations: what the weighting methods' proxy models see."""
        raise NotImplementedError

    def policy_obs_keys(self, scenario: dict) -> list[str]:
        """What the trained policy sees: the low-dimensional observations and the images of
        the scenario's ``cameras``."""
        return self.obs_keys(scenario) + [f"{camera}_image" for camera in scenario.get("cameras", [])]

    def behaviors(self, scenario: dict, masks: list[str]) -> list[str]:
        """The behaviors the weights balance: filter keys of the dataset (``masks``: its filter keys)."""
        raise NotImplementedError

    def known_behaviors(self, scenario: dict) -> list[str] | None:
        """The behaviors where params alone name them; None where only the data will tell
        (an import without a ``behaviors`` grouping, or discovered behaviors)."""
        return None if "discover" in scenario else self.behaviors(scenario, []) or None

    def make_dataset(self, scenario: dict, out: str) -> dict[str, int]:
        """Write the scenario's robomimic file to ``out``; returns demos per behavior.
        Simulated kinds do it with ``record.record_dataset``, which asks them for
        ``env_args(scenario)``, ``demo_plan(scenario)`` and ``make_expert(unit, sloppiness, seed)``."""
        raise NotImplementedError

    def inputs(self, scenario: dict) -> list[str]:
        """Files or folders outside the pipeline that ``make_dataset`` reads (imports)."""
        return []

    def threads(self, scenario: dict) -> int:
        """Processes ``make_dataset`` runs."""
        return scenario.get("workers", 1)

    def evaluation(self, scenario: dict, env_args: dict) -> Rollouts | Offline:
        raise NotImplementedError

    def train_settings(self, params: dict, scenario: dict) -> dict:
        """The settings its policy trains with: the top-level ``train``, with the scenario's
        own ``train`` keys over it, and the ``policy`` (the scenario's, else the top-level one)."""
        return {**params["train"], **scenario.get("train", {}), "policy": scenario.get("policy", params["policy"])}

    def offline_extras(self, scenario: dict, checkpoint: str, weights) -> tuple[dict, dict]:
        """Scenario-specific offline measurements: (per behavior, overall)."""
        return {}, {}

    # a paper's published weights to print beside ours: {"caption", "behaviors" (the paper's
    # behavior names, in its columns' order), "rows": {method: {"weights", "losses"}}}
    paper_table: dict | None = None
