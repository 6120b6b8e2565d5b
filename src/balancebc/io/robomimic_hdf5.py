"""robomimic's HDF5 dataset format: writing demos and filter keys, reading them back
with errors that name the file and the key.

Layout (robomimic "Dataset Structure"): ``data`` with attrs ``total`` and ``env_args``
(JSON), groups ``data/demo_<i>`` with ``actions``, ``states``, ``rewards``, ``dones``,
``obs/<key>``, ``next_obs/<key>`` and attrs ``num_samples``, ``model_file``; filter keys
``mask/<name>``: 1-D arrays of demo names as bytes.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from balancebc.errors import BalanceBCError
from balancebc.io.atomic import atomic_path

CHECKSUMMED = "v110"  # HDF5 1.10's format: checksummed object headers (readable by h5py >= 2.9)


@dataclass
class Demo:
    actions: np.ndarray
    states: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray
    obs: dict[str, np.ndarray]
    next_obs: dict[str, np.ndarray]
    model_file: str = ""
    attrs: dict = field(default_factory=dict)


def demo_name(index: int) -> str:
    return f"demo_{index}"


def demo_number(name: str) -> int:
    """The integer robomimic sorts demos on (``demo_12`` → 12); -1 for any other name."""
    match = re.fullmatch(r"demo_(\d+)", name)
    return int(match.group(1)) if match else -1


def sorted_demos(names) -> list[str]:
    """Demo names in robomimic's order (by their integer, not as strings)."""
    return sorted(names, key=demo_number)


def split_train_valid(names_by_behavior: dict[str, list[str]], valid_fraction: float,
                      seed: int) -> tuple[list[str], list[str]]:
    """Hold out ``valid_fraction`` of each behavior's demos (at least one when it has two),
    drawn with ``seed``; the train and valid demo names, each in robomimic's order."""
    rng = np.random.default_rng(seed)
    train, valid = [], []
    for names in names_by_behavior.values():
        names = list(rng.permutation(names))
        n_valid = 0 if valid_fraction == 0 or len(names) < 2 else max(1, round(valid_fraction * len(names)))
        valid += names[:n_valid]
        train += names[n_valid:]
    return sorted_demos(train), sorted_demos(valid)


def demo_arrays(demo: Demo) -> dict[str, np.ndarray]:
    """A demo's arrays by their key in the file: ``actions``, ``states``, ``rewards``,
    ``dones``, ``obs/<key>``, ``next_obs/<key>``."""
    return {**{key: getattr(demo, key) for key in ("actions", "states", "rewards", "dones")},
            **{f"{prefix}/{key}": value for prefix in ("obs", "next_obs") for key, value in getattr(demo, prefix).items()}}


def check_finite(where: str, arrays: dict) -> None:
    """Raise unless every float array in ``arrays`` (key → array or HDF5 dataset) is finite:
    one NaN or ±inf poisons the normalization statistics and every gradient step after it.
    ``where`` names the file and the demo the arrays came from."""
    for key, value in arrays.items():
        if value.dtype.kind != "f":  # dones, images, names: nothing to check, nothing read
            continue
        finite = np.isfinite(np.asarray(value))
        if not finite.all():
            step = int(np.argwhere(~finite)[0][0]) if finite.ndim else 0
            raise BalanceBCError(f"{where}: {key} has {finite.size - np.count_nonzero(finite)} non-finite "
                                 f"entries (NaN or ±inf) of {finite.size}, the first at step {step}; "
                                 "expected finite values")


