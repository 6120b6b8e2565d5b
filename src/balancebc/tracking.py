"""MLflow tracking: one run per train or evaluate job.

Default store: ``sqlite:///mlflow.db`` in the working directory (the repository root when
Snakemake or DVC runs the stage); ``MLFLOW_TRACKING_URI`` points elsewhere. Metrics are
collected during the job and logged at its end in one go; with the SQLite store, writers
take a file lock first, because parallel writers to one SQLite file can fail with
"database is locked" and a lost run is not acceptable.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

DEFAULT_DB = "mlflow.db"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / DEFAULT_DB}"


def _writer_lock(uri: str):
    if uri.startswith("sqlite:///"):
        from filelock import FileLock
        return FileLock(uri[len("sqlite:///"):] + ".lock", timeout=600)
    return contextlib.nullcontext()


def log_run(experiment: str, run_name: str, params: dict, tags: dict,
            metrics: dict[str, float] | None = None,
            history: list[dict[str, float]] | None = None,
            artifacts: list[str | Path] = ()) -> str:
    """Log one finished job as an MLflow run; ``history[i]`` holds the metrics of step i.
    Returns the run id."""
    import mlflow
    from mlflow.entities import Metric, Param

    uri = tracking_uri()
    with _writer_lock(uri):
        # a client of its own: mlflow.set_tracking_uri would also export MLFLOW_TRACKING_URI
        # to every process this one starts
        client = mlflow.MlflowClient(uri)
        exp = client.get_experiment_by_name(experiment)
        exp_id = exp.experiment_id if exp else client.create_experiment(experiment)
        run = client.create_run(exp_id, run_name=run_name, tags={k: str(v) for k, v in tags.items()})
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
