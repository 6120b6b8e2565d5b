"""DVC experiments on the tiny params: `dvc exp run -S` sweeps the rare region's demo count,
`dvc exp show` lists each experiment's per-region success, `dvc plots diff` draws them side
by side, and a DVC remote (a local folder) restores a deleted result with push / pull."""
import json
import shutil

import pytest

from conftest import make_project, run, tiny_params

pytestmark = pytest.mark.slow

COUNTS = (1, 2, 3)
PARAM = "scenarios.pick.demos.right"


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    params = tiny_params()
    params["replicates"], params["checkpoints"] = [0], [1.0]  # one replicate, no learning curve here
    params["scenarios"] = {"pick": params["scenarios"]["pick"]}
    params["methods"] = {"natural": {"kind": "natural"}, "uniform": {"kind": "uniform"}}
    params["seeds"] = [0]
    params["evaluate"]["episodes"] = 1
    project = make_project(tmp_path_factory.mktemp("experiments"), params)
    run("git add -A && git commit -qm baseline", project)
    for n in COUNTS:
        run(f"dvc exp run -S {PARAM}={n} -n right{n}", project, timeout=900)
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
    assert {f"right{n}" for n in COUNTS} <= set(exps)
    for n in COUNTS:
        data = exps[f"right{n}"]
        assert data["params"]["params.yaml"]["data"]["scenarios"]["pick"]["demos"]["right"] == n
        metrics = data["metrics"]["results/pick/report/metrics.json"]["data"]
        assert set(metrics) == {"natural", "uniform"}
        assert all(set(m) == {"left", "middle", "right"} and all(0 <= v <= 1 for v in m.values())
                   for m in metrics.values())
    table = run("dvc exp show --no-pager --md", swept).stdout
    assert all(f"right{n}" in table for n in COUNTS) and "natural.right" in table


def test_plots_diff_draws_every_experiment(swept, tmp_path):
    out = tmp_path / "plots"
    run(f"dvc plots diff {' '.join(f'right{n}' for n in COUNTS)} -o {out}", swept)
    html = (out / "index.html").read_text()
    assert "results/pick/report/plot.csv" in html
    assert all(f"right{n}" in html for n in COUNTS) and "natural / right" in html


def test_remote_push_pull_restores_a_deleted_result(swept, tmp_path):
    remote = tmp_path / "remote"
    run(f"dvc remote add -d -f store {remote} && dvc push", swept)
    result = swept / "results/pick/eval/natural/rep0/seed0.json"
    before = result.read_bytes()
    result.unlink()
    shutil.rmtree(swept / ".dvc/cache")  # so that only the remote has it
    run("dvc pull", swept)
    assert result.read_bytes() == before
    assert "Data and pipelines are up to date" in run("dvc status", swept).stdout
