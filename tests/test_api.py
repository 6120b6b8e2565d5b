"""The public API (balancebc.solve_weights, load_behavior_data, BehaviorSampler.from_weights)
and the weights exported for other trainers: the documentation's example runs as written, the API
gives the weights the pipeline's stage wrote, and each exported file reproduces w_k."""
import json
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pyarrow.parquet as pq
import pytest

import balancebc
from balancebc import paths, registry
from balancebc.errors import BalanceBCError
from balancebc.io.export import export_weights
from balancebc.io.robomimic_hdf5 import read_labelled

from conftest import REPO, make_dataset, tiny_params, within_binomial_error

BEHAVIORS = ["common", "rare"]


@pytest.fixture(scope="module")
def gaussian(tmp_path_factory):
    """A gaussian dataset: one filter key per behavior and mask/train, mask/valid, as robomimic's own files have."""
    out = tmp_path_factory.mktemp("api") / "demos.hdf5"
    make_dataset(tiny_params()["scenarios"]["gaussian"], out)
    return out


def docs_example() -> str:
    """The example of the documentation's page on the API and the exports."""
    section = (REPO / "docs" / "exports.md").read_text()
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow  # solves DRO with its default settings on a simulated dataset
def test_the_docs_example_runs_as_written(tiny_dataset, tmp_path):
    code = docs_example()
    assert len(code.strip().splitlines()) < 20
    shutil.copy(tiny_dataset, tmp_path / "demos.hdf5")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    printed = eval(proc.stdout.strip().splitlines()[-1])  # the weights it printed
    assert set(printed) == {"left", "middle", "right"} and abs(sum(printed.values()) - 1) < 1e-6
    import torch
    saved = torch.load(tmp_path / "policy.pth", weights_only=True)
    assert saved["sampler"]["step"] == 500


@pytest.mark.slow
def test_api_weights_are_the_weights_stage_s(tiny_run):
    """The stage calls the API: the same settings and seed give the same file."""
    params = tiny_params()
    obs_keys = registry.SCENARIOS["pick"].obs_keys(params["scenarios"]["pick"])
    for method in ("natural", "temperature_warm", "dro_metagrad"):
        written = json.loads((tiny_run / paths.weights("pick", method, 0, 0)).read_text())
        solved = balancebc.solve_weights(params["methods"][method], tiny_run / paths.labelled("pick", 0),
                                         obs_keys=obs_keys, seed=0, name=method)
        assert solved.weights == written["weights"], method
        assert solved.schedule == written["schedule"] and solved.counts == written["counts"]


def test_solve_weights_for_every_method_kind(gaussian):
    counts = read_labelled(gaussian, BEHAVIORS).train_counts()[0]
    natural = balancebc.solve_weights({"kind": "natural"}, gaussian, BEHAVIORS)
    assert natural.weights == pytest.approx({b: n / sum(counts.values()) for b, n in counts.items()})
    assert balancebc.solve_weights({"kind": "uniform"}, gaussian, BEHAVIORS).weights == {"common": 0.5, "rare": 0.5}
    warm = balancebc.solve_weights({"kind": "temperature", "tau": 1.0, "schedule": "cosine"}, gaussian, BEHAVIORS)
    assert warm.scheduled and warm.schedule[0]["weights"] == pytest.approx(natural.weights)
    fixed = balancebc.solve_weights({"kind": "fixed", "weights": {"common": 1, "rare": 3}}, gaussian, BEHAVIORS)
    assert fixed.weights == {"common": 0.25, "rare": 0.75}
    dro = balancebc.solve_weights({"kind": "dro", "reference": "zero", "proxy": {"steps": 100}}, gaussian, BEHAVIORS,
                                  proxy="linear")
    assert set(dro.solver["reference_losses"].values()) == {0.0} and abs(sum(dro.weights.values()) - 1) < 1e-6


def test_bad_settings_and_files_name_what_is_wrong(gaussian):
    with pytest.raises(BalanceBCError, match="tau"):
        balancebc.solve_weights({"kind": "temperature", "tau": -1}, gaussian, BEHAVIORS)
    with pytest.raises(BalanceBCError, match=r"demos.hdf5: missing filter keys mask/sloppy"):
        balancebc.solve_weights({"kind": "natural"}, gaussian, ["common", "sloppy"])
    with pytest.raises(BalanceBCError, match="attrs\\['behaviors'\\] is missing"):
        balancebc.solve_weights({"kind": "natural"}, gaussian)
    with pytest.raises(BalanceBCError, match="exactly once"):  # `rare`'s demos in no behavior
        balancebc.solve_weights({"kind": "natural"}, gaussian, ["common"])


