"""Behavior discovery: cluster a dataset's demos into behaviors when it has no labels.

Discovery clusters the demos on trajectory features (Re-Mix clusters episodes with
k-means too).

Features per demo, in blocks:
- ``initial_obs``: the observation keys ``initial_obs_keys`` (default: all the policy's)
  at the first step, one block per key — e.g. ``[object]``: where the object starts.
  Keys that vary only by noise (the robot's randomised start pose) blur the clusters;
- ``final_obs``: the same keys at the last step — where the demo left things (a cube
  held up, or standing on the other one);
- ``action_stats``: mean and standard deviation of each action dimension (two blocks);
- ``length``: the number of steps.
``scaling: block`` (default): each block is centred and divided by its overall spread
over demos, so that every block weighs the same while a block's near-constant columns (the
robot's start pose) stay small instead of being blown up to unit variance.
``scaling: column``: every column is standardised (constant ones dropped), so that a
column that few demos set — the `multitask` task flag, 2 of the object's 25 — counts as
much as a cube coordinate. Measured settings per scenario are in the documentation (Bring your own data).
K is given, or chosen among 2..max_k by the silhouette score (k-means) or BIC (Gaussian
mixture). With ground-truth filter keys in the file, the adjusted Rand index against them
is reported.
"""
from __future__ import annotations

import numpy as np

from balancebc.io.robomimic_hdf5 import open_dataset, read_masks, sorted_demos


def demo_features(dataset: str, demos: list[str], obs_keys: list[str], features: list[str],
                  scaling: str = "block") -> np.ndarray:
    """One row per demo: the ``features`` blocks (module docstring), scaled by ``scaling``."""
    blocks: list[list[np.ndarray]] = []
    with open_dataset(dataset) as f:
        for demo in demos:
            g = f[f"data/{demo}"]
            actions = g["actions"][()]
            parts = []
            if "initial_obs" in features:
                parts += [np.ravel(g[f"obs/{k}"][0]) for k in obs_keys]
            if "final_obs" in features:
                parts += [np.ravel(g[f"obs/{k}"][-1]) for k in obs_keys]
            if "action_stats" in features:
                parts += [actions.mean(axis=0), actions.std(axis=0)]
            if "length" in features:
                parts.append(np.array([len(actions)]))
            blocks.append(parts)
    scaled = []
    for i in range(len(blocks[0])):
        x = np.array([b[i] for b in blocks], dtype=float)
        x -= x.mean(axis=0)
        if scaling == "column":
            spread = x.std(axis=0)
            scaled.append(np.divide(x, spread, out=np.zeros_like(x), where=spread > 1e-6))
            continue
        spread = np.sqrt((x ** 2).sum(axis=1).mean())
        scaled.append(x / spread if spread > 0 else x)
    return np.concatenate(scaled, axis=1)


def _fit(x: np.ndarray, algorithm: str, k: int, seed: int) -> tuple[np.ndarray, float]:
    """Cluster assignments and the model-selection score (higher is better)."""
    if algorithm == "kmeans":
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score
        assign = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)
        score = silhouette_score(x, assign) if 1 < len(set(assign)) < len(x) else -1.0
        return assign, float(score)
    from sklearn.mixture import GaussianMixture
    gmm = GaussianMixture(n_components=k, covariance_type="diag", n_init=3, random_state=seed).fit(x)
    return gmm.predict(x), -float(gmm.bic(x))


def discover(dataset: str, cfg: dict, obs_keys: list[str], ground_truth: list[str]) -> dict:
    """Cluster the demos; returns ``demo → cluster name`` and what was chosen and measured."""
    from sklearn.metrics import adjusted_rand_score
    with open_dataset(dataset) as f:
        masks = read_masks(f)
        demos = sorted_demos(f["data"])
    features, keys = cfg["features"], cfg["initial_obs_keys"] or obs_keys
    x = demo_features(dataset, demos, keys, features, cfg["scaling"])
    algorithm, seed = cfg["algorithm"], cfg["seed"]
    candidates = [cfg["k"]] if cfg["k"] else list(range(2, min(cfg["max_k"], len(demos) - 1) + 1))
    fits = {k: _fit(x, algorithm, k, seed) for k in candidates}
    k = max(fits, key=lambda c: fits[c][1])
    assign = fits[k][0]
    # name clusters by their first demo, so that names do not depend on the library's numbering
    order = {c: i for i, c in enumerate(dict.fromkeys(assign))}
    names = {d: f"cluster_{order[c]}" for d, c in zip(demos, assign)}
    result = {"algorithm": algorithm, "features": features, "initial_obs_keys": keys, "k": int(k),
              "criterion": None if cfg["k"] else ("silhouette" if algorithm == "kmeans" else "-BIC"),
              "scores": {str(c): round(s, 4) for c, (_, s) in fits.items()}, "demo_behavior": names}
    truth = {d: b for b in ground_truth if b in masks for d in masks[b]}
    if truth and set(truth) == set(demos):
        result["ground_truth"] = ground_truth
        result["adjusted_rand_index"] = float(adjusted_rand_score([truth[d] for d in demos],
                                                                  [names[d] for d in demos]))
    return result
