"""Import a local LeRobot dataset folder (format v3.0 or v2.1) into robomimic's HDF5 format,
with pyarrow: neither the network nor the ``lerobot`` package is needed.

The layout, as LeRobot documents it:

- both: ``meta/info.json`` (``codebase_version``, ``features``: name → ``dtype``, ``shape``);
  frame rows with ``episode_index``, ``frame_index``, ``index`` (the frame's position in the
  whole dataset), ``task_index`` and one column per feature;
- v3.0: ``meta/tasks.parquet`` (the task strings and their ``task_index``),
  ``meta/episodes/chunk-XXX/file-XXX.parquet`` (one row per episode: ``episode_index``,
  ``tasks``, ``length``, ``data/chunk_index``, ``data/file_index``) and the frames in
  ``data/chunk-XXX/file-XXX.parquet``, several episodes per file;
- v2.1: ``meta/tasks.jsonl``, ``meta/episodes.jsonl`` (``episode_index``, ``tasks``,
  ``length``) and one ``data/chunk-XXX/episode_XXXXXX.parquet`` per episode.

Each episode becomes one demo. Its behavior is its task, or the group that the scenario's
``behaviors`` mapping puts the task in (episodes of other tasks are left out). Float
features of one dimension become observations (``observation.state`` → ``obs/state``) and
``action`` the actions, scaled per dimension from the dataset's range to [-1, 1] (the
range is kept in ``env_args["action_range"]``); video and image features are skipped,
and the import says so. The held-out demos are a ``valid_fraction`` of each behavior's.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from balancebc.errors import BalanceBCError
from balancebc.io.atomic import read_json
from balancebc.io.robomimic_hdf5 import Demo, check_finite, split_train_valid, write_dataset

VERSIONS = ("v3.0", "v2.1")
COLUMNS = ("episode_index", "frame_index", "index", "task_index")
ENV_ARGS = {"env_name": "lerobot", "type": 2, "env_kwargs": {},
            "note": "imported from a LeRobot dataset; evaluation is offline (held-out loss per behavior)"}


def _jsonl(path: Path, keys: tuple[str, ...]) -> list[dict]:
    if not path.is_file():
        raise BalanceBCError(f"{path}: not found (expected LeRobot v2.1's meta/{path.name})")
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BalanceBCError(f"{path}: line {n} is not JSON ({exc})") from None
        missing = [k for k in keys if k not in row]
        if missing:
            raise BalanceBCError(f"{path}: line {n} lacks {missing} (expected keys {list(keys)})")
        rows.append(row)
    return rows


def _parquet(path: Path, columns: tuple[str, ...]) -> dict[str, list]:
    import pyarrow.parquet as pq
    if not path.is_file():
        raise BalanceBCError(f"{path}: not found")
    table = pq.read_table(path)
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise BalanceBCError(f"{path}: no column {missing} (expected {list(columns)}; it has {table.column_names})")
    return table.to_pydict()


def read_info(root: Path) -> dict:
    info = read_json(root / "meta" / "info.json", "LeRobot's meta/info.json")
    if not isinstance(info, dict):
        raise BalanceBCError(f"{root / 'meta/info.json'}: expected a JSON object with codebase_version and features")
    version = info.get("codebase_version")
    if version not in VERSIONS:
        raise BalanceBCError(f"{root / 'meta/info.json'}: codebase_version {version!r}; expected one of "
                             f"{list(VERSIONS)} (LeRobot's own converter updates older datasets)")
    if "action" not in info.get("features", {}):
        raise BalanceBCError(f"{root / 'meta/info.json'}: features has no 'action'")
    return info


def low_dim_features(info: dict) -> tuple[list[str], list[str]]:
    """The observation features that become robomimic observations, and those skipped (videos, images)."""
    keep, skipped = [], []
    for name, feature in info["features"].items():
        if name == "action" or name in COLUMNS or name == "timestamp":
            continue
        if feature.get("dtype") in ("float32", "float64") and len(feature.get("shape", [])) == 1:
            keep.append(name)
        elif feature.get("dtype") in ("video", "image"):
            skipped.append(name)
    return keep, skipped


def obs_key(feature: str) -> str:
    return feature.removeprefix("observation.").replace(".", "_")


def obs_keys(path: str) -> list[str]:
    return [obs_key(f) for f in low_dim_features(read_info(Path(path)))[0]]


def read_tasks(root: Path, version: str) -> dict[int, str]:
    if version == "v2.1":
        return {int(r["task_index"]): str(r["task"]) for r in _jsonl(root / "meta" / "tasks.jsonl", ("task_index", "task"))}
    path = root / "meta" / "tasks.parquet"
    import pyarrow.parquet as pq
    if not path.is_file():
        raise BalanceBCError(f"{path}: not found (expected LeRobot v3.0's meta/tasks.parquet)")
    table = pq.read_table(path)
    names = [c for c in ("task", "__index_level_0__") if c in table.column_names]
    if "task_index" not in table.column_names or not names:
        raise BalanceBCError(f"{path}: expected the task strings (the index, or a 'task' column) and 'task_index'; "
                             f"it has {table.column_names}")
    data = table.to_pydict()
    return {int(i): str(t) for i, t in zip(data["task_index"], data[names[0]])}


def read_episodes(root: Path, version: str) -> list[dict]:
    """One dict per episode: episode_index, length and the data file that holds its frames."""
    if version == "v2.1":
        info = read_info(root)
        pattern = info.get("data_path", "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet")
        size = int(info.get("chunks_size", 1000))
        return [{"episode_index": int(r["episode_index"]), "length": int(r["length"]),
                 "file": root / pattern.format(episode_chunk=int(r["episode_index"]) // size,
                                               episode_index=int(r["episode_index"]))}
                for r in _jsonl(root / "meta" / "episodes.jsonl", ("episode_index", "tasks", "length"))]
    files = sorted((root / "meta" / "episodes").glob("chunk-*/file-*.parquet"))
    if not files:
        raise BalanceBCError(f"{root / 'meta/episodes'}: no chunk-XXX/file-XXX.parquet (expected LeRobot v3.0's "
                             "episode metadata)")
    pattern = read_info(root).get("data_path", "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet")
    episodes = []
    for path in files:
        rows = _parquet(path, ("episode_index", "length", "data/chunk_index", "data/file_index"))
        for e, n, c, f in zip(rows["episode_index"], rows["length"], rows["data/chunk_index"], rows["data/file_index"]):
            episodes.append({"episode_index": int(e), "length": int(n),
                             "file": root / pattern.format(chunk_index=int(c), file_index=int(f))})
    return episodes


def read_frames(episodes: list[dict], features: list[str]) -> dict[int, dict[str, np.ndarray]]:
    """episode_index → its frames' columns, in frame order, checked against the episode metadata."""
    out: dict[int, dict[str, np.ndarray]] = {}
    wanted = {e["episode_index"]: e for e in episodes}
    for path in dict.fromkeys(e["file"] for e in episodes):
        rows = _parquet(path, (*COLUMNS, "action", *features))
        episode = np.asarray(rows["episode_index"])
        for e in np.unique(episode):
            meta = wanted.get(int(e))
            if meta is None:
                raise BalanceBCError(f"{path}: frames of episode {int(e)}, which the episode metadata does not list")
            if meta["file"] != path:
                continue
            at = np.flatnonzero(episode == e)
            frames = {c: np.asarray([rows[c][i] for i in at]) for c in (*COLUMNS, "action", *features)}
            order = np.argsort(frames["frame_index"], kind="stable")
            frames = {c: v[order] for c, v in frames.items()}
            n = meta["length"]
            if len(order) != n or (frames["frame_index"] != np.arange(n)).any():
                raise BalanceBCError(f"{path}: episode {int(e)} has frame_index {frames['frame_index'][:5].tolist()}… "
                                     f"({len(order)} frames); expected 0..{n - 1}, its length in the episode metadata")
            if (np.diff(frames["index"]) != 1).any():
                raise BalanceBCError(f"{path}: episode {int(e)}'s index is not consecutive "
                                     f"(expected index = first index + frame_index)")
            out[int(e)] = frames
    missing = sorted(set(wanted) - set(out))
    if missing:
        raise BalanceBCError(f"{episodes[0]['file'].parent.parent}: no frames of episodes {missing[:5]} in their "
                             "data files (expected every episode of the metadata)")
    return out


