"""CALVIN-format import: the documented layout becomes a robomimic file that robomimic's
own SequenceDataset loads per behavior; the pipeline trains on it and reports held-out
loss, saying that rollouts need CALVIN's simulator."""
import csv
import json
import shutil

import numpy as np
import pytest
import robomimic.utils.obs_utils as ObsUtils
from robomimic.utils.dataset import SequenceDataset

from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import open_dataset, read_masks
from balancebc.sources.calvin import OBS_KEYS, import_calvin

from conftest import make_project, run, tiny_params
from fixtures.calvin import write_calvin

COUNTS = {"open_drawer": 6, "move_slider_left": 2, "lift_red_block_table": 3}
VALID = {"open_drawer": 2, "move_slider_left": 1, "lift_red_block_table": 1}


@pytest.fixture(scope="module")
def calvin_root(tmp_path_factory):
    return write_calvin(tmp_path_factory.mktemp("calvin"), COUNTS, VALID)


def test_import_makes_one_demo_per_annotated_segment(calvin_root, tmp_path):
    out = tmp_path / "dataset.hdf5"
    counts = import_calvin({"path": str(calvin_root)}, str(out))
    assert counts == {t: COUNTS[t] + VALID[t] for t in COUNTS}
    with open_dataset(out) as f:
        masks = read_masks(f)
        assert len(masks["train"]) == sum(COUNTS.values()) and len(masks["valid"]) == sum(VALID.values())
        demo = f["data/demo_0"]
        assert demo["actions"].shape == (20, 7) and demo["obs/robot_obs"].shape == (20, 15)
        assert demo["obs/scene_obs"].shape == (20, 24) and demo.attrs["task"] == "open_drawer"
        # the importer reads the annotated frames only: frame 0..19 of training/
        first = np.load(calvin_root / "training" / "episode_0000000.npz")
        assert np.allclose(demo["actions"][0], first["rel_actions"])


def test_robomimic_sequence_dataset_loads_each_behavior(calvin_root, tmp_path):
    out = tmp_path / "dataset.hdf5"
    import_calvin({"path": str(calvin_root), "behaviors": {"drawer": ["open_drawer"],
                                                           "other": ["move_slider_left", "lift_red_block_table"]}},
                  str(out))
    ObsUtils.initialize_obs_modality_mapping_from_dict({"low_dim": OBS_KEYS})
    for behavior, n_demos in (("drawer", 8), ("other", 7)):
        ds = SequenceDataset(hdf5_path=str(out), obs_keys=OBS_KEYS, dataset_keys=("actions",), seq_length=1,
                             filter_by_attribute=behavior, hdf5_cache_mode=None)
        assert ds.n_demos == n_demos and len(ds) == 20 * n_demos
        assert ds[0]["obs"]["robot_obs"].shape == (1, 15)


def test_import_errors_name_the_file(calvin_root, tmp_path):
    with pytest.raises(BalanceBCError, match="CALVIN dataset folder not found"):
        import_calvin({"path": str(tmp_path / "nowhere")}, str(tmp_path / "x.hdf5"))
    broken = tmp_path / "broken"
    shutil.copytree(calvin_root, broken)
    (broken / "training" / "episode_0000003.npz").unlink()
    with pytest.raises(BalanceBCError, match=r"episode_0000003.npz: frame 3 of the annotated segment 0–19"):
        import_calvin({"path": str(broken)}, str(tmp_path / "x.hdf5"))
    with pytest.raises(BalanceBCError, match=r"behaviors \['pour'\] match no annotated task"):
        import_calvin({"path": str(calvin_root), "behaviors": {"pour": ["pour_water"], "d": ["open_drawer"]}},
                      str(tmp_path / "x.hdf5"))
    assert not (tmp_path / "x.hdf5").exists()  # nothing half-written


class _RunsCode:
    """A pickle payload that would create a file when unpickled by np.load(allow_pickle=True)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (shutil.copyfile, (__file__, self.marker))


def test_annotations_are_unpickled_without_running_code(calvin_root, tmp_path):
    crafted = tmp_path / "crafted"
    shutil.copytree(calvin_root, crafted)
    marker = tmp_path / "code_ran"
    ann = {"info": {"indx": [(0, 19)]}, "language": {"task": [_RunsCode(marker)]}}
    np.save(crafted / "training" / "lang_annotations" / "auto_lang_ann.npy", np.array(ann, dtype=object),
            allow_pickle=True)
    with pytest.raises(BalanceBCError, match=r"auto_lang_ann.npy: expected a dict .* names shutil.copyfile"):
        import_calvin({"path": str(crafted)}, str(tmp_path / "x.hdf5"))
    assert not marker.exists() and not (tmp_path / "x.hdf5").exists()
@pytest.mark.slow
def test_pipeline_trains_and_reports_offline(calvin_root, tmp_path):
    """Given labels (the task names) and discovered ones (k-means on action statistics)."""
    params = tiny_params()
    params["replicates"], params["checkpoints"] = [0], [1.0]  # one replicate, no learning curve here
    params["scenarios"] = {"calvin": {"kind": "calvin", "path": str(calvin_root)},
                           "calvin_found": {"kind": "calvin", "path": str(calvin_root),
                                            "discover": {"k": 3, "features": ["action_stats"]}}}
    params["methods"] = {"natural": {"kind": "natural"}, "dro_remix": {"kind": "dro", "reference": "remix"}}
    params["seeds"] = [0]
    project = make_project(tmp_path, params)
    run("snakemake --cores 2", project, timeout=600)
    report = project / "results/calvin/report"
    rows = list(csv.DictReader((report / "results.csv").open()))
    assert {(r["method"], r["behavior"]) for r in rows} == {(m, t) for m in params["methods"] for t in COUNTS}
    assert {float(r["fraction"]) for r in rows} == {1.0}
    assert all(r["metric"] == "loss" and float(r["mean"]) > 0 for r in rows)
    assert "rollouts of 'calvin' data need its simulator" in (report / "results.md").read_text()
    labels = json.loads((project / "data/calvin_found/rep0/labels.json").read_text())
    assert labels["source"] == "discovered" and labels["discovery"]["adjusted_rand_index"] > 0.9
    weights = json.loads((project / "results/calvin_found/weights/dro_remix/rep0/seed0.json").read_text())
    assert sorted(weights["weights"]) == ["cluster_0", "cluster_1", "cluster_2"]
    # the discovered behaviors as filter keys: robomimic reads them, from another folder too
    moved = tmp_path / "elsewhere"
    shutil.copytree(project / "data/calvin_found/rep0", moved)
    ObsUtils.initialize_obs_modality_mapping_from_dict({"low_dim": OBS_KEYS})
    for cluster, entry in labels["behaviors"].items():
        ds = SequenceDataset(hdf5_path=str(moved / "labelled.hdf5"), obs_keys=OBS_KEYS, dataset_keys=("actions",),
                             seq_length=1, filter_by_attribute=cluster, hdf5_cache_mode=None)
        assert sorted(ds.demos) == sorted(d for d, b in labels["demo_behavior"].items() if b == cluster)
        assert len(ds) == entry["samples"]
