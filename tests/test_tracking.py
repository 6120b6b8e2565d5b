"""MLflow logging: the default SQLite store inside the working directory, the
MLFLOW_TRACKING_URI override, and no lost runs when jobs write at the same time."""
import multiprocessing as mp
import os

import mlflow

from balancebc import tracking


def _log(i: int) -> str:
    return tracking.log_run("concurrency", f"job{i}", params={"i": i}, tags={"stage": "train"},
                            history=[{"loss": 1.0 / (step + 1)} for step in range(5)],
                            metrics={"success": i / 10})


def test_concurrent_jobs_lose_no_runs_with_sqlite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with mp.get_context("spawn").Pool(8) as pool:
        ids = pool.map(_log, range(8))
    assert (tmp_path / "mlflow.db").is_file()
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = client.get_experiment_by_name("concurrency")
    runs = client.search_runs([exp.experiment_id])
    assert sorted(r.info.run_id for r in runs) == sorted(ids)
    for r in runs:
        i = int(r.data.params["i"])
        assert r.data.metrics["success"] == i / 10
        assert [m.value for m in client.get_metric_history(r.info.run_id, "loss")] == [1.0 / (s + 1) for s in range(5)]
        assert r.info.status == "FINISHED"


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
