"""The generated file follows robomimic's format: robomimic's own SequenceDataset loads it."""
import json

import h5py
import numpy as np
import pytest

from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import open_dataset
from balancebc.labels.assign import ground_truth_labels
from balancebc.policies.sampler import BehaviorSampler
from balancebc.sim.env import POLICY_OBS_KEYS, make_env

from conftest import make_dataset, tiny_params, within_binomial_error

pytestmark = pytest.mark.slow  # simulates in robosuite

BEHAVIORS = ["left", "middle", "right"]


@pytest.mark.parametrize("filter_key", [*BEHAVIORS, "train", "valid"])
def test_robomimic_sequence_dataset_opens_each_filter_key(tiny_dataset, filter_key):
    import robomimic.utils.obs_utils as ObsUtils
    from robomimic.utils.dataset import SequenceDataset
    ObsUtils.initialize_obs_utils_with_obs_specs({"obs": {"low_dim": POLICY_OBS_KEYS}})
    ds = SequenceDataset(hdf5_path=str(tiny_dataset), obs_keys=POLICY_OBS_KEYS,
                         dataset_keys=("actions", "rewards", "dones"), load_next_obs=True,
                         frame_stack=1, seq_length=10, pad_frame_stack=True, pad_seq_length=True,
                         get_pad_mask=False, goal_mode=None, hdf5_cache_mode="low_dim",
                         hdf5_use_swmr=True, hdf5_normalize_obs=False, filter_by_attribute=filter_key)
    with h5py.File(tiny_dataset) as f:
        demos = [d.decode() for d in f[f"mask/{filter_key}"][()]]
        assert f[f"mask/{filter_key}"].dtype.kind == "S"
        assert len(ds) == sum(f[f"data/{d}"].attrs["num_samples"] for d in demos)
    item = ds[0]
    assert item["actions"].shape == (10, 7)
    assert item["obs"]["object"].shape == (10, 10)


def test_file_layout_and_env_args_recreate_the_environment(tiny_dataset):
    with h5py.File(tiny_dataset) as f:
        data = f["data"]
        names = list(data)
        assert all(n.startswith("demo_") for n in names)
        assert data.attrs["total"] == sum(data[n].attrs["num_samples"] for n in names)
        for n in names:
            g = data[n]
            assert np.all(np.abs(g["actions"][()]) <= 1.0)
            assert g["dones"][-1] == 1 and g["states"].shape[0] == g["actions"].shape[0]
            assert set(g["obs"]) == set(POLICY_OBS_KEYS) == set(g["next_obs"])
            assert g.attrs["model_file"].startswith("<mujoco")
        args = json.loads(data.attrs["env_args"])
        # the train / valid split partitions the demos and each behavior has a held-out demo
        train = {d.decode() for d in f["mask/train"][()]}
        valid = {d.decode() for d in f["mask/valid"][()]}
        assert train | valid == set(names) and not train & valid
        for b in BEHAVIORS:
            assert {d.decode() for d in f[f"mask/{b}"][()]} & valid
        first = data["demo_0"]
        start_state, behavior = first["states"][0], first.attrs["behavior"]
    assert args["type"] == 1 and args["env_name"] == "RegionLift"
    env = make_env(args)
    env.select(behavior)
    env.reset()
    env.sim.set_state_from_flattened(start_state)
    env.sim.forward()
    # the stored state puts the block in the demo's region
    assert abs(env.sim.data.body_xpos[env.cube_body_id][1] - args["env_kwargs"]["regions"][behavior]["y"]) < 0.04


def test_labels_summarise_behaviors(tiny_dataset):
    labels = ground_truth_labels(str(tiny_dataset), BEHAVIORS)
    assert {b: e["demos"] for b, e in labels["behaviors"].items()} == {"left": 2, "middle": 2, "right": 2}
    for e in labels["behaviors"].values():
        assert e["train_demos"] + e["valid_demos"] == e["demos"]
        assert e["train_samples"] + e["valid_samples"] == e["samples"] > 0


