"""Faults injected into the tiny pipeline's finished project (a copy of it per test): a job
of each stage killed with SIGKILL at a random point, then rerun; Snakemake itself killed;
a second Snakemake on the same working copy; a full disk during an artefact's write; a
flipped byte in a dataset and in a checkpoint. Each must end in the same artefacts as the
uninterrupted run, or in a clear error with nothing already written lost."""
import contextlib
import csv
import json
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import time
import zipfile

import h5py
import numpy as np
import psutil
import pytest
import torch

from balancebc import paths

from conftest import BIN, run

pytestmark = pytest.mark.slow

POLICY = ("pick", "dro_metagrad", 0, 0)
EVALUATED = ("gaussian", "dro_metagrad", 0, 0)  # offline: the same atomic write as after rollouts, in seconds
# stage → (rule, the job's main output), from the DAG's end back to its start, so that a
# rerun job's new files never make Snakemake rerun another stage's job the test checks
JOBS = {
    "report": ("report", paths.report_file("pick", "results.csv")),
    "evaluate": ("evaluate", paths.evaluation(*EVALUATED)),
    "train": ("train", paths.checkpoint(*POLICY)),
    "weights": ("weights", paths.weights(*POLICY)),
    "label": ("label", paths.labelled("pick", 0)),
    "generate": ("generate", paths.dataset("pick", 0)),
}


@pytest.fixture
def copy(tiny_run, tmp_path):
    dest = tmp_path / "project"
    shutil.copytree(tiny_run, dest, symlinks=True)
    return dest


def content(path):
    """What must not change: arrays and attributes of HDF5 files, a checkpoint's tensors,
    JSON (without timings) and CSV."""
    path = str(path)
    if path.endswith(".hdf5"):
        out = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda k, v: out.__setitem__(k, v[()].tolist() if isinstance(v, h5py.Dataset) else
                                                       dict(v.attrs)))
            out["/"] = {k: str(v) for k, v in f.attrs.items()}
        return out
    if path.endswith(".pth"):
        model = torch.load(path, weights_only=True)["model"]
        return {k: v.tolist() for k, v in model.items()} if isinstance(model, dict) else model
    if path.endswith(".json"):
        data = json.loads(open(path).read())
        data.pop("seconds", None)
        return data
    return list(csv.reader(open(path)))


def outputs(project, stage):
    """Every output of the stage's job (what its rerun must reproduce)."""
    if stage == "generate":
        return [paths.dataset("pick", 0)]
    if stage == "label":
        return [paths.labelled("pick", 0), paths.labels("pick", 0)]
    if stage == "train":
        return [*paths.checkpoints(*POLICY, [0.5, 1.0]).values(), paths.train_log(*POLICY)]
    if stage == "report":
        return [paths.report_file("pick", n) for n in ("results.csv", "metrics.json")]
    return [JOBS[stage][1]]


def cmdline(p) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:  # gone, or a zombie
        return ""


def job_processes(proc, stage) -> list:
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        return []
    return [p for p in children if f"balancebc {stage}" in cmdline(p)]


def running(p) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def forcing(copy, rule, target, **popen) -> subprocess.Popen:
    """Snakemake rerunning the job of ``target`` (started, not waited for)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.Popen(f"snakemake --cores 1 {target} --forcerun {rule}", shell=True, cwd=copy, env=env,
                            stdout=subprocess.DEVNULL, **popen)


def job_started(proc, stage) -> list:
    """The processes of the ``balancebc <stage>`` job under ``proc``, once they run ([] if ``proc`` ended first)."""
    jobs = []
    while proc.poll() is None and not (jobs := job_processes(proc, stage)):
        time.sleep(0.02)
    return jobs


def forced_run(copy, rule, target, stage, kill_after=None) -> tuple[subprocess.Popen, float, bool]:
    """Snakemake rerunning the job of ``target``; with ``kill_after``, its ``balancebc``
    process is killed (SIGKILL) that many seconds after it starts. Returns Snakemake, how
    long the job's process ran (s) and whether it was killed."""
    proc = forcing(copy, rule, target, stderr=subprocess.PIPE, text=True)
    jobs = job_started(proc, stage)
    started, killed = time.time(), False
    while proc.poll() is None and any(map(running, jobs)):
        if kill_after is not None and time.time() - started >= kill_after:
            for p in jobs:
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.02)
    ran = time.time() - started
    proc.wait(timeout=600)
    return proc, ran, killed


def test_a_job_of_each_stage_killed_at_a_random_point_reruns_to_the_same_artefacts(copy):
    rng = random.Random(int(os.environ.get("BALANCEBC_FAULT_SEED", "0")))
    killed_in = []
    for stage, (rule, target) in JOBS.items():
        reference = {f: content(copy / f) for f in outputs(copy, stage)}
        proc, seconds, _ = forced_run(copy, rule, target, stage)  # how long the job takes here, uninterrupted
        assert proc.returncode == 0, proc.stderr.read()[-2000:]
        delay = rng.uniform(0.05, 0.95) * seconds
        proc, _, killed = forced_run(copy, rule, target, stage, kill_after=delay)
        where = f"{stage} killed after {delay:.1f} s of {seconds:.1f} s (killed: {killed})"
        assert proc.returncode == (1 if killed else 0), f"{where}:\n{proc.stderr.read()[-2000:]}"
        killed_in += [stage] * killed
        for f in reference:  # nothing half-written under a final name
            assert not (copy / f).exists() or content(copy / f) == reference[f], where
        rerun = run(f"snakemake --cores 1 {target}", copy, timeout=600)
        assert "steps (100%) done" in rerun.stderr or "Nothing to be done" in rerun.stdout + rerun.stderr
        for f, expected in reference.items():
            assert content(copy / f) == expected, f"{where}: {f} differs after the rerun"
        assert not [t for f in reference for t in (copy / f).parent.glob(".*.tmp")], where  # the rerun cleared them
    assert len(killed_in) >= len(JOBS) - 1, killed_in  # a job may end before its kill comes; most must not


