"""MLflow tracking: one run per train or evaluate job, in one experiment per scenario.

Default store: ``sqlite:///mlflow.db`` in the working directory (the repository root when
Snakemake or DVC runs the stage); ``MLFLOW_TRACKING_URI`` points elsewhere, e.g. at one
``mlflow server`` that every job of a cluster run reaches. With the SQLite store, writers
take a file lock first, because parallel writers to one SQLite file can fail with
"database is locked" and a lost run is not acceptable.

A job's run (``job_run``) is open while the job runs: RUNNING from its start, its
dataset logged as the run's input (name, path and MD5 digest), metrics as they come (each
training epoch, evaluation progress), then its artefacts and FINISHED, or FAILED if the
job raised. A job that is killed cannot close its run; the next job or invocation on the
same machine marks such runs, and invocations' parent runs, KILLED once the process that
opened them is gone. Experiments are tagged as model training (``mlflow.experimentKind``),
so MLflow 3 opens them in its training view.

If the store cannot be reached (a server that went away, a database that cannot be
written), the job is not held up and loses nothing: MLflow's HTTP client retries a few
times with a short timeout (``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` 2, ``..._TIMEOUT`` 10 s
unless set), then the job goes on, warns once in its log, and writes the whole run
(params, tags, metrics with their steps and times, input, artefact paths, status) to
``logs/mlflow-pending/``; ``balancebc sync-tracking`` logs those records once the store is
back, and removes them.

One pipeline invocation's runs are found together: the Snakefile gives every job the
same ``BALANCEBC_INVOCATION`` id (kept if already set, e.g. for ``dvc repro``), each run
carries it as the tag ``invocation``, and under Snakemake each scenario's experiment has a
parent run for the invocation (created before any job starts) whose children they are.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sys
import time
from pathlib import Path

DEFAULT_DB = "mlflow.db"
INVOCATION = "BALANCEBC_INVOCATION"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / DEFAULT_DB}"


HTTP_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}  # unless set
KIND = {"mlflow.experimentKind": "custom_model_development"}  # MLflow 3's model-training view


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
    for name, value in HTTP_LIMITS.items():
        os.environ.setdefault(name, value)
    if uri.startswith("sqlite:"):  # its store's modules (about 0.8 s) load before the lock, not while others wait
        import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
    with _writer_lock(uri):
        yield mlflow.MlflowClient(uri)


def _experiment_id(client, name: str) -> str:
    exp = client.get_experiment_by_name(name)
    if exp is None:
        return client.create_experiment(name, tags=KIND)
    for key, value in KIND.items():
        if exp.tags.get(key) != value:
            client.set_experiment_tag(exp.experiment_id, key, value)
    return exp.experiment_id


def _parent(client, experiment_id: str, invocation: str):
    runs = client.search_runs([experiment_id], max_results=1,
                              filter_string=f"tags.invocation = '{invocation}' and tags.role = 'invocation'")
    return runs[0] if runs else None


def _warn_on_failure(what: str):
    """The invocation's bookkeeping must not stop a pipeline whose store is down."""
    def wrap(fn):
        def run(*args):
            try:
                fn(*args)
            except Exception as exc:
                print(f"tracking: {what} failed at {tracking_uri()} ({type(exc).__name__}: {str(exc)[:300]}); "
                      "the pipeline goes on", file=sys.stderr)
        return run
    return wrap


@_warn_on_failure("opening the invocation's parent runs")
def start_invocation(experiments: list[str], invocation: str) -> None:
    """A parent run named ``invocation <id>`` in each experiment (once per id), after
    marking the runs of killed processes KILLED."""
    with _client() as client:
        for name in experiments:
            exp_id = _experiment_id(client, name)
            close_stale(client, exp_id)  # parents (and jobs) of invocations that were killed
            if _parent(client, exp_id, invocation) is None:
                client.create_run(exp_id, run_name=f"invocation {invocation}",
                                  tags={"invocation": invocation, "role": "invocation",
                                        "balancebc.process": _process_tag()})


