"""`balanced: true`: a simulated scenario records the same total of demos as its `demos`,
split equally over the behaviors — the balanced control of an imbalanced scenario."""
import copy
from collections import Counter

import pytest
import yaml

from balancebc import registry
from balancebc.errors import BalanceBCError
from balancebc.params import load, validate
from balancebc.scenarios.base import demo_counts

from conftest import REPO, complete, tiny_params

MULTITASK = {"kind": "multitask", "seed": 0, "demos": {"lift": 3, "stack": 2}, "valid_fraction": 0.2,
             "horizon": 150, "workers": 1}


def scenario(name: str, demos: dict, **extra) -> dict:
    """A tiny scenario of kind ``name`` with ``demos``, as the stages see it."""
    base = MULTITASK if name == "multitask" else tiny_params()["scenarios"][name]
    return complete("scenarios", {**copy.deepcopy(base), "demos": demos, **extra})


def planned(s: dict) -> Counter:
    return Counter(item[0] for item in registry.SCENARIOS[s["kind"]].demo_plan(s))


CASES = [  # kind, imbalanced demos, the balanced counts
    ("pick", {"left": 40, "middle": 40, "right": 4}, {"left": 28, "middle": 28, "right": 28}),
    ("pick", {"left": 5, "middle": 1, "right": 1}, {"left": 3, "middle": 2, "right": 2}),
    # the remainder goes to the first behaviors in `demos`' order, not the regions' order
    ("pick", {"right": 4, "middle": 41, "left": 40}, {"right": 29, "middle": 28, "left": 28}),
    ("pick_suboptimal", {"optimal": 24, "suboptimal": 12}, {"optimal": 18, "suboptimal": 18}),
    ("pick_suboptimal", {"optimal": 4, "suboptimal": 3}, {"optimal": 4, "suboptimal": 3}),
    ("pick_suboptimal", {"suboptimal": 2, "optimal": 5}, {"suboptimal": 4, "optimal": 3}),
    ("multitask", {"lift": 100, "stack": 10}, {"lift": 55, "stack": 55}),
    ("multitask", {"lift": 60, "stack": 7}, {"lift": 34, "stack": 33}),
]


@pytest.mark.parametrize("kind, demos, expected", CASES)
def test_balanced_splits_the_same_total_equally(kind, demos, expected):
    s = scenario(kind, demos, balanced=True)
    assert demo_counts(s) == expected
    assert sum(demo_counts(s).values()) == sum(demos.values())
    assert max(expected.values()) - min(expected.values()) <= 1
    assert planned(s) == Counter(expected)
    assert s["demos"] == demos  # the scenario itself is left as written


@pytest.mark.parametrize("kind, demos, expected", CASES)
@pytest.mark.parametrize("extra", [{}, {"balanced": False}])
def test_unbalanced_keeps_the_demo_counts(kind, demos, expected, extra):
    s = scenario(kind, demos, **extra)
    assert s["balanced"] is False  # the schema's default
    assert demo_counts(s) == demos
    assert planned(s) == Counter(demos)


def test_balanced_suboptimal_demos_are_still_spread_over_the_regions():
    s = scenario("pick_suboptimal", {"optimal": 5, "suboptimal": 1}, balanced=True)
    plan = registry.SCENARIOS["pick_suboptimal"].demo_plan(s)
    sloppy = [(unit, sloppiness) for b, unit, sloppiness in plan if b == "suboptimal"]
    assert [unit for unit, _ in sloppy] == ["left", "middle", "left"]
    assert all(sloppiness == s["suboptimal"] for _, sloppiness in sloppy)


def test_balanced_must_be_a_boolean():
    params = tiny_params()
    params["scenarios"]["pick"]["balanced"] = "yes"
    with pytest.raises(BalanceBCError, match="scenarios.pick.balanced: 'yes' is not of type 'boolean'"):
        validate(params)


def test_default_params_have_the_balanced_control_of_pick():
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    assert raw["controls"]["pick_balanced"] == {**raw["scenarios"]["pick"], "balanced": True}
    assert "balanced" not in raw["scenarios"]["pick"]
    params = load(REPO / "params.yaml")
    pick, control = params["scenarios"]["pick"], params["controls"]["pick_balanced"]
    assert {k: v for k, v in control.items() if k != "balanced"} == {k: v for k, v in pick.items() if k != "balanced"}
    assert (pick["balanced"], control["balanced"]) == (False, True)
    assert demo_counts(control) == {"left": 28, "middle": 28, "right": 28}
    assert sum(demo_counts(control).values()) == sum(demo_counts(pick).values()) == 84
