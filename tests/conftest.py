import contextlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "fixtures" / "params_tiny.yaml"
BIN = Path(sys.executable).parent


def tiny_params() -> dict:
    return yaml.safe_load(TINY.read_text())


def run(cmd, cwd, check=True, **kw):
    """Run a command with the environment's scripts (balancebc, snakemake, dvc) on PATH."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **kw.pop("env", {})}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, shell=isinstance(cmd, str), **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def make_project(dest: Path, params: dict | None = None) -> Path:
    """A copy of the pipeline's definition (not its results) with ``params`` as params.yaml,
    in a fresh git + DVC repository."""
    for name in ("Snakefile", "dvc.yaml", "workflow", "profiles", ".gitignore"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    (dest / "params.yaml").write_text(yaml.safe_dump(params or tiny_params(), sort_keys=False))
    run("git init -q && git config user.email t@t && git config user.name t && dvc init -q", dest)
    shutil.copy(REPO / ".dvc" / "config", dest / ".dvc" / "config")  # the repository's DVC settings
    return dest


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A project after `snakemake --cores 8` on the tiny params (tests/test_pipeline.py checks it)."""
    project = make_project(tmp_path_factory.mktemp("pipeline"))
    proc = run("snakemake --cores 8", project, timeout=600)
    assert "steps (100%) done" in proc.stderr
    return project


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving_mlflow(root: Path):
    """An `mlflow server` on 127.0.0.1 (SQLite behind it, artefacts served) while inside:
    its URI and its process (``os.killpg(server.pid, 9)`` takes it away)."""
    import time
    import urllib.request
    port = free_port()
    log = (root / "server.log").open("w")
    server = subprocess.Popen([str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
                               "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
                               "--artifacts-destination", str(root / "artifacts")],
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"mlflow server did not start:\n{(root / 'server.log').read_text()[-2000:]}") from None
                time.sleep(0.5)
        yield uri, server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 15)  # the server and its worker processes
            server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    with serving_mlflow(tmp_path_factory.mktemp("mlflow_server")) as (uri, _):
        yield uri


def complete(section: str, spec: dict) -> dict:
    """``spec`` (a scenario or a method) with the schema's defaults filled in, as the stages see it."""
    from balancebc.params import complete_method, validate
    if section == "methods":  # checked on its own: a method's entry, not against the tiny scenarios
        return complete_method(spec)
    params = tiny_params()
    params[section] = {**params[section], "x": spec}
    return validate(params)[section]["x"]


def make_dataset(scenario: dict, out) -> dict:
    """Write a scenario kind's dataset, as the generate stage does."""
    from balancebc import registry
    scenario = complete("scenarios", scenario)
    return registry.SCENARIOS[scenario["kind"]].make_dataset(scenario, str(out))


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """A small generated `pick` dataset (two demos per region), shared by the tests."""
    out = tmp_path_factory.mktemp("tiny") / "dataset.hdf5"
    make_dataset({**tiny_params()["scenarios"]["pick"], "demos": {"left": 2, "middle": 2, "right": 2}}, out)
    return out


def within_binomial_error(draws: np.ndarray, expected: np.ndarray, sigmas: float = 4.0) -> bool:
    """Empirical shares of ``draws`` (behavior indices) against ``expected``, each within
    ``sigmas`` binomial standard errors."""
    n = len(draws)
    shares = np.bincount(draws, minlength=len(expected)) / n
    return bool(np.all(np.abs(shares - expected) <= sigmas * np.sqrt(expected * (1 - expected) / n) + 1e-12))


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's headless Chromium, installed here (as root, with apt) when missing."""
    found = shutil.which("chromium")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
            "chromium", ".", check=False, timeout=600)
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("Debian's chromium is not installed and cannot be installed here (needs root and apt-get)")
    return found
