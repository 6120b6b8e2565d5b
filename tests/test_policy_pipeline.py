"""The tiny pipeline with the policies researchers train: a BC-RNN-GMM, a BC-Transformer, a
fine-tuned BC (pre-trained with natural weights, then trained with each method's) and a BC on
camera images side by side in one run, each a scenario of its own."""
import csv
import json

import pytest

from balancebc import paths

from conftest import make_project, run, tiny_params

pytestmark = pytest.mark.slow

SMALL_RNN = {"algo.rnn.hidden_dim": 16, "algo.rnn.horizon": 4, "algo.gmm.num_modes": 2}
SMALL_TRANSFORMER = {"algo.transformer.embed_dim": 16, "algo.transformer.num_layers": 1,
                     "algo.transformer.num_heads": 2, "algo.transformer.context_length": 3}


def policy_params() -> dict:
    params = tiny_params()
    pick = params["scenarios"]["pick"]
    params["scenarios"] = {
        "pick_rnn_gmm": {**pick, "policy": {"algo": "bc_rnn_gmm", "config": SMALL_RNN}},
        "pick_transformer": {**pick, "policy": {"algo": "bc_transformer", "config": SMALL_TRANSFORMER}},
        "pick_finetune": {**pick, "train": {"pretrain_steps": 20}},
        # small images and two demos per region (one held out): software rendering is slow
        "pick_images": {**pick, "demos": {"left": 2, "middle": 2, "right": 2},
                        "cameras": ["agentview", "robot0_eye_in_hand"], "image_size": 32},
    }
    params["methods"] = {k: params["methods"][k] for k in ("natural", "temperature_warm")}
    params["replicates"] = [0]  # one policy per method and scenario: this checks the plumbing, not the effects
    params["checkpoints"] = [1.0]
    params["analysis"] = {"claims": {"policies": {
        "paper": "two policy classes give the same success on the rare region",
        "treated": "pick_transformer/natural", "control": "pick_rnn_gmm/natural", "units": ["right"],
        "expect": "equivalent"}}}
    return params


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("policies"), policy_params())
    proc = run("snakemake --cores 2", project, timeout=900)
    assert "steps (100%) done" in proc.stderr
    return project


@pytest.mark.parametrize("scenario, algo", [("pick_rnn_gmm", "BC_RNN_GMM"), ("pick_transformer", "BC_Transformer"),
                                            ("pick_finetune", "BC"), ("pick_images", "BC")])
def test_each_policy_trains_and_is_reported(project, scenario, algo):
    import torch
    log = json.loads((project / paths.train_log(scenario, "natural", 0, 0)).read_text())
    ckpt = torch.load(project / paths.checkpoint(scenario, "natural", 0, 0), weights_only=True)
    assert ckpt["algo_name"] == "bc" and log["train"]["policy"]["algo"] == policy_params()["scenarios"][scenario].get(
        "policy", {"algo": "bc"})["algo"]
    config = json.loads(ckpt["config"])
    assert (config["algo"]["rnn"]["enabled"], config["algo"]["transformer"]["enabled"]) == \
        ("RNN" in algo, "Transformer" in algo)
    rows = list(csv.DictReader((project / paths.report_file(scenario, "results.csv")).open()))
    assert {r["method"] for r in rows} == {"natural", "temperature_warm"}
    assert {r["region"] for r in rows} == {"left", "middle", "right"}


def test_fine_tuning_reports_both_phases(project):
    """Step 0 of the curve is the pre-trained policy, the same for every method."""
    log = json.loads((project / paths.train_log("pick_finetune", "temperature_warm", 0, 0)).read_text())
    assert [r["phase"] for r in log["history"]] == ["pretrain"] * 1 + ["train"] * 2
    assert log["checkpoints"] == {"0.0": 0, "1.0": 40}
    curves = {m: json.loads((project / paths.evaluation("pick_finetune", m, 0, 0)).read_text())["curve"]
              for m in ("natural", "temperature_warm")}
    assert [c["step"] for c in curves["natural"]] == [0, 40]
    assert curves["natural"][0]["units"] == curves["temperature_warm"][0]["units"]
    rows = list(csv.DictReader((project / paths.report_file("pick_finetune", "results.csv")).open()))
    assert {float(r["fraction"]) for r in rows} == {0.0, 1.0}
    assert "pre-trained" in (project / paths.report_file("pick_finetune", "results.md")).read_text()


def test_claims_compare_policies(project):
    rows = list(csv.DictReader((project / paths.claims_file("claims.csv")).open()))
    assert [r["claim"] for r in rows] == ["policies"] and rows[0]["verdict"] != "not run"


def test_images_are_recorded_trained_on_and_rendered_in_rollouts(project):
    """Camera images as robomimic stores them (uint8 obs/<camera>_image, HWC), a policy with
    robomimic's visual encoder, rollouts that render; the solvers' proxies stay low-dimensional."""
    import h5py
    import torch
    with h5py.File(project / paths.dataset("pick_images", 0)) as f:
        for camera in ("agentview", "robot0_eye_in_hand"):
            image = f[f"data/demo_0/obs/{camera}_image"]
            assert image.dtype == "uint8" and image.shape[1:] == (32, 32, 3) and image[()].std() > 0
        assert json.loads(f["data"].attrs["env_args"])["env_kwargs"]["camera_names"] == ["agentview", "robot0_eye_in_hand"]
    ckpt = torch.load(project / paths.checkpoint("pick_images", "natural", 0, 0), weights_only=True)
    config = json.loads(ckpt["config"])
    assert config["observation"]["modalities"]["obs"]["rgb"] == ["agentview_image", "robot0_eye_in_hand_image"]
    evaluation = json.loads((project / paths.evaluation("pick_images", "natural", 0, 0)).read_text())
    assert all(u["episodes"] == 1 for u in evaluation["units"].values())