def test_sampler_follows_a_schedule_and_resumes(gaussian):
    warm = balancebc.solve_weights({"kind": "temperature", "tau": 1.0, "tau_end": 20.0, "schedule": "cosine"},
                                   gaussian, BEHAVIORS)
    data = balancebc.load_behavior_data(gaussian, BEHAVIORS).train
    sampler = balancebc.BehaviorSampler.from_weights(warm, data.b, batch_size=256, steps=100, seed=3)
    first = data.b[sampler.next_batch()].float().mean().item()  # share of `rare` in the first batch
    state = sampler.state_dict()
    rest = [sampler.next_batch() for _ in range(99)]
    assert within_binomial_error(data.b[rest[-1]].numpy(), np.array(list(warm.schedule[-1]["weights"].values())))
    assert first < data.b[rest[-1]].float().mean().item()  # rare behaviors more often towards the end
    resumed = balancebc.BehaviorSampler.from_weights(warm, data.b, batch_size=256, steps=100, seed=0)
    resumed.load_state_dict(state)
    assert all((resumed.next_batch() == batch).all() for batch in rest)


def test_exported_weights_reproduce_the_behavior_shares(gaussian, tmp_path):
    """LeRobot's per-frame file and robomimic 0.5's train.data (read with robomimic's own
    SequenceDataset, weighted as its MetaDataset does) each give behavior k the share w_k."""
    labelled = read_labelled(gaussian, BEHAVIORS)
    weights = balancebc.solve_weights({"kind": "fixed", "weights": {"common": 1, "rare": 2}}, labelled)
    export_weights(weights, labelled, tmp_path)
    w = np.array([weights.weights[b] for b in BEHAVIORS])

    table = pq.read_table(tmp_path / "sample_weights.parquet")
    assert table.column_names == ["index", "weight"] and str(table.schema.field("index").type) == "int64"
    index, weight = table.column("index").to_numpy(), table.column("weight").to_numpy()
    with h5py.File(gaussian) as f:
        assert len(index) == f["data"].attrs["total"] and (np.sort(index) == np.arange(len(index))).all()
    behavior = np.concatenate([np.full(labelled.lengths[d], BEHAVIORS.index(b)) for d, b in labelled.demo_behavior.items()])
    held_out = np.concatenate([np.full(labelled.lengths[d], labelled.split[d] == "valid") for d in labelled.demo_behavior])
    assert (weight[held_out] == 0).all() and abs(weight.sum() - 1) < 1e-9
    assert np.allclose([weight[behavior == k].sum() for k in range(2)], w)
    draws = np.random.default_rng(0).choice(len(weight), 20000, p=weight)
    assert within_binomial_error(behavior[draws], w)

    config = json.loads((tmp_path / "robomimic_train_data.json").read_text())["train"]
    assert config["normalize_weights_by_ds_size"] is True
    assert [set(e) for e in config["data"]] == [{"path", "filter_key", "weight"}] * 2
    import robomimic.utils.obs_utils as ObsUtils
    from robomimic.utils.dataset import SequenceDataset
    ObsUtils.initialize_obs_modality_mapping_from_dict({"low_dim": ["state"]})
    lengths = [len(SequenceDataset(hdf5_path=str(tmp_path / "filter_keys.hdf5"), obs_keys=["state"],
                                   dataset_keys=["actions"], filter_by_attribute=e["filter_key"]))
               for e in config["data"]]
    assert lengths == [labelled.train_counts()[0][b] for b in BEHAVIORS]
    per_sample = np.array([e["weight"] for e in config["data"]]) / lengths  # MetaDataset's normalisation
    assert np.allclose(per_sample, [weight[(behavior == k) & ~held_out][0] for k in range(2)])  # = the parquet's

    plain = json.loads((tmp_path / "weights.json").read_text())
    assert plain["weights"] == weights.weights
    assert plain["per_sample_probability"] == pytest.approx(dict(zip(BEHAVIORS, w / lengths)))
