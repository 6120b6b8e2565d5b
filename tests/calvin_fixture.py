"""Small datasets in CALVIN's on-disk layout, with CALVIN's documented keys, shapes and
dtypes (https://github.com/mees/calvin, dataset/README): one ``episode_XXXXXXX.npz`` per
frame, ``ep_start_end_ids.npy`` and ``lang_annotations/auto_lang_ann.npy``."""
from pathlib import Path

import numpy as np

# task -> a linear map from robot_obs to rel_actions plus a direction of its own (the
# drawer pulls along x, the slider along y, the lift along z): each task is its own behavior
TASKS = ("open_drawer", "move_slider_left", "lift_red_block_table")
DIRECTION = {t: 0.6 * np.eye(7)[i] for i, t in enumerate(TASKS)}


def write_split(folder: Path, segments: list[tuple[str, int]], first_frame: int, seed: int) -> None:
    """Annotated segments (task, length) in a row, with 5 unannotated frames between them."""
    rng = np.random.default_rng(seed)
    maps = {t: np.random.default_rng(i).normal(0, 0.5, (7, 15)) for i, t in enumerate(TASKS)}
    (folder / "lang_annotations").mkdir(parents=True)
    frame, indx, tasks, episodes = first_frame, [], [], []
    for task, length in segments:
        start = frame
        for _ in range(length + 5):
            robot_obs = rng.normal(0, 1, 15)
            rel = np.tanh(maps[task] @ robot_obs / 4 + DIRECTION[task])
            np.savez_compressed(
                folder / f"episode_{frame:07d}.npz",
                actions=np.concatenate([robot_obs[:6], [1.0]]), rel_actions=rel, robot_obs=robot_obs,
                scene_obs=rng.normal(0, 1, 24), rgb_static=np.zeros((200, 200, 3), np.uint8),
                rgb_gripper=np.zeros((84, 84, 3), np.uint8), depth_static=np.zeros((200, 200), np.float32))
            frame += 1
        indx.append((start, start + length - 1))
        tasks.append(task)
        episodes.append((start, frame - 1))
    np.save(folder / "ep_start_end_ids.npy", np.array(episodes))
    ann = {"info": {"episodes": [], "indx": indx},
           "language": {"ann": [f"please {t.replace('_', ' ')}" for t in tasks], "task": tasks,
                        "emb": np.zeros((len(tasks), 1, 384), np.float32)}}
    np.save(folder / "lang_annotations" / "auto_lang_ann.npy", ann, allow_pickle=True)


def write_calvin(root: Path, counts: dict[str, int], valid: dict[str, int], length: int = 20) -> Path:
    """``counts`` / ``valid``: annotated segments per task in training/ and validation/."""
    order = lambda c: [(t, length) for t, n in c.items() for _ in range(n)]  # noqa: E731
    write_split(root / "training", order(counts), 0, seed=1)
    write_split(root / "validation", order(valid), 100000, seed=2)
    return root
