"""Unsupervised labels: clusters of demos on trajectory features, scored against the
ground truth by the adjusted Rand index."""
import numpy as np
import pytest

from balancebc.labels.assign import discovered_labels, ground_truth_labels
from balancebc.labels.discover import demo_features
from balancebc.sim.env import POLICY_OBS_KEYS

from conftest import complete, make_dataset

pytestmark = pytest.mark.slow  # simulates in robosuite

REGIONS = ["left", "middle", "right"]


def discover_settings(cfg: dict) -> dict:
    return complete("scenarios", {**tiny_params_pick(), "discover": cfg})["discover"]


def tiny_params_pick() -> dict:
    from conftest import tiny_params
    return tiny_params()["scenarios"]["pick"]


def test_every_feature_block_is_centred_with_unit_spread(tiny_dataset):
    demos = [f"demo_{i}" for i in range(6)]
    x = demo_features(str(tiny_dataset), demos, POLICY_OBS_KEYS, ["initial_obs", "action_stats", "length"])
    widths = [3, 4, 2, 10, 7, 7, 1]  # eef pos, eef quat, gripper qpos, object; action mean, std; length
    assert x.shape == (6, sum(widths))
    assert np.allclose(x.mean(axis=0), 0, atol=1e-9)
    spreads = [np.sqrt((b ** 2).sum(axis=1).mean()) for b in np.split(x, np.cumsum(widths)[:-1], axis=1)]
    assert all(s == pytest.approx(1.0) or s == 0.0 for s in spreads)  # a block constant over demos stays 0
    assert sum(s == pytest.approx(1.0) for s in spreads) >= 5


def test_column_scaling_standardises_every_varying_column(tiny_dataset):
    demos = [f"demo_{i}" for i in range(6)]
    x = demo_features(str(tiny_dataset), demos, ["object"], ["initial_obs", "final_obs"], scaling="column")
    assert x.shape == (6, 20)
    std = x.std(axis=0)
    assert np.allclose(x.mean(axis=0), 0, atol=1e-9)
    assert np.all(np.isclose(std, 1.0) | (std == 0.0)) and np.isclose(std, 1.0).sum() >= 10


@pytest.mark.parametrize("cfg", [{"k": 3}, {"k": None, "max_k": 4}, {"algorithm": "gmm", "k": 3}])
def test_pick_regions_are_recovered(tiny_dataset, cfg):
    cfg = {**cfg, "features": ["initial_obs"], "initial_obs_keys": ["object"]}
    labels = discovered_labels(str(tiny_dataset), discover_settings(cfg), POLICY_OBS_KEYS, REGIONS)
    found = labels["discovery"]
    assert found["k"] == 3 and found["adjusted_rand_index"] == pytest.approx(1.0)
    truth = ground_truth_labels(str(tiny_dataset), REGIONS)["demo_behavior"]
    # same partition: every cluster holds exactly one region's demos
    clusters = {c: {truth[d] for d, b in labels["demo_behavior"].items() if b == c} for c in labels["behaviors"]}
    assert all(len(regions) == 1 for regions in clusters.values())
    assert sum(e["demos"] for e in labels["behaviors"].values()) == len(truth)


def test_a_wrong_k_scores_below_one(tiny_dataset):
    cfg = {"k": 2, "features": ["initial_obs"], "initial_obs_keys": ["object"]}
    found = discovered_labels(str(tiny_dataset), discover_settings(cfg), POLICY_OBS_KEYS, REGIONS)["discovery"]
    assert found["adjusted_rand_index"] < 0.9
def test_multitask_tasks_are_recovered(tmp_path):
    """The two tasks of `multitask`, by k-means (K by silhouette) on the object's first and last
    observation and the action statistics, every column standardised."""
    data = tmp_path / "multitask.hdf5"
    make_dataset({"kind": "multitask", "seed": 3, "demos": {"lift": 16, "stack": 4}, "valid_fraction": 0.2,
              "horizon": 150, "workers": 1}, str(data))
    cfg = {"features": ["initial_obs", "final_obs", "action_stats"], "initial_obs_keys": ["object"],
           "scaling": "column"}
    found = discovered_labels(str(data), discover_settings(cfg), POLICY_OBS_KEYS, ["lift", "stack"])["discovery"]
    assert found["k"] == 2 and found["adjusted_rand_index"] == pytest.approx(1.0)
