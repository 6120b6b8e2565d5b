"""label: which behavior each demo belongs to, checked and summarised.

Source ``ground_truth``: the scenario wrote one filter key per behavior. Every demo must
be in exactly one behavior and in exactly one of ``train`` / ``valid``.
"""
from __future__ import annotations

from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import demo_lengths, open_dataset, read_masks

SPLITS = ("train", "valid")


def ground_truth_labels(dataset: str, behaviors: list[str]) -> dict:
    with open_dataset(dataset) as f:
        masks, lengths = read_masks(f), demo_lengths(f)
    missing = [k for k in [*behaviors, *SPLITS] if k not in masks]
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
    unlabelled = sorted(set(lengths) - set(owner))
    if unlabelled:
        raise BalanceBCError(f"{dataset}: {len(unlabelled)} demos belong to no behavior (e.g. {unlabelled[0]})")
    split_of = {d: s for s in SPLITS for d in masks[s]}
    if set(masks["train"]) & set(masks["valid"]) or set(split_of) != set(lengths):
        raise BalanceBCError(f"{dataset}: mask/train and mask/valid must partition the demos")
    summary = {}
    for behavior in behaviors:
        demos = masks[behavior]
        entry = {"demos": len(demos), "samples": sum(lengths[d] for d in demos)}
        for split in SPLITS:
            in_split = [d for d in demos if split_of[d] == split]
            entry[f"{split}_demos"] = len(in_split)
            entry[f"{split}_samples"] = sum(lengths[d] for d in in_split)
        summary[behavior] = entry
    return {"dataset": str(dataset), "source": "ground_truth", "behaviors": summary,
            "demo_behavior": {d: owner[d] for d in sorted(owner, key=lambda n: int(n.split("_")[1]))}}
