"""NaN or ±inf in actions or observations is rejected, imported or generated: the error
names the file, the demo and the key, and nothing is written."""
import h5py
import numpy as np
import pytest

from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import Demo, write_dataset
from balancebc.sources.calvin import import_calvin
from balancebc.sources.robomimic import import_robomimic

from fixtures.calvin import write_calvin
from fixtures.robomimic_file import OBS_KEYS, write_lift_file

SCENARIO = {"kind": "robomimic", "behaviors": {"better": ["better"], "worse": ["worse"]}, "obs_keys": OBS_KEYS,
            "valid_fraction": 0.2, "seed": 0, "horizon": 100}


@pytest.mark.parametrize("key, index, value, message", [
    ("actions", (3, 1), np.nan, r"data/demo_2: actions has 1 non-finite entries \(NaN or ±inf\) of 210, "
                                r"the first at step 3; expected finite values"),
    ("obs/robot0_eef_pos", (7, 0), np.inf, r"data/demo_2: obs/robot0_eef_pos has 1 non-finite entries \(NaN or ±inf\) "
                                           r"of 90, the first at step 7; expected finite values"),
])
def test_robomimic_import_rejects_non_finite(tmp_path, key, index, value, message):
    src = write_lift_file(tmp_path / "lift.hdf5", better=2, worse=1, synthetic=True)
    with h5py.File(src, "r+") as f:
        f[f"data/demo_2/{key}"][index] = value
    out = tmp_path / "dataset.hdf5"
    with pytest.raises(BalanceBCError, match=message) as err:
        import_robomimic({**SCENARIO, "path": str(src)}, str(out))
    assert str(err.value).startswith(f"{src}: ")
    assert not out.exists()


def test_calvin_import_rejects_non_finite(tmp_path):
    root = write_calvin(tmp_path / "calvin", {"open_drawer": 2}, {"open_drawer": 1}, length=5)
    frame = root / "training" / "episode_0000012.npz"  # the second segment: frames 10–14
    with np.load(frame) as f:
        arrays = dict(f)
    arrays["robot_obs"][4] = np.nan
    np.savez_compressed(frame, **arrays)
    out = tmp_path / "dataset.hdf5"
    with pytest.raises(BalanceBCError, match=r"robot_obs has 1 non-finite entries \(NaN or ±inf\) of 75, "
                                             r"the first at step 2; expected finite values") as err:
        import_calvin({"path": str(root)}, str(out))
    assert str(err.value).startswith(f"{root / 'training'}/episode_0000010.npz–0000014: ")
    assert not out.exists()


def _demo(state: np.ndarray) -> Demo:
    n = len(state)
    return Demo(actions=np.zeros((n, 2)), states=state, rewards=np.zeros(n), dones=np.r_[np.zeros(n - 1), 1].astype(int),
                obs={"state": state}, next_obs={"state": state})


def test_write_dataset_leaves_an_earlier_file_as_it_was(tmp_path):
    out = tmp_path / "dataset.hdf5"
    good = _demo(np.ones((4, 3)))
    write_dataset(out, [good, good], {}, {"a": ["demo_0", "demo_1"]})
    before = out.read_bytes()
    bad = np.ones((4, 3))
    bad[2, 1] = np.nan
    with pytest.raises(BalanceBCError, match=r"data/demo_1: states has 1 non-finite entries .* expected finite values") as err:
        write_dataset(out, [good, _demo(bad)], {}, {"a": ["demo_0", "demo_1"]})
    assert str(err.value).startswith(f"{out}: ")
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["dataset.hdf5"]  # no temporary file left behind