def import_lerobot(scenario: dict, out: str) -> dict[str, int]:
    """Write the episodes of a LeRobot dataset as one robomimic file; returns demos per behavior."""
    root = Path(scenario["path"])
    if not root.is_dir():
        raise BalanceBCError(f"{root}: LeRobot dataset folder not found")
    info = read_info(root)
    version = info["codebase_version"]
    features, skipped = low_dim_features(info)
    if skipped:
        print(f"{root}: skipped video and image features {skipped} (balancebc imports low-dimensional ones)")
    if not features:
        raise BalanceBCError(f"{root / 'meta/info.json'}: no float observation feature of one dimension")
    tasks, episodes = read_tasks(root, version), read_episodes(root, version)
    frames = read_frames(episodes, features)
    groups = scenario.get("behaviors")
    actions = np.concatenate([frames[e["episode_index"]]["action"] for e in episodes]).astype(np.float64)
    lo, hi = actions.min(axis=0), actions.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    demos, by_behavior, seen = [], {b: [] for b in groups} if groups else {}, set()
    for e in sorted(episodes, key=lambda e: e["episode_index"]):
        f = frames[e["episode_index"]]
        where = f"{e['file']}: episode {e['episode_index']}"
        task_ids = set(f["task_index"].tolist())
        unknown = task_ids - set(tasks)
        if unknown:
            raise BalanceBCError(f"{where}: task_index {sorted(unknown)} is not in the dataset's tasks {sorted(tasks)}")
        if len(task_ids) != 1:
            raise BalanceBCError(f"{where}: frames of tasks {sorted(task_ids)}; expected one task per episode")
        task = tasks[task_ids.pop()]
        seen.add(task)
        behavior = task if not groups else next((b for b, members in groups.items() if task in members), None)
        if behavior is None:
            continue
        obs = {obs_key(c): np.asarray(f[c], dtype=np.float32) for c in features}
        check_finite(where, {"action": f["action"].astype(np.float64), **obs})
        n = e["length"]
        dones = np.zeros(n, dtype=np.int64)
        dones[-1] = 1
        name = f"demo_{len(demos)}"
        demos.append(Demo(actions=(2 * (f["action"] - lo) / span - 1).astype(np.float32),
                          states=np.concatenate(list(obs.values()), axis=1), rewards=np.zeros(n), dones=dones,
                          obs=obs, next_obs={k: np.concatenate([v[1:], v[-1:]]) for k, v in obs.items()},
                          attrs={"behavior": behavior, "task": task, "episode_index": e["episode_index"],
                                 "lerobot_first_index": int(f["index"][0]), "source": str(e["file"])}))
        by_behavior.setdefault(behavior, []).append(name)
    empty = [b for b, members in by_behavior.items() if not members]
    if not demos or empty:
        raise BalanceBCError(f"{root}: scenario behaviors {empty or list(groups)} match no episode's task "
                             f"(tasks seen: {sorted(seen)})")
    train, valid = split_train_valid(by_behavior, scenario["valid_fraction"], scenario["seed"])
    env_args = {**ENV_ARGS, "lerobot": {"codebase_version": version, "fps": info.get("fps"),
                                        "features": {obs_key(c): c for c in features}},
                "action_range": {"low": lo.tolist(), "high": hi.tolist()}}
    write_dataset(out, demos, env_args, {**by_behavior, "train": train, "valid": valid})
    return {b: len(m) for b, m in by_behavior.items()}
