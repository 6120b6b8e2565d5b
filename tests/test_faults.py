"""Faults injected into the tiny pipeline's finished project (a copy of it per test): a job
of each stage killed with SIGKILL at a random point, then rerun; Snakemake itself killed;
a second Snakemake on the same working copy; a full disk during an artefact's write; a
flipped byte in a dataset and in a checkpoint. Each must end in the same artefacts as the
uninterrupted run, or in a clear error with nothing already written lost."""
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
# stage → (rule, the job's main output), from the DAG's end back to its start, so that a
# rerun job's new files never make Snakemake rerun another stage's job the test checks
JOBS = {
    "report": ("report", paths.report_file("pick", "results.csv")),
    "evaluate": ("evaluate", paths.evaluation(*POLICY)),
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


def job_seconds(project, stage) -> float:
    bench = {"generate": paths.benchmark("generate", "pick", 0), "label": paths.benchmark("label", "pick", 0),
             "report": paths.benchmark("report", "pick")}.get(stage) or paths.benchmark(stage, "pick", 0, POLICY[1], 0)
    return float(next(csv.DictReader(open(project / bench), delimiter="\t"))["s"])


def kill_job_when_running(proc, stage, delay) -> bool:
    """SIGKILL the ``balancebc <stage>`` process under ``proc`` ``delay`` s after it starts; whether it was killed."""
    parent = psutil.Process(proc.pid)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        jobs = [p for p in parent.children(recursive=True) if f"balancebc {stage}" in " ".join(p.cmdline())
                or p.cmdline()[1:3] == [str(BIN / "balancebc"), stage]]
        if jobs:
            time.sleep(delay)
            for p in jobs:
                try:
                    p.send_signal(signal.SIGKILL)
                except psutil.NoSuchProcess:
                    return False
            return True
        time.sleep(0.05)
    return False


def test_a_job_of_each_stage_killed_at_a_random_point_reruns_to_the_same_artefacts(copy):
    rng = random.Random(int(os.environ.get("BALANCEBC_FAULT_SEED", "0")))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for stage, (rule, target) in JOBS.items():
        reference = {f: content(copy / f) for f in outputs(copy, stage)}
        delay = rng.uniform(0.05, 0.95) * job_seconds(copy, stage)
        proc = subprocess.Popen(f"snakemake --cores 1 --forcerun {rule} {target}", shell=True, cwd=copy, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        killed = kill_job_when_running(proc, stage, delay)
        _, err = proc.communicate(timeout=600)
        where = f"{stage} killed after {delay:.1f} s (killed: {killed})"
        assert proc.returncode == (1 if killed else 0), f"{where}:\n{err[-2000:]}"
        for f in reference:  # nothing half-written under a final name
            assert not (copy / f).exists() or content(copy / f) == reference[f], where
        rerun = run(f"snakemake --cores 1 {target}", copy, timeout=600)
        assert "steps (100%) done" in rerun.stderr or "Nothing to be done" in rerun.stdout + rerun.stderr
        for f, expected in reference.items():
            assert content(copy / f) == expected, f"{where}: {f} differs after the rerun"
        assert not [t for f in reference for t in (copy / f).parent.glob(".*.tmp")], where  # the rerun cleared them


def test_snakemake_killed_mid_job_recovers_after_unlock(copy):
    reference = {f: content(copy / f) for f in outputs(copy, "train")}
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen(f"snakemake --cores 1 --forcerun train {JOBS['train'][1]}", shell=True, cwd=copy,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    parent = psutil.Process(proc.pid)
    while not any("train" in " ".join(p.cmdline()) and "balancebc" in " ".join(p.cmdline())
                  for p in parent.children(recursive=True)):
        time.sleep(0.05)
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
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    first = subprocess.Popen(f"snakemake --cores 1 --forcerun train {JOBS['train'][1]}", shell=True, cwd=copy,
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(first.pid)
    while not any("balancebc" in " ".join(p.cmdline()) for p in parent.children(recursive=True)):
        time.sleep(0.05)
    second = run(f"snakemake --cores 1 --forcerun train {JOBS['train'][1]}", copy, check=False)
    assert second.returncode != 0 and "cannot be locked" in second.stderr
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-2000:]
    for f, expected in reference.items():
        assert content(copy / f) == expected


def _full_disk():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


@pytest.mark.parametrize("stage, args", [("generate", "--scenario pick --replicate 0"),
                                         ("train", "--scenario pick --replicate 0 --method dro_metagrad --seed 0")])
def test_a_full_disk_is_a_clear_error_and_loses_nothing(copy, stage, args):
    before = {f: (copy / f).read_bytes() for f in outputs(copy, stage)}
    proc = subprocess.run(f"{BIN / 'balancebc'} {stage} {args}", shell=True, cwd=copy, capture_output=True, text=True,
                          preexec_fn=_full_disk, timeout=600)
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
