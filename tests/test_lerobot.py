"""LeRobot datasets in (v3.0 and v2.1, written from the documented layout): the importer
gives the same robomimic file from either version, robomimic's SequenceDataset loads each
behavior, bad folders are errors that name the file, and the tiny pipeline runs on both,
exporting per-frame weights indexed as the LeRobot frames are."""
import csv
import json
import shutil

import h5py
import numpy as np
import pyarrow.parquet as pq
import pytest

from balancebc import paths
from balancebc.errors import BalanceBCError
from balancebc.sources.lerobot import import_lerobot

from conftest import make_project, run, tiny_params
from fixtures.lerobot import write_lerobot

COUNTS = {"pick up the cube": 6, "push the cube": 2}  # episodes per task: `push` is rare


@pytest.fixture(scope="module", params=["v3.0", "v2.1"])
def dataset(request, tmp_path_factory):
    return write_lerobot(tmp_path_factory.mktemp(request.param) / "ds", request.param, COUNTS)


def _import(root, out, **scenario):
    return import_lerobot({"path": str(root), "valid_fraction": 0.2, "seed": 0, **scenario}, str(out))


def test_both_versions_import_to_the_same_demos(tmp_path_factory):
    files = {}
    for version in ("v3.0", "v2.1"):
        where = tmp_path_factory.mktemp(f"same{version}")
        files[version] = where / "out.hdf5"
        assert _import(write_lerobot(where / "ds", version, COUNTS), files[version]) == COUNTS
    with h5py.File(files["v3.0"]) as a, h5py.File(files["v2.1"]) as b:
        assert sorted(a["data"]) == sorted(b["data"]) and len(a["data"]) == sum(COUNTS.values())
        for demo in a["data"]:
            for key in ("actions", "obs/state", "obs/environment_state"):
                assert np.array_equal(a[f"data/{demo}/{key}"][()], b[f"data/{demo}/{key}"][()]), (demo, key)
            assert a[f"data/{demo}"].attrs["lerobot_first_index"] == b[f"data/{demo}"].attrs["lerobot_first_index"]
        assert {k: len(a[f"mask/{k}"]) for k in a["mask"]} == {**COUNTS, "train": 6, "valid": 2}
        assert np.abs(a["data/demo_0/actions"][()]).max() <= 1.0


def test_robomimic_loads_each_behavior(dataset, tmp_path):
    import robomimic.utils.obs_utils as ObsUtils
    from robomimic.utils.dataset import SequenceDataset
    out = tmp_path / "out.hdf5"
    _import(dataset, out, behaviors={"pick": ["pick up the cube"], "push": ["push the cube"]})
    ObsUtils.initialize_obs_modality_mapping_from_dict({"low_dim": ["state", "environment_state"]})
    for behavior, n in (("pick", 6), ("push", 2)):
        ds = SequenceDataset(hdf5_path=str(out), obs_keys=["state", "environment_state"], dataset_keys=("actions",),
                             filter_by_attribute=behavior, hdf5_cache_mode=None)
        assert ds.n_demos == n and len(ds) == 12 * n
    first = pq.read_table(sorted((dataset / "data").rglob("*.parquet"))[0]).to_pydict()
    with h5py.File(out) as f:
        assert np.allclose(f["data/demo_0/obs/state"][0], first["observation.state"][0])


def test_bad_folders_name_the_file_and_what_was_expected(dataset, tmp_path):
    version = json.loads((dataset / "meta/info.json").read_text())["codebase_version"]
    out = tmp_path / "out.hdf5"

    def broken(edit):
        copy = tmp_path / f"broken{len(list(tmp_path.iterdir()))}"
        shutil.copytree(dataset, copy)
        edit(copy)
        return copy

    with pytest.raises(BalanceBCError, match="LeRobot dataset folder not found"):
        _import(tmp_path / "nowhere", out)
    with pytest.raises(BalanceBCError, match=r"meta/info.json: LeRobot.s meta/info.json not found"):
        _import(broken(lambda c: (c / "meta/info.json").unlink()), out)

    def old_version(c):
        info = json.loads((c / "meta/info.json").read_text())
        (c / "meta/info.json").write_text(json.dumps({**info, "codebase_version": "v1.6"}))
    with pytest.raises(BalanceBCError, match=r"info.json: codebase_version 'v1.6'; expected one of \['v3.0', 'v2.1'\]"):
        _import(broken(old_version), out)

    tasks = "meta/tasks.jsonl" if version == "v2.1" else "meta/tasks.parquet"
    with pytest.raises(BalanceBCError, match=f"{tasks}: not found"):
        _import(broken(lambda c: (c / tasks).unlink()), out)

    def gap(c):  # a frame missing from the first data file
        path = sorted((c / "data").rglob("*.parquet"))[0]
        table = pq.read_table(path)
        pq.write_table(table.slice(1), path)
    with pytest.raises(BalanceBCError, match=r"\.parquet: episode 0 has frame_index \[1, 2, .*expected 0\.\.11"):
        _import(broken(gap), out)

    def foreign_task(c):
        path = sorted((c / "data").rglob("*.parquet"))[0]
        table = pq.read_table(path).to_pydict()
        table["task_index"] = [7] * len(table["task_index"])
        pq.write_table(pq.read_table(path).from_pydict(table, schema=pq.read_table(path).schema), path)
    with pytest.raises(BalanceBCError, match=r"episode 0: task_index \[7\] is not in the dataset's tasks"):
        _import(broken(foreign_task), out)
    with pytest.raises(BalanceBCError, match=r"behaviors \['place'\] match no episode's task"):
        _import(dataset, out, behaviors={"place": ["place the cube"], "pick": ["pick up the cube"]})
    assert not out.exists()  # nothing half-written


@pytest.mark.slow
def test_tiny_pipeline_runs_on_both_versions(tmp_path):
    params = tiny_params()
    params["scenarios"] = {f"lerobot_{v.replace('.', '')}": {"kind": "lerobot",
                                                             "path": str(write_lerobot(tmp_path / v, v, COUNTS))}
                           for v in ("v3.0", "v2.1")}
    params["methods"] = {m: params["methods"][m] for m in ("natural", "dro_metagrad")}
    params["replicates"], params["checkpoints"] = [0], [1.0]
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project", params)
    run("snakemake --cores 2", project, timeout=900)
    results = {}
    for scenario in params["scenarios"]:
        rows = list(csv.DictReader((project / paths.report_file(scenario, "results.csv")).open()))
        assert {(r["method"], r["behavior"]) for r in rows} == {(m, t) for m in params["methods"] for t in COUNTS}
        assert all(r["metric"] == "loss" and float(r["mean"]) > 0 for r in rows)
        results[scenario] = sorted((r["method"], r["behavior"], r["mean"]) for r in rows)
        export = project / paths.export(scenario, "dro_metagrad", 0, 0)
        table = pq.read_table(export / "sample_weights.parquet").to_pydict()
        frames = [i for f in sorted((tmp_path / "v3.0" / "data").rglob("*.parquet"))
                  for i in pq.read_table(f).column("index").to_pylist()]
        assert sorted(table["index"]) == sorted(frames)  # the LeRobot dataset's own frame indices
        weights = json.loads((project / paths.weights(scenario, "dro_metagrad", 0, 0)).read_text())["weights"]
        assert abs(sum(table["weight"]) - 1) < 1e-6 and set(weights) == set(COUNTS)
    assert results["lerobot_v30"] == results["lerobot_v21"]  # the same data in either layout, the same results
