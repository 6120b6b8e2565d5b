import copy

import pytest
import yaml

from balancebc.errors import BalanceBCError
from balancebc.params import load, validate

from conftest import REPO, run, tiny_params


def test_default_and_tiny_params_are_valid():
    """Both load, and come back with the schema's defaults filled in."""
    for params in (load(REPO / "params.yaml"), validate(tiny_params())):
        assert params["analysis"]["baseline"] in params["methods"]
        assert params["analysis"]["claims"], "the default claims were not filled in"
        assert all("kind" in m for m in params["methods"].values())


@pytest.mark.parametrize("mutate, expected", [
    (lambda p: p.update(extra=1), "(top level): Additional properties are not allowed ('extra' was unexpected)"),
    (lambda p: p["train"].update(steps="many"), "train.steps: 'many' is not of type 'integer'"),
    (lambda p: p["scenarios"]["pick"]["demos"].update(right=-3), "scenarios.pick.demos.right: -3 is less than the minimum of 1"),
    (lambda p: p["methods"].update(magic={"kind": "magic"}), "methods.magic.kind: 'magic' is not allowed; expected one of"),
    (lambda p: p["methods"]["natural"].update(tau=2), "methods.natural: Additional properties are not allowed ('tau' was unexpected)"),
    (lambda p: p["scenarios"]["pick"]["demos"].pop("right"), "scenarios.pick.demos: expected one entry per behavior"),
    (lambda p: p.pop("seeds"), "'seeds' is a required property"),
])
def test_invalid_params_name_the_key(mutate, expected):
    params = copy.deepcopy(tiny_params())
    mutate(params)
    with pytest.raises(BalanceBCError) as err:
        validate(params)
    assert expected in str(err.value)


def test_every_params_file_in_the_repository_is_valid():
    """A schema change that breaks one of the studies' params files fails here, not minutes into its run."""
    overlays = sorted(REPO.glob("params_*.yaml")) + sorted(REPO.glob("results-of-record/*/params.yaml"))
    assert len(overlays) >= 9
    assert load(REPO / "params.yaml")["scenarios"]
    for path in overlays:  # the studies are overlays over params.yaml; the records hold composed ones
        files = (path,) if path.parent.parent.name == "results-of-record" else (REPO / "params.yaml", path)
        assert load(*files)["scenarios"], path


@pytest.mark.parametrize("mutate, expected", [
    # fixed weights that name a behavior the scenario does not have (the weights stage's message)
    (lambda p: p["methods"].update(hand={"kind": "fixed", "weights": {"left": 1, "middle": 1, "rihgt": 2}}),
     "methods.hand.weights: expected one weight per behavior ['left', 'middle', 'right'], "
     "got ['left', 'middle', 'rihgt'] (scenario pick)"),
    # a typo in a robomimic config key, resolved against robomimic's own config (the train stage's message)
    (lambda p: p["policy"].update(algo="bc_rnn", config={"algo.rnn.horizonn": 10}),
     "policy.config.algo.rnn.horizonn: 'algo.rnn.horizonn' is not a key of robomimic's bc config "
     "(no 'algo.rnn.horizonn'; expected one of"),
    # a checkpoint to start from that does not exist
    (lambda p: p["train"].update(init="runs/old/model.pth"), "train.init: runs/old/model.pth: checkpoint not found"),
])
def test_check_params_rejects_what_a_later_stage_would(tmp_path, mutate, expected):
    """What the weights or train stage would stop on, minutes in, is an error before anything runs."""
    params = copy.deepcopy(tiny_params())
    mutate(params)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    proc = run("balancebc check-params", tmp_path, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert expected in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


def test_check_params_accepts_the_same_inputs_spelled_right(tmp_path):
    params = copy.deepcopy(tiny_params())
    params["scenarios"] = {"pick": params["scenarios"]["pick"]}  # fixed weights name one scenario's behaviors
    params["methods"]["hand"] = {"kind": "fixed", "weights": {"left": 1, "middle": 1, "right": 2}}
    params["policy"] = {"algo": "bc_rnn", "config": {"algo.rnn.horizon": 10}}
    (tmp_path / "model.pth").write_bytes(b"")
    params["train"]["init"] = "model.pth"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    run("balancebc check-params", tmp_path)


def test_cli_reports_invalid_params_without_traceback_and_writes_nothing(tmp_path):
    params = tiny_params()
    params["scenarios"]["pick"]["demos"]["right"] = -1
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    proc = run("balancebc generate --scenario pick --replicate 0", tmp_path, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "scenarios.pick.demos.right: -1 is less than the minimum of 1" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]
@pytest.mark.slow
def test_snakemake_refuses_invalid_params(tmp_path):
    from conftest import make_project
    params = tiny_params()
    params["methods"]["natural"]["kind"] = "plain"
    make_project(tmp_path, params)
    proc = run("snakemake -n --cores 1", tmp_path, check=False)
    assert proc.returncode != 0
    assert "methods.natural.kind: 'plain' is not allowed" in proc.stdout + proc.stderr


def test_a_scenario_overrides_some_train_settings():
    """A capacity axis: a copy of a scenario with narrower layers, the rest of `train` kept."""
    from balancebc import registry
    params = tiny_params()
    params["scenarios"]["pick_narrow"] = {**params["scenarios"]["pick"], "train": {"hidden": [8]}}
    validate(params)
    narrow = registry.SCENARIOS["pick"].train_settings(params, params["scenarios"]["pick_narrow"])
    assert narrow == {**params["train"], "hidden": [8], "policy": params["policy"]}
    assert narrow["lr_decay"] == {"at": 0.5, "factor": 0.1} and params["policy"] == {"algo": "bc", "config": {}}
    params["scenarios"]["pick_narrow"]["train"] = {"hiden": [8]}
    with pytest.raises(BalanceBCError, match=r"scenarios.pick_narrow.train: .*'hiden' was unexpected"):
        validate(params)


def test_a_scenario_trains_its_own_policy():
    """Several policies side by side: a copy of a scenario with another robomimic algorithm,
    which replaces the top-level `policy` for it; an unknown algorithm names the choices."""
    from balancebc import registry
    params = tiny_params()
    params["policy"] = {"algo": "bc_gmm", "config": {"algo.gmm.num_modes": 3}}
    params["scenarios"]["pick_rnn"] = {**params["scenarios"]["pick"], "policy": {"algo": "bc_rnn_gmm"}}
    validate(params)
    rnn = registry.SCENARIOS["pick"].train_settings(params, params["scenarios"]["pick_rnn"])
    assert rnn["policy"] == {"algo": "bc_rnn_gmm", "config": {}}
    assert registry.SCENARIOS["pick"].train_settings(params, params["scenarios"]["pick"])["policy"] == params["policy"]
    params["scenarios"]["pick_rnn"]["policy"] = {"algo": "bc_lstm"}
    with pytest.raises(BalanceBCError, match=r"scenarios.pick_rnn.policy.algo: 'bc_lstm' is not allowed; expected one of"):
        validate(params)
