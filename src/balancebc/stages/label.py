"""label: which behavior each demo belongs to (``balancebc.labels``), checked and
summarised; written as ``labels.json`` and as robomimic filter keys (``labelled.hdf5``).

``ground_truth``: the dataset has one filter key per behavior (the scenario wrote them,
or the importer did). ``discovered``: the scenario's ``discover`` settings cluster the
demos (``balancebc.labels.discover``); the clusters become the behaviors. Either way every
demo is in exactly one behavior and in exactly one of ``train`` / ``valid``."""
from __future__ import annotations

from balancebc import paths, registry
from balancebc.io.integrity import verify_hdf5
from balancebc.io.robomimic_hdf5 import open_dataset, read_masks
from balancebc.labels.assign import discovered_labels, ground_truth_labels, save
from balancebc.params import all_scenarios
from balancebc.scenarios.base import for_replicate


def run(params: dict, scenario: str, replicate: int) -> None:
    spec, dataset = for_replicate(all_scenarios(params)[scenario], replicate), paths.dataset(scenario, replicate)
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