def test_label_rejects_a_demo_in_two_behaviors(tiny_dataset, tmp_path):
    bad = tmp_path / "bad.hdf5"
    bad.write_bytes(tiny_dataset.read_bytes())
    with h5py.File(bad, "a") as f:
        left = list(f["mask/left"][()])
        del f["mask/middle"]
        f["mask/middle"] = np.array(left, dtype="S")
    with pytest.raises(BalanceBCError, match=r"is in mask/left and mask/middle"):
        ground_truth_labels(str(bad), BEHAVIORS)


def test_missing_and_corrupt_files_give_clear_errors(tmp_path):
    with pytest.raises(BalanceBCError, match=r"missing\.hdf5: dataset file not found"):
        open_dataset(tmp_path / "missing.hdf5")
    corrupt = tmp_path / "corrupt.hdf5"
    corrupt.write_bytes(b"\x89HDF\r\n\x1a\n" + b"garbage" * 100)
    with pytest.raises(BalanceBCError, match=r"corrupt\.hdf5: not a readable HDF5 file"):
        open_dataset(corrupt)


@pytest.mark.parametrize("seq_length, pad", [(1, False), (5, False), (5, True)])
def test_sampler_behaviors_follow_robomimic_indexing(tiny_dataset, tmp_path, seq_length, pad):
    """The sampler's behavior of each sequence, computed from the labelled file and the
    dataset's public attributes, matches robomimic's own (private) index → demo map."""
    import robomimic.utils.obs_utils as ObsUtils
    from robomimic.utils.dataset import SequenceDataset

    from balancebc.io.robomimic_hdf5 import read_labelled
    from balancebc.labels.assign import save
    from balancebc.policies.robomimic_bc import sequence_behaviors
    labels = ground_truth_labels(str(tiny_dataset), BEHAVIORS)
    save(labels, str(tiny_dataset), str(tmp_path / "labels.json"), str(tmp_path / "labelled.hdf5"))
    labelled = read_labelled(tmp_path / "labelled.hdf5")
    assert labelled.behaviors == BEHAVIORS and labelled.demo_behavior == labels["demo_behavior"]
    ObsUtils.initialize_obs_utils_with_obs_specs({"obs": {"low_dim": POLICY_OBS_KEYS}})
    ds = SequenceDataset(hdf5_path=str(tmp_path / "labelled.hdf5"), obs_keys=POLICY_OBS_KEYS, dataset_keys=("actions",),
                         load_next_obs=False, frame_stack=1, seq_length=seq_length, pad_frame_stack=True,
                         pad_seq_length=pad, get_pad_mask=False, goal_mode=None, hdf5_cache_mode="low_dim",
                         hdf5_use_swmr=True, hdf5_normalize_obs=False, filter_by_attribute="train")
    behavior = sequence_behaviors(ds, labelled.demo_behavior, BEHAVIORS)
    expected = [BEHAVIORS.index(labelled.demo_behavior[ds._index_to_demo_id[i]]) for i in range(len(ds))]
    assert behavior.tolist() == expected and len(set(expected)) == 3
    # drawn by the sampler, each behavior's sequences make up its weight of the batches
    weights = np.array([0.5, 0.3, 0.2])
    sampler = BehaviorSampler(behavior, BEHAVIORS, lambda p: dict(zip(BEHAVIORS, weights)), 64, 300, seed=0)
    assert within_binomial_error(np.array(expected)[list(sampler)], weights)


def test_the_file_does_not_depend_on_the_number_of_workers(tmp_path):
    """Each demo's seed comes from its behavior and index, so forked workers, finishing in
    any order, write the same demos in the same order as one worker."""
    pick = {**tiny_params()["scenarios"]["pick"], "demos": {"left": 2, "middle": 1, "right": 1}}
    for n in (1, 2):
        make_dataset({**pick, "workers": n}, tmp_path / f"workers{n}.hdf5")
    with h5py.File(tmp_path / "workers1.hdf5") as one, h5py.File(tmp_path / "workers2.hdf5") as two:
        assert list(one["data"]) == list(two["data"])
        for demo in one["data"]:
            np.testing.assert_array_equal(one[f"data/{demo}/actions"][()], two[f"data/{demo}/actions"][()])
            np.testing.assert_array_equal(one[f"data/{demo}/states"][()], two[f"data/{demo}/states"][()])
        assert {k: list(v) for k, v in one["mask"].items()} == {k: list(v) for k, v in two["mask"].items()}
