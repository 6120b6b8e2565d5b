"""Import a dataset in CALVIN's on-disk layout into robomimic's HDF5 format.

CALVIN (Mees et al.) stores one ``episode_XXXXXXX.npz`` per frame (keys ``actions``,
``rel_actions``, ``robot_obs``, ``scene_obs``, images we do not read),
``ep_start_end_ids.npy`` (inclusive frame ranges of the recorded episodes) and
``lang_annotations/auto_lang_ann.npy``: a pickled dict whose ``info/indx`` lists the
inclusive (start, end) frames of each annotated segment and ``language/task`` its task
name. Its ``training/`` and ``validation/`` folders become ``mask/train`` and
``mask/valid``.

Each annotated segment becomes one demo: ``obs/robot_obs``, ``obs/scene_obs``, actions =
``rel_actions`` (already scaled to [-1, 1], as robomimic expects), states = robot and
scene observation side by side. Its behavior is its task name, or the group that the
scenario's ``behaviors`` mapping puts the task in.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import Demo, check_finite, write_dataset

OBS_KEYS = ["robot_obs", "scene_obs"]
FRAME_KEYS = ("rel_actions", "robot_obs", "scene_obs")
SPLITS = {"training": "train", "validation": "valid"}
ENV_ARGS = {"env_name": "calvin", "type": 2, "env_kwargs": {},
            "note": "imported from CALVIN; rollouts need calvin_env, which is not on the package index"}


class _ArraysOnly(pickle.Unpickler):
    """Unpickles what CALVIN's annotation file holds (dicts, lists, strings, numbers,
    numpy arrays) and refuses every other global, so a crafted file cannot run code."""
    ALLOWED = {(m, n) for m in ("numpy.core.multiarray", "numpy._core.multiarray") for n in ("_reconstruct", "scalar")}
    ALLOWED |= {("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"it names {module}.{name}, which is not an array, list, dict or string")
        return super().find_class(module, name)


def load_object_npy(path: Path):
    """The object a ``.npy`` file of one pickled object (``np.save`` of a dict) holds,
    through ``_ArraysOnly`` rather than ``np.load(allow_pickle=True)``."""
    with open(path, "rb") as f:
        major, _ = np.lib.format.read_magic(f)
        if major not in (1, 2):
            raise ValueError(f".npy format version {major} (expected 1 or 2)")
        shape, _, dtype = (np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0)(f)
        if not dtype.hasobject or shape != ():
            raise ValueError(f"an array of {dtype} with shape {shape}, not one pickled object")
        return _ArraysOnly(f).load().item()


def read_annotations(split_dir: Path) -> list[tuple[int, int, str]]:
    path = split_dir / "lang_annotations" / "auto_lang_ann.npy"
    if not path.is_file():
        raise BalanceBCError(f"{path}: language annotations not found (expected CALVIN's "
                             "lang_annotations/auto_lang_ann.npy)")
    try:
        ann = load_object_npy(path)
        indx, tasks = ann["info"]["indx"], ann["language"]["task"]
    except (KeyError, TypeError, ValueError, AttributeError, pickle.UnpicklingError, EOFError) as exc:
        raise BalanceBCError(f"{path}: expected a dict with info/indx and language/task ({exc})") from None
    if len(indx) != len(tasks):
        raise BalanceBCError(f"{path}: info/indx has {len(indx)} segments but language/task {len(tasks)}")
    return [(int(s), int(e), str(t)) for (s, e), t in zip(indx, tasks)]


def read_segment(split_dir: Path, start: int, end: int) -> dict[str, np.ndarray]:
    frames = {k: [] for k in FRAME_KEYS}
    for i in range(start, end + 1):
        path = split_dir / f"episode_{i:07d}.npz"
        if not path.is_file():
            raise BalanceBCError(f"{path}: frame {i} of the annotated segment {start}–{end} is missing")
        with np.load(path) as frame:
            missing = [k for k in FRAME_KEYS if k not in frame]
            if missing:
                raise BalanceBCError(f"{path}: missing keys {missing} (expected {list(FRAME_KEYS)})")
            for k in FRAME_KEYS:
                frames[k].append(np.asarray(frame[k], dtype=np.float64))
    return {k: np.stack(v) for k, v in frames.items()}


def behavior_of(task: str, groups: dict[str, list[str]] | None) -> str | None:
    if not groups:
        return task
    return next((b for b, tasks in groups.items() if task in tasks), None)


def to_demo(segment: dict[str, np.ndarray], task: str, behavior: str, where: str) -> Demo:
    check_finite(where, segment)
    actions = segment["rel_actions"]
    if np.abs(actions).max() > 1.0 + 1e-6:
        raise BalanceBCError(f"{where}: rel_actions outside [-1, 1] (max |a| = {np.abs(actions).max():.3g})")
    n = len(actions)
    obs = {k: segment[k].astype(np.float32) for k in OBS_KEYS}
    next_obs = {k: np.concatenate([v[1:], v[-1:]]) for k, v in obs.items()}
    dones = np.zeros(n, dtype=np.int64)
    dones[-1] = 1
    return Demo(actions=actions.astype(np.float32), states=np.concatenate([segment[k] for k in OBS_KEYS], axis=1),
                rewards=np.zeros(n), dones=dones, obs=obs, next_obs=next_obs,
                attrs={"behavior": behavior, "task": task, "source": where})


def import_calvin(scenario: dict, out: str) -> dict[str, int]:
    """Write the annotated segments of a CALVIN dataset as one robomimic file."""
    root = Path(scenario["path"])
    if not root.is_dir():
        raise BalanceBCError(f"{root}: CALVIN dataset folder not found")
    split_dirs = {split: root / name for name, split in SPLITS.items() if (root / name).is_dir()}
    if "train" not in split_dirs:
        raise BalanceBCError(f"{root}: no training/ folder (expected CALVIN's training/ and validation/)")
    groups = scenario.get("behaviors")
    demos, names = [], {"train": [], "valid": []}
    by_behavior: dict[str, list[str]] = {b: [] for b in groups} if groups else {}
    skipped = set()
    for split, folder in split_dirs.items():
        for start, end, task in read_annotations(folder):
            behavior = behavior_of(task, groups)
            if behavior is None:
                skipped.add(task)
                continue
            where = f"{folder}/episode_{start:07d}.npz–{end:07d}"
            demo = to_demo(read_segment(folder, start, end), task, behavior, where)
            name = f"demo_{len(demos)}"
            demos.append(demo)
            names[split].append(name)
            by_behavior.setdefault(behavior, []).append(name)
    if not demos:
        raise BalanceBCError(f"{root}: no annotated segment belongs to a behavior "
                             f"(tasks seen: {sorted(skipped)})")
    empty = [b for b, members in by_behavior.items() if not members]
    if empty:
        raise BalanceBCError(f"{root}: scenario behaviors {empty} match no annotated task "
                             f"(tasks seen: {sorted({d.attrs['task'] for d in demos} | skipped)})")
    if not names["valid"]:
        raise BalanceBCError(f"{root}: no annotated segment in validation/: the held-out split needs one")
    write_dataset(out, demos, ENV_ARGS, {**by_behavior, **names})
    return {b: len(m) for b, m in by_behavior.items()}
