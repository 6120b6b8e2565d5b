"""MLflow logging: the default SQLite store inside the working directory, the
MLFLOW_TRACKING_URI override (a file or an `mlflow server`), no lost runs when jobs write
at the same time, one invocation's runs found together under its parent run; a job's run
live from its start to its end with its dataset as input, killed jobs' and invocations'
runs marked KILLED, and a store that goes away mid-job neither hangs the job nor loses
its run."""
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time

import mlflow
import pytest

from balancebc import tracking

from conftest import free_port, serving_mlflow


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


def _client(tmp_path):
    return mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")


def test_a_job_run_is_live_from_start_to_end_with_its_dataset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    data = tmp_path / "labelled.hdf5"
    data.write_bytes(b"demos")
    with tracking.job_run("live", "train/x", params={"lr": 0.1}, tags={"stage": "train"},
                          dataset=("live/rep0", str(data))) as run:
        client = _client(tmp_path)
        during = client.get_run(run.run_id)
        assert during.info.status == "RUNNING"
        run.log_metrics({"loss": 2.0}, 0)
        assert client.get_run(run.run_id).data.metrics == {"loss": 2.0}  # visible while the job runs
        time.sleep(1.0)
        run.log_metrics({"loss": 1.0}, 1)
    done = client.get_run(run.run_id)
    assert done.info.status == "FINISHED" and done.info.end_time - done.info.start_time >= 1000
    assert [m.value for m in client.get_metric_history(run.run_id, "loss")] == [2.0, 1.0]
    (dataset_input,) = done.inputs.dataset_inputs
    assert dataset_input.dataset.name == "live/rep0"
    assert dataset_input.dataset.digest == tracking.file_digest(data)
    assert json.loads(dataset_input.dataset.source)["uri"] == str(data)
    assert client.get_experiment_by_name("live").tags["mlflow.experimentKind"] == "custom_model_development"


def test_a_job_that_raises_leaves_a_failed_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(RuntimeError, match="boom"):
        with tracking.job_run("fail", "train/x", params={}, tags={}) as run:
            raise RuntimeError("boom")
    assert _client(tmp_path).get_run(run.run_id).info.status == "FAILED"


OPEN_AND_WAIT = """
import os, sys, time
from balancebc import tracking
if sys.argv[1] == "invocation":
    tracking.start_invocation(["stale"], "inv-killed")
else:
    run = tracking.JobRun("stale", "train/killed", params={}, tags={})
print("open", flush=True)
time.sleep(600)
"""


def _open_then_kill(tmp_path, what: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", OPEN_AND_WAIT, what], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "open"
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_runs_of_killed_jobs_and_invocations_are_marked_killed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    client = _client(tmp_path)

    def statuses():
        exp = client.get_experiment_by_name("stale").experiment_id
        return {r.info.run_name: r.info.status for r in client.search_runs([exp])}

    _open_then_kill(tmp_path, "job")
    assert statuses() == {"train/killed": "RUNNING"}  # nobody could close it
    _open_then_kill(tmp_path, "invocation")  # the next invocation closes it, and is killed itself
    assert statuses() == {"train/killed": "KILLED", "invocation inv-killed": "RUNNING"}
    with tracking.job_run("stale", "train/next", params={}, tags={}) as alive:  # the next job closes that
        assert statuses() == {"train/killed": "KILLED", "invocation inv-killed": "KILLED", "train/next": "RUNNING"}
    assert client.get_run(alive.run_id).info.status == "FINISHED"


def test_an_unreachable_store_neither_hangs_the_job_nor_loses_its_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    start = time.time()
    with tracking.job_run("down", "evaluate/x", params={"episodes": 6}, tags={"stage": "evaluate"}) as run:
        run.log_metrics({"success/left": 0.5})
        (tmp_path / "out.json").write_text("{}")
        run.add_artifacts([tmp_path / "out.json"])
    assert time.time() - start < 120  # MLflow's own retries would take minutes
    assert "the job goes on" in capsys.readouterr().err
    (pending,) = (tmp_path / tracking.PENDING).glob("*.json")
    record = json.loads(pending.read_text())
    assert record["status"] == "FINISHED" and record["params"] == {"episodes": "6"}
    # the store is back (here: a local file): the record becomes a run with its own times
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'back.db'}")
    (rid,) = tracking.sync_pending()
    logged = mlflow.MlflowClient(tracking.tracking_uri()).get_run(rid)
    assert logged.info.status == "FINISHED" and logged.info.start_time == record["start_time"]
    assert logged.data.metrics == {"success/left": 0.5} and logged.data.params == {"episodes": "6"}
    assert not list((tmp_path / tracking.PENDING).glob("*.json"))


@pytest.mark.slow
def test_a_server_that_goes_away_mid_job(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with serving_mlflow(tmp_path) as (uri, server):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        with tracking.job_run("away", "train/x", params={}, tags={}) as run:
            run.log_metrics({"loss": 2.0}, 0)
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            run.log_metrics({"loss": 1.0}, 1)
        assert run.offline
    (pending,) = (tmp_path / tracking.PENDING).glob("*.json")
    assert [m[1] for m in json.loads(pending.read_text())["metrics"]] == [2.0, 1.0]  # all of it, not just the tail
