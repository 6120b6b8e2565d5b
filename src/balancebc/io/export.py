"""A solved weights file, written for trainers outside the pipeline (docs: Weights for your
own trainer). Each file says the same thing, that a sample of behavior k is drawn with
probability p_k = w_k / n_k (n_k: the behavior's training samples):

- ``sample_weights.parquet``: one row per frame of the dataset, ``index`` (the frame's
  LeRobot ``index`` for an imported LeRobot dataset, else its position counting through
  the demos in robomimic's order) and ``weight`` = p_k, 0 for held-out frames: the
  per-frame file of LeRobot's proposed ``static`` sample weighter;
- ``robomimic_train_data.json``: robomimic >= 0.5's ``train.data`` list, one entry
  (``path``, ``filter_key``, ``weight`` = w_k) per behavior's training demos, with
  ``train.normalize_weights_by_ds_size: true`` (its MetaDataset then divides w_k by the
  entry's length, which gives p_k); the filter keys ``<behavior>_train`` are in
  ``filter_keys.hdf5``, a robomimic file linked to the dataset as ``labelled.hdf5`` is;
- ``weights.json``: behavior → w_k, n_k and p_k; a scheduled method (temperature warming)
  also has its schedule, which the static files cannot follow (they hold its final weights).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from balancebc import paths
from balancebc.io.atomic import atomic_path, write_json
from balancebc.io.robomimic_hdf5 import Labelled, open_dataset, sorted_demos, write_labelled
from balancebc.io.weights_file import WeightsFile

FILES = paths.EXPORT_FILES
FIRST_INDEX = "lerobot_first_index"  # a demo's attribute: the LeRobot index of its first frame


def per_sample(weights: WeightsFile, labelled: Labelled) -> dict[str, float]:
    """p_k = w_k / n_k for each behavior (0 for one without training samples)."""
    counts, _ = labelled.train_counts()
    return {b: weights.weights[b] / counts[b] if counts[b] else 0.0 for b in labelled.behaviors}


def frame_weights(weights: WeightsFile, labelled: Labelled) -> tuple[np.ndarray, np.ndarray]:
    """``index`` and ``weight`` of every frame of the dataset."""
    p = per_sample(weights, labelled)
    index, weight, position = [], [], 0
    with open_dataset(labelled.path) as f:
        for demo in sorted_demos(labelled.demo_behavior):
            n = labelled.lengths[demo]
            first = int(f[f"data/{demo}"].attrs.get(FIRST_INDEX, position))
            index.append(np.arange(first, first + n))
            train = labelled.split[demo] == "train"
            weight.append(np.full(n, p[labelled.demo_behavior[demo]] if train else 0.0))
            position += n
    return np.concatenate(index).astype(np.int64), np.concatenate(weight)


def export_weights(weights: WeightsFile, labelled: Labelled, out_dir: str | Path, dataset_path: str | None = None) -> None:
    """Write ``FILES`` into ``out_dir``; ``dataset_path`` is what the robomimic entries name
    (default: ``filter_keys.hdf5`` as seen from the working directory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    out = Path(out_dir)
    counts, _ = labelled.train_counts()
    index, weight = frame_weights(weights, labelled)
    with atomic_path(out / FILES[0]) as tmp:
        pq.write_table(pa.table({"index": index, "weight": weight}), tmp)
    keys = out / FILES[2]
    train = {f"{b}_train": [d for d, owner in labelled.demo_behavior.items() if owner == b and labelled.split[d] == "train"]
             for b in labelled.behaviors}
    splits = {s: [d for d in labelled.demo_behavior if labelled.split[d] == s] for s in ("train", "valid")}
    # filter_keys.hdf5 links to the demos of the file labelled.hdf5 links to (or holds)
    with open_dataset(labelled.path) as f:
        link = f.get("data", getlink=True)
        source = Path(labelled.path).parent / link.filename if hasattr(link, "filename") else Path(labelled.path)
    write_labelled(keys, source, train, splits)
    path = dataset_path or os.path.relpath(keys)
    write_json(out / FILES[1], {"train": {
        "data": [{"path": path, "filter_key": f"{b}_train", "weight": weights.weights[b]} for b in labelled.behaviors],
        "normalize_weights_by_ds_size": True}})
    write_json(out / FILES[3], {
        "method": weights.method, "spec": weights.spec, "behaviors": labelled.behaviors, "weights": weights.weights,
        "train_samples": counts,
        "per_sample_probability": per_sample(weights, labelled),
        "scheduled": weights.scheduled, **({"schedule": weights.schedule} if weights.scheduled else {})})
