"""Controls trained without some behaviors (`without`): none of their demos are recorded,
the rest of the plan is the full scenario's, and a left-out region is still evaluated."""
import copy

import pytest

from balancebc import registry
from balancebc.errors import BalanceBCError
from balancebc.params import validate

from conftest import tiny_params


def _validated(name: str, **changes) -> dict:
    params = tiny_params()
    params["scenarios"][name] = {**copy.deepcopy(params["scenarios"][name]), **changes}
    return validate(params)["scenarios"][name]


def test_pick_without_a_region_records_the_others_alike_and_evaluates_all():
    full = _validated("pick")
    without = _validated("pick", demos={"left": 3, "middle": 3}, without=["right"])
    kind = registry.SCENARIOS["pick"]
    assert kind.behaviors(without, []) == ["left", "middle"]
    assert kind.demo_plan(without) == [item for item in kind.demo_plan(full) if item[0] != "right"]
    assert kind.evaluation(without, {}).units == ["left", "middle", "right"]


def test_pick_suboptimal_without_its_sloppy_demos_is_the_optimal_only_control():
    kind = registry.SCENARIOS["pick_suboptimal"]
    optimal = _validated("pick_suboptimal", demos={"optimal": 4}, without=["suboptimal"])
    assert kind.behaviors(optimal, []) == ["optimal"]
    assert {b for b, _, sloppy in kind.demo_plan(optimal)} == {"optimal"}
    assert kind.demo_plan(optimal) == kind.demo_plan(_validated("pick_suboptimal"))[:4]


@pytest.mark.parametrize("changes, expected", [
    ({"without": ["far"]}, "scenarios.pick.without: ['far'] are not behaviors; expected some of"),
    ({"without": ["right"]}, "scenarios.pick.demos: expected one entry per behavior ['left', 'middle'] "
                             "(all of ['left', 'middle', 'right'] but `without`), got ['left', 'middle', 'right']"),
])
def test_without_names_behaviors_that_demos_leaves_out(changes, expected):
    with pytest.raises(BalanceBCError) as err:
        _validated("pick", **changes)
    assert expected in str(err.value)
