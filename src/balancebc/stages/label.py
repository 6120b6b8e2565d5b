"""label: which behavior each demo belongs to, checked and summarised; written as
``labels.json`` and as robomimic filter keys (``labelled.hdf5``).

``ground_truth``: the dataset has one filter key per behavior (the scenario wrote them,
or the importer did). ``discovered``: the scenario's ``discover`` settings cluster the
demos; the clusters become the behaviors. Either way every demo is in exactly one
behavior and in exactly one of ``train`` / ``valid``.

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
much as a cube coordinate. Measured settings per scenario are in the README.
K is given, or chosen among 2..max_k by the silhouette score (k-means) or BIC (Gaussian
mixture). With ground-truth filter keys in the file, the adjusted Rand index against them
is reported.
"""
from __future__ import annotations

import numpy as np

from balancebc import paths, registry
from balancebc.errors import BalanceBCError
from balancebc.io.atomic import write_json
from balancebc.io.integrity import verify_hdf5
from balancebc.io.robomimic_hdf5 import SPLITS, demo_lengths, open_dataset, read_masks, sorted_demos, write_labelled
from balancebc.scenarios.base import for_replicate


def demo_features(dataset: str, demos: list[str], obs_keys: list[str], features: list[str],
                  scaling: str = "block") -> np.ndarray:
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


def _read(dataset: str) -> tuple[dict[str, list[str]], dict[str, int]]:
    with open_dataset(dataset) as f:
        return read_masks(f), demo_lengths(f)


def summarise(dataset: str, masks: dict, lengths: dict, owner: dict[str, str], behaviors: list[str],
              source: str) -> dict:
    """The labels file: demos and samples per behavior and split, and each demo's behavior."""
    missing = [f"mask/{s}" for s in SPLITS if s not in masks]
    if missing:
        raise BalanceBCError(f"{dataset}: missing filter keys {', '.join(missing)}")
    unlabelled = sorted_demos(set(lengths) - set(owner))
    if unlabelled:
        raise BalanceBCError(f"{dataset}: {len(unlabelled)} demos belong to no behavior (e.g. {unlabelled[0]})")
    split_of = {d: s for s in SPLITS for d in masks[s]}
    if set(masks["train"]) & set(masks["valid"]) or set(split_of) != set(lengths):
        raise BalanceBCError(f"{dataset}: mask/train and mask/valid must partition the demos")
    summary = {}
    for behavior in behaviors:
        demos = [d for d, b in owner.items() if b == behavior]
        entry = {"demos": len(demos), "samples": sum(lengths[d] for d in demos)}
        for split in SPLITS:
            in_split = [d for d in demos if split_of[d] == split]
            entry[f"{split}_demos"] = len(in_split)
            entry[f"{split}_samples"] = sum(lengths[d] for d in in_split)
        summary[behavior] = entry
    return {"dataset": str(dataset), "source": source, "behaviors": summary,
            "demo_behavior": {d: owner[d] for d in sorted_demos(owner)}}


def ground_truth_labels(dataset: str, behaviors: list[str]) -> dict:
    masks, lengths = _read(dataset)
    missing = [k for k in behaviors if k not in masks]
    if missing:
        raise BalanceBCError(f"{dataset}: missing filter keys {', '.join('mask/' + k for k in missing)}")
    owner: dict[str, str] = {}
    for behavior in behaviors:
        for demo in masks[behavior]:
            if demo not in lengths:
                raise BalanceBCError(f"{dataset}: mask/{behavior} names {demo}, which is not in data/")
            if demo in owner:
                raise BalanceBCError(f"{dataset}: {demo} is in mask/{owner[demo]} and mask/{behavior}; "
                                     "expected each demo in exactly one behavior")
            owner[demo] = behavior
    return summarise(dataset, masks, lengths, owner, behaviors, "ground_truth")


def discovered_labels(dataset: str, cfg: dict, obs_keys: list[str], ground_truth: list[str]) -> dict:
    found = discover(dataset, cfg, obs_keys, ground_truth)
    owner = found.pop("demo_behavior")
    labels = summarise(dataset, *_read(dataset), owner, sorted(set(owner.values()), key=lambda c: int(c.split('_')[1])), "discovered")
    return {**labels, "discovery": found}


def save(labels: dict, dataset: str, labels_path: str, labelled_path: str) -> None:
    """Write the labels file and ``labelled.hdf5``: the behaviors and the dataset's split as
    robomimic filter keys, which every later stage reads (io.robomimic_hdf5.read_labelled)."""
    with open_dataset(dataset) as f:
        masks = read_masks(f)
    owner = labels["demo_behavior"]
    write_labelled(labelled_path, dataset, {b: [d for d in owner if owner[d] == b] for b in labels["behaviors"]},
                   {s: masks[s] for s in SPLITS})
    write_json(labels_path, labels)


def run(params: dict, scenario: str, replicate: int) -> None:
    spec, dataset = for_replicate(params["scenarios"][scenario], replicate), paths.dataset(scenario, replicate)
    kind = registry.SCENARIOS[spec["kind"]]
    with open_dataset(dataset) as f:
        masks = read_masks(f)
    verify_hdf5(dataset)
    behaviors = kind.behaviors(spec, list(masks))
    if "discover" in spec:
        labels = discovered_labels(dataset, spec["discover"], kind.obs_keys(spec), behaviors)
        found = labels["discovery"]
        print(f"discovered {found['k']} behaviors with {found['algorithm']} on {found['features']}"
              + (f"; adjusted Rand index {found['adjusted_rand_index']:.3f} against "
                 f"{found['ground_truth']}" if "adjusted_rand_index" in found else ""))
    else:
        labels = ground_truth_labels(dataset, behaviors)
    save(labels, dataset, paths.labels(scenario, replicate), paths.labelled(scenario, replicate))
    for b, e in labels["behaviors"].items():
        print(f"{b}: {e['demos']} demos ({e['train_demos']} train, {e['valid_demos']} valid), "
              f"{e['samples']} samples")
