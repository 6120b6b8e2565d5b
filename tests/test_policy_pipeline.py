"""The tiny pipeline with the policies researchers train: a BC-RNN-GMM, a BC-Transformer and
a fine-tuned BC (pre-trained with natural weights, then trained with each method's) side by
side in one run, each a scenario of its own over the same demos."""
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
    }
    params["methods"] = {k: params["methods"][k] for k in ("natural", "temperature_warm")}
    params["replicates"] = [0]  # one policy per method and scenario: this checks the plumbing, not the effects
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
                                            ("pick_finetune", "BC")])
def test_each_policy_trains_and_is_reported(project, scenario, algo):
    import torch
    log = json.loads((project / paths.train_log(scenario, "natural", 0, 0)).read_text())
    ckpt = torch.load(project / paths.checkpoint(scenario, "natural", 0, 0), weights_only=False)
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
    assert log["checkpoints"] == {"0.0": 0, "0.5": 20, "1.0": 40}
    curves = {m: json.loads((project / paths.evaluation("pick_finetune", m, 0, 0)).read_text())["curve"]
              for m in ("natural", "temperature_warm")}
    assert [c["step"] for c in curves["natural"]] == [0, 20, 40]
    assert curves["natural"][0]["units"] == curves["temperature_warm"][0]["units"]
    rows = list(csv.DictReader((project / paths.report_file("pick_finetune", "results.csv")).open()))
    assert {float(r["fraction"]) for r in rows} == {0.0, 0.5, 1.0}
    assert "pre-trained" in (project / paths.report_file("pick_finetune", "results.md")).read_text()


def test_claims_compare_policies(project):
    rows = list(csv.DictReader((project / paths.claims_file("claims.csv")).open()))
    assert [r["claim"] for r in rows] == ["policies"] and rows[0]["verdict"] != "not run"
