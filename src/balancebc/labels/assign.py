"""Which behavior each demo belongs to: from the dataset's own filter keys (ground truth) or
from discovery (``discover``); checked (every demo in exactly one behavior and in exactly
one of ``train`` / ``valid``) and summarised as the labels file."""
from __future__ import annotations

from balancebc.errors import BalanceBCError
from balancebc.io.atomic import write_json
from balancebc.io.robomimic_hdf5 import SPLITS, demo_lengths, open_dataset, read_masks, sorted_demos, write_labelled
from balancebc.labels.discover import discover


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
