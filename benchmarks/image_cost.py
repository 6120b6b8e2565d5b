"""What camera images cost on this machine, measured in one run: recording a `pick` demo
with and without the scenario's cameras (seconds per demo, bytes per demo in the file), and a
rollout step of a policy on images against one on low-dimensional observations (render +
robomimic's visual encoder on the CPU), with the peak memory of each part.

    python benchmarks/image_cost.py [--cameras agentview robot0_eye_in_hand] [--size 84] [--demos 3]

MuJoCo renders through MUJOCO_GL (default egl; osmesa also works), here with Mesa's
software renderer.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path


def _record(spec, out, queue):
    from balancebc import registry
    from balancebc.params import validate
    params = validate({"scenarios": {"x": spec}, "methods": {"n": {"kind": "natural"}}, "seeds": [0],
                       "train": {"steps": 1, "steps_per_epoch": 1, "batch_size": 1, "learning_rate": 1e-3, "hidden": [8]},
                       "policy": {"algo": "bc"}, "evaluate": {"episodes": 1}, "resources": {s: {"mem_mb": 100, "runtime": 1} for s in
                                                                  ("generate", "label", "weights", "train", "evaluate", "report")}})
    start = time.perf_counter()
    registry.SCENARIOS["pick"].make_dataset(params["scenarios"]["x"], out)
    queue.put((time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))


def _rollout(labelled, keys, out, queue):
    from balancebc.io.robomimic_hdf5 import env_args, open_dataset, read_labelled
    from balancebc.policies.robomimic_bc import RobomimicBC
    from balancebc.sim.rollout import rollouts
    behaviors = read_labelled(labelled).behaviors
    settings = {"steps": 5, "steps_per_epoch": 5, "batch_size": 8, "learning_rate": 1e-3, "hidden": [256, 256],
                "lr_decay": None, "device": "cpu", "policy": {"algo": "bc", "config": {}}}
    RobomimicBC().train(labelled, behaviors, lambda p: dict.fromkeys(behaviors, 1 / len(behaviors)), settings, 0, keys,
                        {5: out})
    with open_dataset(labelled) as f:
        env = env_args(f)
    rollouts("robomimic_bc", {"end": out}, env, [behaviors[0]], 1, 0, 1, keys, 10)  # warm-up: libraries loaded
    start = time.perf_counter()
    result = rollouts("robomimic_bc", {"end": out}, env, [behaviors[0]], 2, 0, 1, keys, 100)["end"]
    steps = sum(result[behaviors[0]]["steps"])
    queue.put(((time.perf_counter() - start) / steps, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def in_process(target, *args):
    queue = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=target, args=(*args, queue))
    p.start()
    value = queue.get()
    p.join()
    return value


def main() -> None:
    import h5py
    import yaml

    from balancebc.labels.assign import ground_truth_labels, save
    from balancebc.sim.env import POLICY_OBS_KEYS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cameras", nargs="+", default=["agentview", "robot0_eye_in_hand"])
    ap.add_argument("--size", type=int, default=84)
    ap.add_argument("--demos", type=int, default=3, help="demos per region")
    args = ap.parse_args()
    pick = yaml.safe_load(Path("params.yaml").read_text())["scenarios"]["pick"]
    pick = {**pick, "demos": dict.fromkeys(pick["regions"], args.demos), "workers": 1}
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in (("low-dimensional", pick),
                           ("images", {**pick, "cameras": args.cameras, "image_size": args.size})):
            out = f"{tmp}/{name}.hdf5"
            seconds, _ = in_process(_record, spec, out)
            with h5py.File(out) as f:
                demos, samples = len(f["data"]), int(f["data"].attrs["total"])
            behaviors = list(pick["regions"])
            save(ground_truth_labels(out, behaviors), out, f"{tmp}/{name}.json", f"{tmp}/{name}-labelled.hdf5")
            keys = POLICY_OBS_KEYS + [f"{c}_image" for c in spec.get("cameras", [])]
            step, rss = in_process(_rollout, f"{tmp}/{name}-labelled.hdf5", keys, f"{tmp}/{name}.pth")
            rows[name] = {"s/demo": seconds / demos, "ms/record step": 1000 * seconds / samples,
                          "KB/demo": Path(out).stat().st_size / 1024 / demos, "ms/rollout step": 1000 * step,
                          "rollout peak MB": rss}
    print(f"\n`pick`, {args.demos} demos per region; images: {args.cameras} at {args.size}x{args.size}; one process, 1 torch thread")
    cols = list(rows["images"])
    print(f"{'':<16}" + "".join(f"{c:>18}" for c in cols))
    for name, r in rows.items():
        print(f"{name:<16}" + "".join(f"{r[c]:>18.1f}" for c in cols))
    print(f"{'ratio':<16}" + "".join(f"{rows['images'][c] / rows['low-dimensional'][c]:>18.2f}" for c in cols))


if __name__ == "__main__":
    main()
