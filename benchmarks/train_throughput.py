"""Training samples per second of balancebc's trainer (weighted sampler, per-epoch
per-behavior losses, checkpoints) against robomimic's own loop on the same data: its
``dataset_factory``, a plain shuffled ``DataLoader`` and ``TrainUtils.run_epoch``, a checkpoint
at the end, as its train script does. Both are timed from the dataset load to the saved
checkpoint, interleaved, in one run; medians over --repeats, and their ratio per algorithm.

    python benchmarks/train_throughput.py [--labelled data/pick/rep0/labelled.hdf5] [--steps 500]

The labelled file is the label stage's output (``snakemake --cores 2 data/pick/rep0/labelled.hdf5``
makes the default one). Each algorithm trains with robomimic's default sizes for it.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from balancebc.io.robomimic_hdf5 import read_labelled
from balancebc.policies.robomimic_bc import RobomimicBC, make_config, make_dataset
from balancebc.sim.env import POLICY_OBS_KEYS

ALGOS = ["bc", "bc_gmm", "bc_rnn", "bc_rnn_gmm", "bc_transformer"]
SMALL_TRANSFORMER = {"algo.transformer.embed_dim": 64, "algo.transformer.num_layers": 2, "algo.transformer.num_heads": 4}


def robomimic_loop(labelled: str, settings: dict, out: Path) -> None:
    import robomimic.utils.file_utils as FileUtils
    import robomimic.utils.obs_utils as ObsUtils
    import robomimic.utils.train_utils as TrainUtils
    import torch
    from robomimic.algo import algo_factory
    from torch.utils.data import DataLoader
    torch.manual_seed(0)
    config = make_config(labelled, POLICY_OBS_KEYS, settings, 0)
    ObsUtils.initialize_obs_utils_with_config(config)
    shape_meta = FileUtils.get_shape_metadata_from_dataset(labelled, all_obs_keys=POLICY_OBS_KEYS)
    model = algo_factory(config.algo_name, config, obs_key_shapes=shape_meta["all_shapes"],
                         ac_dim=shape_meta["ac_dim"], device=torch.device("cpu"))
    trainset = make_dataset(config, POLICY_OBS_KEYS, "train")
    loader = DataLoader(trainset, batch_size=settings["batch_size"], shuffle=True, drop_last=True)
    done, epoch = 0, 1
    while done < settings["steps"]:  # exactly `steps` batches, as ours trains (the last epoch may be short)
        n = min(settings["steps_per_epoch"], settings["steps"] - done)
        TrainUtils.run_epoch(model, loader, epoch, num_steps=n)
        model.on_epoch_end(epoch)
        done, epoch = done + n, epoch + 1
    TrainUtils.save_model(model, config, FileUtils.get_env_metadata_from_dataset(labelled), shape_meta, str(out))


def ours(labelled: str, settings: dict, out: Path) -> None:
    behaviors = read_labelled(labelled).behaviors
    RobomimicBC().train(labelled, behaviors, lambda p: dict.fromkeys(behaviors, 1 / len(behaviors)), settings, 0,
                        POLICY_OBS_KEYS, {settings["steps"]: str(out)})


def main() -> None:
    import torch
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labelled", default="data/pick/rep0/labelled.hdf5")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--steps-per-epoch", type=int, default=250)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--algos", nargs="+", default=ALGOS)
    ap.add_argument("--small-transformer", action="store_true",
                    help="a 2-layer, 64-wide Transformer instead of robomimic's 6 x 512 (minutes per run on a CPU)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not Path(args.labelled).is_file():
        raise SystemExit(f"{args.labelled}: not found; make it with `snakemake --cores 2 {args.labelled}`")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for algo in args.algos:
            settings = {"steps": args.steps, "steps_per_epoch": args.steps_per_epoch, "batch_size": args.batch_size,
                        "learning_rate": 1e-3, "hidden": [256, 256] if "rnn" not in algo and "transformer" not in algo
                        else [], "lr_decay": None, "device": "cpu", "policy": {"algo": algo, "config": SMALL_TRANSFORMER
                                                                              if args.small_transformer and "transformer" in algo else {}}}
            times = {"robomimic": [], "balancebc": []}
            for name, fn in (("robomimic", robomimic_loop), ("balancebc", ours)):  # warm-up, untimed
                fn(args.labelled, {**settings, "steps": args.steps_per_epoch}, Path(tmp) / f"{algo}-{name}-warm.pth")
            for i in range(args.repeats):
                for name, fn in (("robomimic", robomimic_loop), ("balancebc", ours)):
                    start = time.perf_counter()
                    fn(args.labelled, settings, Path(tmp) / f"{algo}-{name}-{i}.pth")
                    times[name].append(time.perf_counter() - start)
            samples = args.steps * args.batch_size
            rate = {k: samples / statistics.median(v) for k, v in times.items()}
            rows.append((algo, rate["robomimic"], rate["balancebc"], rate["balancebc"] / rate["robomimic"],
                         {k: [round(t, 2) for t in v] for k, v in times.items()}))
            print(f"{algo}: ratio {rows[-1][3]:.2f}", flush=True)
    print(f"\n{args.steps} steps x batch {args.batch_size}, {args.steps_per_epoch} steps per epoch, "
          f"1 torch thread, medians of {args.repeats} (seconds per run in brackets)")
    print(f"{'algorithm':<16} {'robomimic samples/s':>20} {'balancebc samples/s':>20} {'ratio':>6}")
    for algo, ref, our, ratio, raw in rows:
        print(f"{algo:<16} {ref:>20.0f} {our:>20.0f} {ratio:>6.2f}   {raw}")
    print(f"median ratio {np.median([r[3] for r in rows]):.2f}")


if __name__ == "__main__":
    main()
