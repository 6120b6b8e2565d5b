"""MLflow tracking: one run per train or evaluate job, in one experiment per scenario.

Default store: ``sqlite:///mlflow.db`` in the working directory (the repository root when
Snakemake or DVC runs the stage); ``MLFLOW_TRACKING_URI`` points elsewhere, e.g. at one
``mlflow server`` that every job of a cluster run reaches. Metrics are collected during the
job and logged at its end in one go; with the SQLite store, writers take a file lock first,
because parallel writers to one SQLite file can fail with "database is locked" and a lost
run is not acceptable.

One pipeline invocation's runs are found together: the Snakefile gives every job the
same ``BALANCEBC_INVOCATION`` id (kept if already set, e.g. for ``dvc repro``), each run
carries it as the tag ``invocation``, and under Snakemake each scenario's experiment has a
parent run for the invocation (created before any job starts) whose children they are.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

DEFAULT_DB = "mlflow.db"
INVOCATION = "BALANCEBC_INVOCATION"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / DEFAULT_DB}"


def _writer_lock(uri: str):
    if uri.startswith("sqlite:///"):
        from filelock import FileLock
        return FileLock(uri[len("sqlite:///"):] + ".lock", timeout=600)
    return contextlib.nullcontext()


@contextlib.contextmanager
def _client():
    """A client under the SQLite writers' lock. A client of its own: mlflow.set_tracking_uri
    would also export MLFLOW_TRACKING_URI to every process this one starts."""
    import mlflow
    uri = tracking_uri()
    with _writer_lock(uri):
        yield mlflow.MlflowClient(uri)


def _experiment_id(client, name: str) -> str:
    exp = client.get_experiment_by_name(name)
    return exp.experiment_id if exp else client.create_experiment(name)


def _parent(client, experiment_id: str, invocation: str):
    runs = client.search_runs([experiment_id], max_results=1,
                              filter_string=f"tags.invocation = '{invocation}' and tags.role = 'invocation'")
    return runs[0] if runs else None


def start_invocation(experiments: list[str], invocation: str) -> None:
    """A parent run named ``invocation <id>`` in each experiment (once per id)."""
    with _client() as client:
        for name in experiments:
            exp_id = _experiment_id(client, name)
            if _parent(client, exp_id, invocation) is None:
                client.create_run(exp_id, run_name=f"invocation {invocation}",
                                  tags={"invocation": invocation, "role": "invocation"})


def end_invocation(experiments: list[str], invocation: str, status: str) -> None:
    """Mark the invocation's parent runs FINISHED or FAILED."""
    with _client() as client:
        for name in experiments:
            exp = client.get_experiment_by_name(name)
            parent = exp and _parent(client, exp.experiment_id, invocation)
            if parent:
                client.set_terminated(parent.info.run_id, status)


def log_run(experiment: str, run_name: str, params: dict, tags: dict,
            metrics: dict[str, float] | None = None,
            history: list[dict[str, float]] | None = None,
            artifacts: list[str | Path] = ()) -> str:
    """Log one finished job as an MLflow run; ``history[i]`` holds the metrics of step i.
    Returns the run id."""
    from mlflow.entities import Metric, Param

    with _client() as client:
        exp_id = _experiment_id(client, experiment)
        tags = {k: str(v) for k, v in tags.items()}
        invocation = os.environ.get(INVOCATION)
        if invocation:
            tags["invocation"] = invocation
            parent = _parent(client, exp_id, invocation)
            if parent:
                tags["mlflow.parentRunId"] = parent.info.run_id
        run = client.create_run(exp_id, run_name=run_name, tags=tags)
        rid = run.info.run_id
        entries = [Metric(k, float(v), 0, step) for step, row in enumerate(history or [])
                   for k, v in row.items()]
        entries += [Metric(k, float(v), 0, 0) for k, v in (metrics or {}).items()]
        flat = [Param(k, str(v)[:6000]) for k, v in params.items()]
        for i in range(0, len(flat), 100):  # MLflow's per-call limits
            client.log_batch(rid, params=flat[i:i + 100])
        for i in range(0, len(entries), 1000):
            client.log_batch(rid, metrics=entries[i:i + 1000])
        for path in artifacts:
            client.log_artifact(rid, str(path))
        client.set_terminated(rid)
    return rid


def flatten(prefix: str, value) -> dict:
    """{'a': {'b': 1}} → {'prefix.a.b': 1} for MLflow params."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flatten(f"{prefix}.{k}" if prefix else str(k), v))
        return out
    return {prefix: value}
