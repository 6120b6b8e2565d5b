"""Stages given a missing or corrupt dataset stop with one clear line and write nothing."""
import yaml

from conftest import run, tiny_params


def _project(tmp_path):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(tiny_params()))
    return tmp_path


def test_label_with_missing_dataset(tmp_path):
    proc = run("balancebc label --scenario pick --replicate 0", _project(tmp_path), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "data/pick/rep0/dataset.hdf5: dataset file not found" in proc.stderr
    assert not (tmp_path / "data" / "pick" / "rep0" / "labels.json").exists()


def test_label_with_corrupt_dataset(tmp_path):
    (tmp_path / "data" / "pick" / "rep0").mkdir(parents=True)
    (tmp_path / "data" / "pick" / "rep0" / "dataset.hdf5").write_bytes(b"not an hdf5 file at all")
    proc = run("balancebc label --scenario pick --replicate 0", _project(tmp_path), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "data/pick/rep0/dataset.hdf5: not a readable HDF5 file" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "data" / "pick" / "rep0").iterdir()) == ["dataset.hdf5"]


def test_train_with_missing_dataset(tmp_path):
    proc = run("balancebc train --scenario pick --replicate 0 --method natural --seed 0", _project(tmp_path), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "dataset file not found" in proc.stderr
    assert not (tmp_path / "results").exists()


def test_unknown_method_names_the_choices(tmp_path):
    proc = run("balancebc weights --scenario pick --replicate 0 --method bogus --seed 0", _project(tmp_path), check=False)
    assert proc.returncode == 2
    assert "--method 'bogus': not in params.yaml methods (expected one of ['dro_metagrad', 'natural', 'temperature_warm'])" in proc.stderr


def test_offline_evaluation_of_a_behavior_without_held_out_demos(tmp_path):
    """A behavior with one demo has no held-out demo: its held-out loss is an error that says
    so, not a NaN in the results."""
    params = tiny_params()
    params["scenarios"] = {"gaussian": {**params["scenarios"]["gaussian"], "samples": {"common": 400, "rare": 20}}}
    params["replicates"], params["checkpoints"] = [0], [1.0]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    job = "--scenario gaussian --replicate 0"
    for stage in (f"generate {job}", f"label {job}", f"weights {job} --method natural --seed 0",
                  f"train {job} --method natural --seed 0"):
        run(f"balancebc {stage}", tmp_path)
    proc = run(f"balancebc evaluate {job} --method natural --seed 0", tmp_path, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "behavior(s) ['rare'] have no held-out demo" in proc.stderr
    assert not (tmp_path / "results" / "gaussian" / "eval").exists()
