"""MLflow logging: the default SQLite store inside the working directory, the
MLFLOW_TRACKING_URI override (a file or an `mlflow server`), no lost runs when jobs write
at the same time, and one invocation's runs found together under its parent run."""
import multiprocessing as mp
import os

import mlflow
import pytest

from balancebc import tracking


def _log(i: int) -> str:
    return tracking.log_run("concurrency", f"job{i}", params={"i": i}, tags={"stage": "train"},
                            history=[{"loss": 1.0 / (step + 1)} for step in range(5)],
                            metrics={"success": i / 10})


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "server"])
def test_eight_concurrent_jobs_lose_no_runs(store, tmp_path, monkeypatch, request):
    monkeypatch.chdir(tmp_path)
    if store == "server":
        monkeypatch.setenv("MLFLOW_TRACKING_URI", request.getfixturevalue("mlflow_server"))
    else:
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    invocation = f"test-{store}-{tmp_path.name}"
    monkeypatch.setenv(tracking.INVOCATION, invocation)
    tracking.start_invocation(["concurrency"], invocation)
    with mp.get_context("spawn").Pool(8) as pool:  # 8 processes, as 8 jobs: they inherit the environment
        ids = pool.map(_log, range(8))
    tracking.end_invocation(["concurrency"], invocation, "FINISHED")
    assert (tmp_path / "mlflow.db").is_file() == (store == "sqlite")
    client = mlflow.MlflowClient(tracking.tracking_uri())
    exp = client.get_experiment_by_name("concurrency")
    runs = client.search_runs([exp.experiment_id], filter_string=f"tags.invocation = '{invocation}'")
    parent = [r for r in runs if r.data.tags.get("role") == "invocation"]
    children = [r for r in runs if r not in parent]
    assert len(parent) == 1 and parent[0].info.status == "FINISHED"
    assert sorted(r.info.run_id for r in children) == sorted(ids)
    for r in children:
        i = int(r.data.params["i"])
        assert r.data.metrics["success"] == i / 10
        assert [m.value for m in client.get_metric_history(r.info.run_id, "loss")] == [1.0 / (s + 1) for s in range(5)]
        assert r.info.status == "FINISHED"
        assert r.data.tags["mlflow.parentRunId"] == parent[0].info.run_id


def test_tracking_uri_override(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    artefact = tmp_path / "out.json"
    artefact.write_text("{}")
    rid = tracking.log_run("override", "one", params={}, tags={"stage": "evaluate"}, artifacts=[artefact])
    assert not (tmp_path / "mlflow.db").exists()
    run = mlflow.MlflowClient(uri).get_run(rid)
    assert run.data.tags["stage"] == "evaluate"
    assert [a.path for a in mlflow.MlflowClient(uri).list_artifacts(rid)] == ["out.json"]



def test_logging_leaves_the_environment_alone(tmp_path, monkeypatch):
    """Jobs started after a run was logged in-process must not inherit its store."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    tracking.log_run("env", "one", params={}, tags={"stage": "train"})
    assert "MLFLOW_TRACKING_URI" not in os.environ