def test_snakemake_killed_mid_job_recovers_after_unlock(copy):
    reference = {f: content(copy / f) for f in outputs(copy, "train")}
    proc = forcing(copy, *JOBS["train"], stderr=subprocess.DEVNULL, start_new_session=True)
    assert job_started(proc, "train")
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and its job, as a lost terminal or an OOM kill would
    proc.wait()
    locked = run(f"snakemake --cores 1 {JOBS['train'][1]}", copy, check=False)
    assert locked.returncode != 0 and "--unlock" in locked.stderr  # Snakemake's own message says what to do
    run("snakemake --unlock", copy)
    run(f"snakemake --cores 1 {JOBS['train'][1]}", copy, timeout=600)  # rerun-incomplete (the profile) reruns it
    for f, expected in reference.items():
        assert content(copy / f) == expected


def test_a_second_snakemake_on_the_same_working_copy_is_refused(copy):
    reference = {f: content(copy / f) for f in outputs(copy, "train")}
    first = forcing(copy, *JOBS["train"], stderr=subprocess.PIPE, text=True)
    jobs = job_started(first, "train")
    assert jobs
    for p in jobs:  # held (SIGSTOP) while the second starts, so that it cannot end first on a slow machine
        p.suspend()
    try:
        second = run(f"snakemake --cores 1 {JOBS['train'][1]} --forcerun train", copy, check=False)
    finally:
        for p in jobs:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.resume()
    assert second.returncode != 0 and "cannot be locked" in second.stderr
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-2000:]
    for f, expected in reference.items():
        assert content(copy / f) == expected


def _full_disk(limit):
    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limited


@pytest.mark.parametrize("stage, args, limit", [  # each limit is below what the stage writes (tiny: 570 KB, 20 KB)
    ("generate", "--scenario pick --replicate 0", 200_000),
    ("train", "--scenario pick --replicate 0 --method dro_metagrad --seed 0", 10_000)])
def test_a_full_disk_is_a_clear_error_and_loses_nothing(copy, stage, args, limit):
    before = {f: (copy / f).read_bytes() for f in outputs(copy, stage)}
    proc = subprocess.run(f"{BIN / 'balancebc'} {stage} {args}", shell=True, cwd=copy, capture_output=True, text=True,
                          preexec_fn=_full_disk(limit), timeout=600)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "writing it failed" in proc.stderr and "nothing was replaced" in proc.stderr
    assert any(f in proc.stderr for f in before)  # it names the file
    for f, data in before.items():  # what the earlier run wrote is still there, whole
        assert (copy / f).read_bytes() == data
    assert not [p for f in before for p in (copy / f).parent.glob(".*.tmp")]


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ 0xFF]))


def test_a_flipped_byte_in_a_dataset_or_a_checkpoint_is_caught_before_use(copy):
    dataset = copy / paths.dataset("pick", 0)
    with h5py.File(dataset, "r") as f:
        chunk = f["data/demo_0/actions"].id.get_chunk_info(0)
    flip_byte(dataset, chunk.byte_offset + chunk.size // 2)
    labelled = (copy / paths.labelled("pick", 0)).read_bytes()
    proc = run("balancebc label --scenario pick --replicate 0", copy, check=False)
    assert proc.returncode == 2
    assert f"{paths.dataset('pick', 0)}: data/demo_0/actions cannot be read back" in proc.stderr
    assert "delete it and rerun the stage that makes it" in proc.stderr
    assert (copy / paths.labelled("pick", 0)).read_bytes() == labelled
    for stage in ("weights", "train", "evaluate"):  # every later stage refuses it too
        proc = run(f"balancebc {stage} --scenario pick --replicate 0 --method natural --seed 0", copy, check=False)
        assert proc.returncode == 2 and "data/demo_0/actions cannot be read back" in proc.stderr, stage

    checkpoint = copy / paths.checkpoint("gaussian", "natural", 0, 0)
    with zipfile.ZipFile(checkpoint) as z:  # a byte of the stored tensor, past its entry's local header
        entry = next(i for i in z.infolist() if "/data/" in i.filename)
    with open(checkpoint, "rb") as f:
        f.seek(entry.header_offset + 26)
        name_len, extra_len = struct.unpack("<HH", f.read(4))
    flip_byte(checkpoint, entry.header_offset + 30 + name_len + extra_len + 2)
    evaluation = (copy / paths.evaluation("gaussian", "natural", 0, 0)).read_bytes()
    proc = run("balancebc evaluate --scenario gaussian --replicate 0 --method natural --seed 0", copy, check=False)
    assert proc.returncode == 2 and "fails its CRC-32 check" in proc.stderr, proc.stderr[-2000:]
    assert (copy / paths.evaluation("gaussian", "natural", 0, 0)).read_bytes() == evaluation
    assert np.isfinite(json.loads(evaluation)["units"]["common"]["loss"])
