import pytest

from balancebc.io.atomic import atomic_path, write_json


def test_failed_write_leaves_neither_file_nor_temporary(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_failed_rewrite_keeps_the_previous_file(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("{")
            raise RuntimeError("killed")
    assert target.read_text().strip().startswith("{\n  \"v\": 1")
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


@pytest.mark.parametrize("writer", ["json", "hdf5", "torch"])
def test_a_write_past_a_file_size_limit_is_a_clear_error(tmp_path, writer):
    """As on a full disk: each writer's own failure becomes one error naming the file."""
    import subprocess
    import sys
    code = f"""
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
import numpy as np
from balancebc.io.atomic import atomic_path, write_json
target = {str(tmp_path / 'out')!r}
if {writer!r} == "json":
    write_json(target, list(range(100000)))
elif {writer!r} == "hdf5":
    from balancebc.io.robomimic_hdf5 import hdf5_writer
    with hdf5_writer(target) as f:
        f.create_dataset("a", data=np.zeros(100000))
else:
    import torch
    with atomic_path(target) as tmp:
        torch.save(torch.zeros(100000), tmp)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"BalanceBCError: {tmp_path / 'out'}: writing it failed" in proc.stderr, proc.stderr[-1500:]
    assert list(tmp_path.iterdir()) == []
