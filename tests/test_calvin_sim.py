"""CALVIN's simulator in the pipeline: the `calvin_pick` and `calvin_open` experts succeed by
calvin_env's own task oracle, their datasets say how to re-create the env, a tiny
`calvin_pick` run goes through every stage to its report, and bad inputs are refused
before anything runs. Without calvin_env these tests skip, unless BALANCEBC_REQUIRE_CALVIN
is set (CI sets it, and installs calvin_env): then they fail."""
import copy
import csv
import json
import os

import h5py
import numpy as np
import pytest
import yaml

from balancebc import registry
from balancebc.errors import BalanceBCError
from balancebc.params import validate
from balancebc.sim import calvin_env
from balancebc.sim import env as sim

from conftest import make_project, run, tiny_params

if calvin_env.missing():
    if os.environ.get("BALANCEBC_REQUIRE_CALVIN"):
        raise RuntimeError(f"BALANCEBC_REQUIRE_CALVIN is set, but {calvin_env.INSTALL}")
    pytest.skip(calvin_env.INSTALL, allow_module_level=True)

AREAS = {"left": {"x": [0.02, 0.10], "y": [-0.13, -0.05]}, "middle": {"x": [0.135, 0.215], "y": [-0.13, -0.05]},
         "right": {"x": [0.24, 0.30], "y": [-0.13, -0.05]}}
PICK = {"kind": "calvin_pick", "seed": 0, "scene": "calvin_scene_D", "areas": AREAS,
        "demos": {"left": 3, "middle": 3, "right": 2}, "valid_fraction": 0.2, "horizon": 150, "workers": 1}
OPEN = {"kind": "calvin_open", "seed": 0, "scene": "calvin_scene_D", "demos": {"drawer": 3, "slider": 2},
        "valid_fraction": 0.2, "horizon": 150, "workers": 1}
TRIES = 5  # per behavior; the bar is 80%


def _tries(scenario: dict, unit: str, seeds=range(TRIES)):
    kind = registry.SCENARIOS[scenario["kind"]]
    env = sim.make_env(kind.env_args(scenario))
    return [sim.record_demo(env, unit, seed, scenario["horizon"], kind.make_expert(unit, None, seed),
                            obs_keys=kind.obs_keys(scenario)) for seed in seeds]


@pytest.mark.slow
@pytest.mark.parametrize("scenario, unit", [(PICK, a) for a in AREAS] + [(OPEN, b) for b in OPEN["demos"]])
def test_each_expert_succeeds_by_the_oracle_and_its_demos_vary(scenario, unit):
    demos = _tries(scenario, unit)
    assert sum(d is not None for d in demos) >= 0.8 * TRIES, f"{unit}: {[d is not None for d in demos]}"
    done = [d for d in demos if d is not None]
    assert len({len(d.actions) for d in done}) > 1 or not np.allclose(done[0].actions, done[1].actions)
    assert all(d.obs["robot_obs"].shape[1] == 15 and d.obs["scene_obs"].shape[1] == 24 for d in done)


@pytest.mark.slow
def test_the_drawer_and_the_slider_experts_do_not_do_each_others_task():
    """Each opening behavior is needed for its own task: the other expert, run in its scene, fails it."""
    kind = registry.SCENARIOS["calvin_open"]
    env = sim.make_env(kind.env_args(OPEN))
    for unit, other in (("drawer", "slider"), ("slider", "drawer")):
        for seed in range(2):
            demo = sim.record_demo(env, unit, seed, 150, kind.make_expert(other, None, seed), obs_keys=kind.obs_keys(OPEN))
            assert demo is None, (unit, seed)


@pytest.mark.slow
def test_the_light_bulb_tells_the_task_and_the_block_starts_in_its_area():
    env = sim.make_env(registry.SCENARIOS["calvin_open"].env_args(OPEN))
    for unit, light in (("drawer", 1), ("slider", 0)):
        env.select(unit)
        env.reseed(0)
        assert env.reset()["scene_obs"][calvin_env.BULB] == light
    env = sim.make_env(registry.SCENARIOS["calvin_pick"].env_args(PICK))
    for area, spec in AREAS.items():
        env.select(area)
        for seed in range(3):
            env.reseed(seed)
            x, y = env.reset()["scene_obs"][calvin_env.RED:calvin_env.RED + 2]
            assert spec["x"][0] - 1e-3 <= x <= spec["x"][1] + 1e-3 and spec["y"][0] - 1e-3 <= y <= spec["y"][1] + 1e-3


