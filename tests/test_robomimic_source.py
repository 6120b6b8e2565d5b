"""Bring-your-own robomimic data: a file written outside the pipeline runs end to end,
rollouts included; every validation error names the file and what was expected."""
import csv
import json

import h5py
import numpy as np
import pytest

from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import env_args, open_dataset, read_masks
from balancebc.sources.robomimic import import_robomimic

from conftest import make_project, run, tiny_params
from fixtures.robomimic_file import OBS_KEYS, write_lift_file

pytestmark = pytest.mark.slow  # simulates in robosuite

SCENARIO = {"kind": "robomimic", "behaviors": {"better": ["better"], "worse": ["worse"]}, "obs_keys": OBS_KEYS,
            "valid_fraction": 0.2, "seed": 0, "horizon": 100}


@pytest.fixture(scope="module")
def lift_file(tmp_path_factory):
    return write_lift_file(tmp_path_factory.mktemp("byo") / "lift.hdf5")


def test_import_renames_demos_and_converts_the_controller(lift_file, tmp_path):
    out = tmp_path / "dataset.hdf5"
    assert import_robomimic({**SCENARIO, "path": str(lift_file)}, str(out)) == {"better": 6, "worse": 3}
    with open_dataset(out) as f:
        masks = read_masks(f)
        assert sorted(f["data"], key=lambda n: int(n.split("_")[1]))[0] == "demo_0"
        assert f["data/demo_0"].attrs["source_demo"] == "demo_1"
        assert sorted(masks["train"] + masks["valid"]) == sorted(f["data"])
        controller = env_args(f)["env_kwargs"]["controller_configs"]
    assert controller["type"] == "BASIC" and controller["body_parts"]["right"]["type"] == "OSC_POSE"


def _copy(src, dst, edit):
    with h5py.File(src, "r") as a, h5py.File(dst, "w") as b:
        for key in a:
            a.copy(a[key], b, name=key)
        for k, v in a["data"].attrs.items():
            b["data"].attrs[k] = v
        edit(b)
    return dst


@pytest.mark.parametrize("scenario, edit, message", [
    ({"behaviors": {"better": ["best"], "worse": ["worse"]}}, None,
     r"filter key mask/best \(behavior 'better'\) not found; the file has \['20_percent', 'better', 'worse'\]"),
    ({"behaviors": {"better": ["better"], "also": ["20_percent"], "worse": ["worse"]}}, None,
     r"demo_1 is in behavior 'better' \(mask/better\) and in behavior 'also' \(mask/20_percent\)"),
    ({"behaviors": {"better": ["better"]}}, None, r"3 demos belong to no behavior \(e.g. demo_7\)"),
    ({}, lambda f: f["data/demo_2/actions"].__setitem__((0, 0), 1.7),
     r"data/demo_2/actions outside \[-1, 1\] \(max \|a\| = 1.7\); robomimic expects normalized actions"),
    ({}, lambda f: (f["data/demo_3/obs"].__delitem__("object"),
                    f["data/demo_3/obs"].create_dataset("object", data=np.zeros((len(f["data/demo_3/actions"]), 5)))),
     r"data/demo_3/obs/object has shape \(5,\) per step, other demos \(10,\)"),
    ({"obs_keys": ["robot0_eef_pos", "cube_pos"]}, None, r"data/demo_1/obs/cube_pos not found"),
])
def test_validation_errors_name_file_and_key(lift_file, tmp_path, scenario, edit, message):
    src = _copy(lift_file, tmp_path / "edited.hdf5", edit) if edit else lift_file
    out = tmp_path / "dataset.hdf5"
    with pytest.raises(BalanceBCError, match=message) as err:
        import_robomimic({**SCENARIO, "path": str(src), **scenario}, str(out))
    assert str(src) in str(err.value)
    assert not out.exists()


def test_missing_file(tmp_path):
    with pytest.raises(BalanceBCError, match="nowhere.hdf5: dataset file not found"):
        import_robomimic({**SCENARIO, "path": str(tmp_path / "nowhere.hdf5")}, str(tmp_path / "out.hdf5"))
def test_runs_end_to_end_with_rollouts(lift_file, tmp_path):
    params = tiny_params()
    params["replicates"], params["checkpoints"] = [0], [1.0]  # one replicate, no learning curve here
    params["scenarios"] = {"byo": {**SCENARIO, "path": str(lift_file)}}
    params["methods"] = {"natural": {"kind": "natural"}, "uniform": {"kind": "uniform"}}
    params["seeds"] = [0]
    params["evaluate"]["episodes"] = 2
    project = make_project(tmp_path, params)
    run("snakemake --cores 2", project, timeout=600)
    evaluation = json.loads((project / "results/byo/eval/natural/rep0/seed0.json").read_text())
    assert evaluation["unit"] == "task" and evaluation["units"]["Lift"]["episodes"] == 2
    rows = list(csv.DictReader((project / "results/byo/report/results.csv").open()))
    assert {(r["method"], r["task"], r["metric"]) for r in rows} == {
        ("natural", "Lift", "success_rate"), ("uniform", "Lift", "success_rate")}