@_warn_on_failure("closing the invocation's parent runs")
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
            artifacts: list[str | Path] = ()) -> str | None:
    """Log a finished piece of work as one run at once; ``history[i]`` holds the metrics
    of step i. Returns the run id (None if the store could not be reached)."""
    with job_run(experiment, run_name, params, tags) as run:
        for step, row in enumerate(history or []):
            run.log_metrics(row, step)
        run.log_metrics(metrics or {})
        run.add_artifacts(artifacts)
    return run.run_id


@contextlib.contextmanager
def job_run(experiment: str, run_name: str, params: dict, tags: dict, dataset: tuple[str, str] | None = None):
    """The job's run, open inside the ``with`` block (see the module's doc); ``dataset``
    is (name, path) of the data the job reads."""
    run = JobRun(experiment, run_name, params, tags, dataset)
    try:
        yield run
    except BaseException:
        run.close("FAILED")
        raise
    run.close("FINISHED")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _process_tag() -> str:
    """host:pid:start time of this process: a run it opened is stale once no such process lives."""
    import psutil
    return f"{socket.gethostname()}:{os.getpid()}:{psutil.Process().create_time():.2f}"


def _alive(process: str) -> bool:
    import psutil
    host, pid, created = process.rsplit(":", 2)
    if host != socket.gethostname():
        return True  # another machine's process: not ours to judge
    try:
        return f"{psutil.Process(int(pid)).create_time():.2f}" == created
    except (psutil.NoSuchProcess, ValueError):
        return False


def close_stale(client, experiment_id: str) -> list[str]:
    """Mark RUNNING runs whose opening process on this machine is gone KILLED; their ids."""
    runs = client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=1000)
    stale = [r for r in runs if "balancebc.process" in r.data.tags and not _alive(r.data.tags["balancebc.process"])]
    for r in stale:
        client.set_terminated(r.info.run_id, "KILLED")
    return [r.info.run_id for r in stale]


def file_digest(path: str | Path) -> str:
    md5 = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            md5.update(block)
    return md5.hexdigest()


class JobRun:
    """One job's MLflow run (``job_run``); everything it logs is also kept in ``record``,
    which is what ``logs/mlflow-pending/`` receives if the store cannot be reached."""

    def __init__(self, experiment: str, run_name: str, params: dict, tags: dict,
                 dataset: tuple[str, str] | None = None):
        tags = {**{k: str(v) for k, v in tags.items()}, "balancebc.process": _process_tag()}
        if os.environ.get(INVOCATION):
            tags["invocation"] = os.environ[INVOCATION]
        if dataset:
            name, path = dataset
            dataset = {"name": name, "path": str(Path(path).resolve()), "digest": file_digest(path)}
        self.record = {"experiment": experiment, "run_name": run_name, "start_time": _now_ms(), "tags": tags,
                       "params": {k: str(v)[:6000] for k, v in params.items()}, "dataset": dataset,
                       "metrics": [], "artifacts": [], "status": None, "end_time": None}
        self.run_id, self.offline, self._last = None, None, 0.0
        self._call(self._open)

    def _call(self, action, *args) -> None:
        """Run a store ``action``; the first failure switches the run to offline (recorded only)."""
        if self.offline:
            return
        try:
            with _client() as client:
                action(client, *args)
        except Exception as exc:  # any failure of the store: the job's results matter more than its log
            self.offline = f"{type(exc).__name__}: {str(exc)[:300]}"
            print(f"tracking: MLflow store {tracking_uri()} failed ({self.offline}); the job goes on and its "
                  f"run is written to {PENDING}/ (`balancebc sync-tracking` logs it later)", file=sys.stderr)

    def _open(self, client) -> None:
        r = self.record
        exp_id = _experiment_id(client, r["experiment"])
        close_stale(client, exp_id)
        tags = dict(r["tags"])
        parent = "invocation" in tags and _parent(client, exp_id, tags["invocation"])
        if parent:
            tags["mlflow.parentRunId"] = parent.info.run_id
        run = client.create_run(exp_id, start_time=r["start_time"], tags=tags, run_name=r["run_name"])
        self.run_id = run.info.run_id
        _log_all(client, self.run_id, r["params"], r["metrics"], r["dataset"])

    def log_metrics(self, metrics: dict[str, float], step: int = 0, every_s: float = 0.0) -> None:
        """Log ``metrics`` at ``step`` now; with ``every_s``, skip if the last call with
        ``every_s`` logged less than that many seconds ago."""
        if every_s and time.time() - self._last < every_s:
            return
        self._last = time.time()
        entries = [(k, float(v), _now_ms(), step) for k, v in metrics.items()]
        self.record["metrics"] += entries
        self._call(lambda client: _log_all(client, self.run_id, {}, entries, None))

    def add_artifacts(self, paths: list[str | Path]) -> None:
        """Files to log with the run when it closes."""
        self.record["artifacts"] += [str(Path(p).resolve()) for p in paths]

    def close(self, status: str) -> None:
        self.record.update(status=status, end_time=_now_ms())
        self._call(self._close)
        if self.offline:
            write_pending(self.record)

    def _close(self, client) -> None:
        for path in self.record["artifacts"]:
            client.log_artifact(self.run_id, path)
        client.set_terminated(self.run_id, self.record["status"], end_time=self.record["end_time"])


