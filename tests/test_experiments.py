"""DVC experiments on the tiny params: `dvc exp run -S` sweeps the rare behavior's sample
count, `dvc exp show` lists each experiment's per-behavior metric, `dvc plots diff` draws them
side by side, and a DVC remote (a local folder) restores a deleted result with push / pull.
The `gaussian` scenario (no simulation) keeps each experiment to seconds; a sweep of
`scenarios.pick.demos.right` (README) runs through the same stages and files."""
import json
import shutil

import pytest

from conftest import make_project, run, tiny_params

pytestmark = pytest.mark.slow

COUNTS = (40, 80)  # samples of `rare`, 20 per demo: 2 demos at least, one held out
PARAM = "scenarios.gaussian.samples.rare"


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    params = tiny_params()
    params["replicates"], params["checkpoints"] = [0], [1.0]  # one replicate, no learning curve here
    params["scenarios"] = {"gaussian": params["scenarios"]["gaussian"]}
    params["methods"] = {"natural": {"kind": "natural"}, "uniform": {"kind": "uniform"}}
    params["seeds"] = [0]
    project = make_project(tmp_path_factory.mktemp("experiments"), params)
    run("git add -A && git commit -qm baseline", project)
    for n in COUNTS:
        run(f"dvc exp run -S {PARAM}={n} -n rare{n}", project, timeout=900)
    return project


def _experiments(node, found=None) -> dict:
    """name → data of every experiment in `dvc exp show --json` (nested revs, any depth)."""
    found = {} if found is None else found
    if isinstance(node, dict):
        if node.get("name") and isinstance(node.get("data"), dict):
            found[node["name"]] = node["data"]
        for value in node.values():
            _experiments(value, found)
    elif isinstance(node, list):
        for value in node:
            _experiments(value, found)
    return found


def test_sweep_makes_one_experiment_per_value_with_its_metrics(swept):
    exps = _experiments(json.loads(run("dvc exp show --json", swept).stdout))
    assert {f"rare{n}" for n in COUNTS} <= set(exps)
    for n in COUNTS:
        data = exps[f"rare{n}"]
        assert data["params"]["params.yaml"]["data"]["scenarios"]["gaussian"]["samples"]["rare"] == n
        metrics = data["metrics"]["results/gaussian/report/metrics.json"]["data"]
        assert set(metrics) == {"natural", "uniform"}
        assert all(set(m) == {"common", "rare"} and all(v >= 0 for v in m.values()) for m in metrics.values())
    # more samples of the rare behavior: a lower held-out loss on it under natural weights
    rare = [exps[f"rare{n}"]["metrics"]["results/gaussian/report/metrics.json"]["data"]["natural"]["rare"]
            for n in COUNTS]
    assert rare[-1] < rare[0]
    table = run("dvc exp show --no-pager --md", swept).stdout
    assert all(f"rare{n}" in table for n in COUNTS) and "natural.rare" in table


def test_plots_diff_draws_every_experiment(swept, tmp_path):
    out = tmp_path / "plots"
    run(f"dvc plots diff {' '.join(f'rare{n}' for n in COUNTS)} -o {out}", swept)
    html = (out / "index.html").read_text()
    assert "results/gaussian/report/plot.csv" in html
    assert all(f"rare{n}" in html for n in COUNTS) and "natural / rare" in html


def test_remote_push_pull_restores_a_deleted_result(swept, tmp_path):
    remote = tmp_path / "remote"
    run(f"dvc remote add -d -f store {remote} && dvc push", swept)
    result = swept / "results/gaussian/eval/natural/rep0/seed0.json"
    before = result.read_bytes()
    result.unlink()
    shutil.rmtree(swept / ".dvc/cache")  # so that only the remote has it
    run("dvc pull", swept)
    assert result.read_bytes() == before
    assert "Data and pipelines are up to date" in run("dvc status", swept).stdout