@pytest.mark.slow
def test_the_dataset_is_robomimic_hdf5_that_re_creates_its_env(tmp_path):
    out = tmp_path / "calvin_open.hdf5"
    counts = registry.SCENARIOS["calvin_open"].make_dataset(validate_scenario(OPEN), str(out))
    assert counts == OPEN["demos"]
    with h5py.File(out) as f:
        args = json.loads(f["data"].attrs["env_args"])
        masks = {k: [n.decode() for n in f["mask"][k][()]] for k in f["mask"]}
        demo = f["data"][masks["drawer"][0]]
        first_state, seed, unit = demo["states"][0], int(demo.attrs["seed"]), demo.attrs["unit"]
        assert demo["actions"].shape[1] == 7 and set(demo["obs"]) == {"robot_obs", "scene_obs"}
        assert demo["obs"]["scene_obs"][0, calvin_env.BULB] == 1.0
    assert args["type"] == calvin_env.TYPE and args["env_kwargs"]["scene"] == "calvin_scene_D"
    assert {len(masks[b]) for b in OPEN["demos"]} == {3, 2} and masks["valid"]
    env = sim.make_env(args)  # the file alone says how to re-create the env and the demo's start
    env.select(unit)
    env.reseed(seed)
    env.reset()
    np.testing.assert_allclose(env.flat_state(), first_state, atol=1e-5)


def validate_scenario(scenario: dict) -> dict:
    params = tiny_params()
    params["scenarios"] = {"s": copy.deepcopy(scenario)}
    return validate(params)["scenarios"]["s"]


@pytest.mark.parametrize("mutate, expected", [
    (lambda s: s.update(scene="calvin_scene_E"), "scenarios.s.scene: 'calvin_scene_E' is not allowed; expected one of ['calvin_scene_A'"),
    (lambda s: s["areas"]["right"].update(x=[0.30, 0.40]),
     "scenarios.s.areas.right.x: [0.3, 0.4] is not an interval within the table's top [0.0, 0.35]"),
    (lambda s: s["demos"].update(right=0), "scenarios.s.demos.right: 0 is less than the minimum of 1"),
    (lambda s: s["demos"].update(far=2), "scenarios.s.demos: expected one entry per behavior ['left', 'middle', 'right']"),
    (lambda s: s.update(without=["right"]), "scenarios.s.demos: expected one entry per behavior ['left', 'middle'] "
                                            "(all of ['left', 'middle', 'right'] but `without`)"),
])
def test_bad_calvin_pick_params_name_the_key(mutate, expected):
    scenario = copy.deepcopy(PICK)
    mutate(scenario)
    with pytest.raises(BalanceBCError) as err:
        validate_scenario(scenario)
    assert expected in str(err.value)


def test_a_behavior_without_an_expert_is_refused():
    with pytest.raises(BalanceBCError) as err:
        validate_scenario({**OPEN, "demos": {"drawer": 3, "button": 2}})
    assert "scenarios.s.demos.button: no expert for behavior 'button'" in str(err.value)


def test_without_calvin_env_check_params_says_what_to_install(tmp_path):
    """calvin_env hidden from the interpreter (a `None` entry in sys.modules fails its import)."""
    params = tiny_params()
    params["scenarios"] = {"calvin_pick": PICK}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    hide = "import sys; sys.modules['calvin_env'] = None; from balancebc.cli import main; sys.exit(main(['check-params']))"
    proc = run(["python", "-c", hide], tmp_path, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert ("scenarios.calvin_pick.kind: calvin_pick simulates in CALVIN, but calvin_env is not installed: "
            "run `bash scripts/setup.sh`") in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


@pytest.mark.slow
def test_a_tiny_calvin_pick_run_goes_through_every_stage_to_its_report(tmp_path):
    params = tiny_params()
    params["scenarios"] = {"calvin_pick": PICK}
    params["replicates"], params["checkpoints"] = [0, 1], [1.0]
    params["methods"] = {"natural": params["methods"]["natural"], "dro_metagrad": params["methods"]["dro_metagrad"]}
    params["analysis"]["claims"] = {}
    project = make_project(tmp_path, params)
    run("snakemake --cores 2", project, timeout=1200)
    rows = list(csv.DictReader((project / "results/calvin_pick/report/results.csv").open()))
    assert {(r["method"], r["area"]) for r in rows} == {(m, a) for m in params["methods"] for a in AREAS}
    outcomes = list(csv.DictReader((project / "records/calvin_pick/outcomes.csv").open()))
    assert len(outcomes) == 2 * 2 * 3  # methods × replicates × areas, one episode each
    with h5py.File(project / "data/calvin_pick/rep0/dataset.hdf5") as f:
        generation = json.loads(f["data"].attrs["generation"])
    assert {a: g["successes"] for a, g in generation.items()} == PICK["demos"]
    assert all(g["tries"] >= g["successes"] for g in generation.values())