def _log_all(client, run_id: str, params: dict, metrics: list[tuple], dataset: dict | None) -> None:
    """Params, metrics (key, value, ms, step) and the dataset input, within MLflow's per-call limits."""
    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param
    flat = [Param(k, v) for k, v in params.items()]
    for i in range(0, len(flat), 100):
        client.log_batch(run_id, params=flat[i:i + 100])
    entries = [Metric(*m) for m in metrics]
    for i in range(0, len(entries), 1000):
        client.log_batch(run_id, metrics=entries[i:i + 1000])
    if dataset:
        source = json.dumps({"uri": dataset["path"]})
        client.log_inputs(run_id, [DatasetInput(Dataset(dataset["name"], dataset["digest"], "local", source),
                                                [InputTag("mlflow.data.context", "training")])])


PENDING = "logs/mlflow-pending"


def write_pending(record: dict) -> Path:
    from balancebc.io.atomic import write_json
    name = f"{record['experiment']}__{record['run_name']}__{record['start_time']}".replace("/", "_")
    path = Path(PENDING) / f"{name}.json"
    write_json(path, record)
    return path


def sync_pending(folder: str | Path = PENDING) -> list[str]:
    """Log every run recorded in ``folder`` while the store was unreachable, with its own
    start and end times, and remove each record once it is logged; the new run ids."""
    ids = []
    for path in sorted(Path(folder).glob("*.json")):
        r = json.loads(path.read_text())
        with _client() as client:
            exp_id = _experiment_id(client, r["experiment"])
            tags = dict(r["tags"])
            parent = "invocation" in tags and _parent(client, exp_id, tags["invocation"])
            if parent:
                tags["mlflow.parentRunId"] = parent.info.run_id
            run = client.create_run(exp_id, start_time=r["start_time"], tags=tags, run_name=r["run_name"])
            _log_all(client, run.info.run_id, r["params"], [tuple(m) for m in r["metrics"]], r["dataset"])
            for artefact in r["artifacts"]:
                if Path(artefact).is_file():
                    client.log_artifact(run.info.run_id, artefact)
            client.set_terminated(run.info.run_id, r["status"] or "KILLED", end_time=r["end_time"])
        path.unlink()
        ids.append(run.info.run_id)
    return ids


def flatten(prefix: str, value) -> dict:
    """{'a': {'b': 1}} → {'prefix.a.b': 1} for MLflow params."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flatten(f"{prefix}.{k}" if prefix else str(k), v))
        return out
    return {prefix: value}
