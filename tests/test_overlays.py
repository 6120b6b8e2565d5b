"""A study is params.yaml with an overlay that states only what differs; Snakemake
(--configfile), the balancebc commands (--params) and DVC (--set-param, from
`balancebc overrides`) each run the same composed parameters."""
import re
import shutil

import pytest
import yaml

from balancebc.params import compose, load, merge, overrides, validate

from conftest import REPO, make_project, run, tiny_params

OVERLAYS = sorted(p.name for p in REPO.glob("params_*.yaml"))


def test_every_study_is_an_overlay_that_composes_into_valid_params():
    assert len(OVERLAYS) >= 5
    base = compose(REPO / "params.yaml")
    for name in OVERLAYS:
        overlay = yaml.safe_load((REPO / name).read_text())
        assert "resources" not in overlay or set(overlay["resources"]) < set(base["resources"]), name
        assert len(overlay) < len(base) or name == "params_paper.yaml", f"{name} repeats params.yaml"
        assert load(REPO / "params.yaml", REPO / name)["scenarios"]


def test_an_overlay_merges_mappings_replaces_the_rest_and_null_removes_an_entry():
    base = {"scenarios": {"a": {"demos": {"x": 1, "y": 2}, "horizon": 5}, "b": {"kind": "k"}}, "seeds": [0, 1]}
    out = merge(base, {"scenarios": {"a": {"demos": {"y": 9}}, "b": None}, "seeds": [3]})
    assert out == {"scenarios": {"a": {"demos": {"x": 1, "y": 9}, "horizon": 5}, "b": None}, "seeds": [3]}
    assert base["scenarios"]["a"]["demos"]["y"] == 2  # the base is not changed
    params = tiny_params()
    params["scenarios"]["gaussian"] = None
    assert "gaussian" not in validate(params)["scenarios"]


@pytest.mark.parametrize("name", OVERLAYS)
def test_dvc_set_param_gives_the_same_params_as_the_overlay(tmp_path, name):
    """`balancebc overrides` turns an overlay into DVC --set-param arguments; DVC's own
    parser applied to params.yaml must give what the overlay composes to."""
    from dvc.utils.hydra import apply_overrides
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    printed = run(f"balancebc overrides {REPO / name}", REPO).stdout.splitlines()
    assert printed and all(line.startswith("--set-param=") for line in printed)
    apply_overrides(tmp_path / "params.yaml", [line.removeprefix("--set-param=") for line in printed])
    assert load(tmp_path / "params.yaml") == load(REPO / "params.yaml", REPO / name)


def test_overrides_remove_set_and_merge():
    base = {"scenarios": {"a": {"demos": {"x": 1}}, "b": {}}, "policy": {"config": {}}}
    target = {"scenarios": {"a": {"demos": {"x": 2}}}, "policy": {"config": {"algo.rnn.horizon": 10}}}
    assert overrides(base, target) == ["~scenarios.b", "++scenarios.a.demos.x=2",
                                       "++policy.config={algo.rnn.horizon:10}"]


def test_the_cli_composes_overlays_and_names_a_missing_base(tmp_path):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(tiny_params()))
    (tmp_path / "study.yaml").write_text("seeds: [0, 1, 2]\nmethods: {uniform: null}\n")
    assert "params.yaml + study.yaml: valid" in run("balancebc check-params --params params.yaml "
                                                    "--params study.yaml", tmp_path).stdout
    proc = run("balancebc check-params --params study.yaml", tmp_path, check=False)
    assert proc.returncode == 2 and "give it after params.yaml" in proc.stderr
    proc = run("balancebc train --scenario pick --replicate 0 --method uniform --seed 0 "
               "--params params.yaml --params study.yaml", tmp_path, check=False)
    assert proc.returncode == 2 and "--method 'uniform': not in" in proc.stderr


def _planned(project, *args) -> list[tuple[str, str]]:
    """(rule, shell command) of every job `snakemake -n` plans."""
    out = run(f"snakemake -n -p --forceall --cores 1 {' '.join(args)}", project)
    return re.findall(r"^Shell command: balancebc (\w+) (.+?)\s*$", out.stdout + out.stderr, re.M)


@pytest.mark.slow
def test_snakemake_configfile_reaches_the_jobs_and_controls_train_the_baseline_alone(tmp_path):
    """`--configfile` overlays the config the jobs read; the claims study plans no job of
    a method its control does not train."""
    project = make_project(tmp_path, yaml.safe_load((REPO / "params.yaml").read_text()))
    shutil.copy(REPO / "params_claims.yaml", project / "params_claims.yaml")
    jobs = _planned(project, "--configfile params_claims.yaml")
    trained = {(m.group(1), m.group(2)) for rule, cmd in jobs if rule == "train"
               for m in [re.search(r"--scenario (\w+) .*--method (\w+)", cmd)]}
    study = load(REPO / "params.yaml", REPO / "params_claims.yaml")
    for control in ("pick_balanced", "pick_without_right", "pick_optimal"):
        assert {m for s, m in trained if s == control} == {"natural"}, control
    assert {m for s, m in trained if s == "pick"} == set(study["methods"]) == {"natural", "uniform", "dro_remix",
                                                                               "dro_metagrad"}
    assert sum(rule == "train" for rule, _ in jobs) == (4 + 4 + 1 + 1 + 1) * 2 * 10  # 2 scenarios, 3 controls
    # a job of that run reads the composed params: ten seeds, 2,400 steps
    written = list((project / ".balancebc").glob("params-*.yaml"))
    assert len(written) == 1
    proc = run("balancebc check-params", project, env={"BALANCEBC_PARAMS": str(written[0])})
    assert "valid" in proc.stdout
    assert load(written[0]) == study
    # and DVC plans the same control jobs from params.yaml
    dvc = run("dvc repro --dry --force", project).stdout
    assert not re.search(r"^> balancebc train --scenario pick_balanced .*--method (?!natural)", dvc, re.M)
    assert re.search(r"^> balancebc train --scenario pick_balanced .*--method natural", dvc, re.M)
