"""The `multitask` scenario: two tasks in one scene, told apart by a flag in the
observation; each task's expert is necessary (the other one's fails it); the pipeline
runs it under DVC and Snakemake agrees that everything is done."""
import csv

import numpy as np
import pytest

from balancebc import registry
from balancebc.sim import env as sim
from balancebc.sim.multitask_expert import TaskExpert

from conftest import make_project, run, tiny_params

pytestmark = pytest.mark.slow  # simulates in robosuite

SCENARIO = {"kind": "multitask", "seed": 0, "demos": {"lift": 3, "stack": 2}, "valid_fraction": 0.2,
            "horizon": 120, "workers": 1}


@pytest.fixture(scope="module")
def env():
    return sim.make_env(registry.SCENARIOS["multitask"].env_args(SCENARIO))


@pytest.mark.parametrize("task", ["lift", "stack"])
def test_each_task_expert_succeeds_and_the_other_fails(env, task):
    other = "stack" if task == "lift" else "lift"
    for seed in range(2):
        demo = sim.record_demo(env, task, seed, 120, TaskExpert(task))
        assert demo is not None, f"{task} expert failed (seed {seed})"
        flag = demo.obs["object"][0][-2:]
        assert np.array_equal(flag, [1.0, 0.0] if task == "lift" else [0.0, 1.0])
        assert sim.record_demo(env, task, seed, 120, TaskExpert(other)) is None


def test_cube_b_at_fixes_the_stack_target_and_the_experts_still_succeed():
    at = [0.05, -0.06]
    env = sim.make_env(registry.SCENARIOS["multitask"].env_args({**SCENARIO, "cube_b_at": at}))
    a_positions = []
    for seed in range(3):
        env.reseed(seed)
        obs = env.reset()
        assert np.allclose(obs["cubeB_pos"][:2], np.array(at) + env.table_offset[:2], atol=1e-3)
        assert np.allclose(np.abs(obs["cubeB_quat"]), [0, 0, 0, 1], atol=1e-3)  # no yaw (x, y, z, w)
        assert np.linalg.norm(obs["cubeA_pos"][:2] - obs["cubeB_pos"][:2]) > 0.04  # A clear of B
        a_positions.append(obs["cubeA_pos"][:2])
        for task in ("lift", "stack"):
            assert sim.record_demo(env, task, seed, 120, TaskExpert(task)) is not None, f"{task}, seed {seed}"
    assert np.ptp(np.array(a_positions), axis=0).max() > 0.01  # A still moves between episodes


def test_runs_under_dvc_and_reports_success_per_task(tmp_path):
    params = tiny_params()
    params["replicates"], params["checkpoints"] = [0], [1.0]  # one replicate, no learning curve here
    params["scenarios"] = {"multitask": SCENARIO}
    params["methods"] = {"natural": {"kind": "natural"}, "dro_zero": {"kind": "dro", "reference": "zero"}}
    params["seeds"] = [0]
    params["evaluate"]["episodes"] = 1
    project = make_project(tmp_path, params)
    run("dvc repro", project, timeout=900)
    rows = list(csv.DictReader((project / "results/multitask/report/results.csv").open()))
    assert {(r["method"], r["task"]) for r in rows} == {(m, t) for m in params["methods"] for t in ("lift", "stack")}
    assert all(r["metric"] == "success_rate" and r["episodes"] == str(r["policies"]) for r in rows)
    assert "Nothing to be done" in run("snakemake -n --cores 1", project).stdout + \
        run("snakemake -n --cores 1", project).stderr