@contextlib.contextmanager
def hdf5_writer(path: str | Path):
    """An HDF5 file built in memory, then written to ``path`` atomically in one plain write:
    HDF5 cannot report a write that fails half-way (a full disk) and may crash, Python's
    own file objects raise an error that ``atomic_path`` turns into a clear one."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", libver=CHECKSUMMED) as f:
        yield f
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def write_dataset(path: str | Path, demos: list[Demo], env_args: dict,
                  masks: dict[str, list[str]], attrs: dict | None = None) -> None:
    """Write ``demos`` as ``demo_0..`` with ``masks`` as filter keys (and ``attrs`` on
    ``data`` beside robomimic's ``total`` and ``env_args``), atomically; nothing
    is written (an earlier file is left as it was) if any demo holds NaN or ±inf."""
    for i, demo in enumerate(demos):
        check_finite(f"{path}: data/{demo_name(i)}", demo_arrays(demo))
    with hdf5_writer(path) as f:
        data = f.create_group("data")
        total = 0
        for i, demo in enumerate(demos):
            g = data.create_group(demo_name(i))
            for key, value in demo_arrays(demo).items():
                g.create_dataset(key, data=value, fletcher32=True)  # io.integrity checks it
            g.attrs["num_samples"] = len(demo.actions)
            g.attrs["model_file"] = demo.model_file
            for key, value in demo.attrs.items():
                g.attrs[key] = value
            total += len(demo.actions)
        data.attrs["total"] = total
        data.attrs["env_args"] = json.dumps(env_args)
        for key, value in (attrs or {}).items():
            data.attrs[key] = value
        for name, members in masks.items():
            f.create_dataset(f"mask/{name}", data=np.array(members, dtype="S"), fletcher32=True)


SPLITS = ("train", "valid")


def write_labelled(path: str | Path, dataset: str | Path, behaviors: dict[str, list[str]],
                   splits: dict[str, list[str]]) -> None:
    """A robomimic file whose filter keys are the label stage's ``behaviors`` and ``splits``
    (``train`` / ``valid``) and whose ``data`` is an HDF5 external link to ``dataset``:
    robomimic's own tools (``SequenceDataset(filter_by_attribute=...)``) and every later
    stage read the labels from it without a copy of the demos. The link is relative, so
    the pair can move together; ``attrs["behaviors"]`` keeps the behaviors' order."""
    path = Path(path)
    with hdf5_writer(path) as f:
        f["data"] = h5py.ExternalLink(os.path.relpath(Path(dataset).resolve(), path.parent.resolve()), "/data")
        f.attrs["behaviors"] = json.dumps(list(behaviors))
        for name, members in {**behaviors, **splits}.items():
            f.create_dataset(f"mask/{name}", data=np.array(members, dtype="S"), fletcher32=True)


@dataclass
class Labelled:
    """A labelled robomimic file: each demo's behavior and split (``train`` / ``valid``)."""
    path: str
    behaviors: list[str]
    demo_behavior: dict[str, str]   # in robomimic's demo order
    split: dict[str, str]           # demo → "train" or "valid"
    lengths: dict[str, int] = field(default_factory=dict)  # demo → samples

    def train_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Training samples and training demos per behavior (n_k counts samples)."""
        samples, demos = dict.fromkeys(self.behaviors, 0), dict.fromkeys(self.behaviors, 0)
        for demo, behavior in self.demo_behavior.items():
            if self.split[demo] == "train":
                samples[behavior] += self.lengths[demo]
                demos[behavior] += 1
        return samples, demos


def read_labelled(path: str | Path, behaviors: list[str] | None = None) -> Labelled:
    """The one reader of labels: the label stage's ``labelled.hdf5`` (its behaviors in
    ``attrs["behaviors"]``), or any robomimic file whose filter keys ``behaviors`` hold
    every demo once, split by ``mask/train`` and ``mask/valid`` (robomimic's
    ``split_train_val.py`` writes those)."""
    with open_dataset(path) as f:
        if behaviors is None:
            raw = f.attrs.get("behaviors")
            if raw is None:
                raise BalanceBCError(f"{path}: attrs['behaviors'] is missing: not written by the label stage "
                                     "(name the filter keys that are the behaviors)")
            behaviors = json.loads(raw)
        masks, lengths = read_masks(f), demo_lengths(f)
    missing = [f"mask/{k}" for k in [*behaviors, *SPLITS] if k not in masks]
    if missing:
        raise BalanceBCError(f"{path}: missing filter keys {', '.join(missing)} (expected one per behavior, "
                             "and mask/train and mask/valid as robomimic's split_train_val.py writes them)")
    owner: dict[str, str] = {}
    for behavior in behaviors:
        for demo in masks[behavior]:
            if demo in owner:
                raise BalanceBCError(f"{path}: {demo} is in mask/{owner[demo]} and mask/{behavior}; "
                                     "expected each demo in exactly one behavior")
            owner[demo] = behavior
    split = {d: s for s in SPLITS for d in masks[s]}
    if set(owner) != set(lengths) or set(split) != set(lengths) or set(masks["train"]) & set(masks["valid"]):
        raise BalanceBCError(f"{path}: the behaviors' filter keys {behaviors}, and mask/train with mask/valid, "
                             f"must each hold every demo of data/ exactly once")
    return Labelled(str(path), list(behaviors), {d: owner[d] for d in sorted_demos(owner)}, split, lengths)


def open_dataset(path: str | Path) -> h5py.File:
    """Open a robomimic file read-only, with a clear error when it is missing or not HDF5."""
    path = Path(path)
    if not path.is_file():
        raise BalanceBCError(f"{path}: dataset file not found")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise BalanceBCError(f"{path}: not a readable HDF5 file ({exc.__class__.__name__}: "
                             f"{str(exc).split('(')[0].strip()})") from None
    if "data" not in f:
        f.close()
        raise BalanceBCError(f"{path}: not a robomimic dataset: no 'data' group")
    return f


def env_args(f: h5py.File) -> dict:
    raw = f["data"].attrs.get("env_args")
    if raw is None:
        raise BalanceBCError(f"{f.filename}: data.attrs['env_args'] is missing")
    return json.loads(raw)


def read_masks(f: h5py.File) -> dict[str, list[str]]:
    """All filter keys: name → demo names (decoded)."""
    if "mask" not in f:
        return {}
    return {name: [m.decode() if isinstance(m, bytes) else str(m) for m in f[f"mask/{name}"][()]]
            for name in f["mask"]}


def demo_lengths(f: h5py.File) -> dict[str, int]:
    return {name: int(g.attrs.get("num_samples", len(g["actions"]))) for name, g in f["data"].items()}
