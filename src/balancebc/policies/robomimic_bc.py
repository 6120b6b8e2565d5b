"""robomimic's BC family (MLP, GMM, RNN, RNN-GMM, Transformer, Transformer-GMM; low-dimensional
or image observations), trained with per-behavior sampling weights.

robomimic's config (``config_factory("bc")``), algorithm (``algo_factory``),
``SequenceDataset`` and ``run_epoch`` do the training; balancebc only supplies the sampler
(``BehaviorSampler``, one weight per sequence start, built from the dataset's public
attributes) and the per-behavior loss log. ``policy.algo`` in params.yaml names the
algorithm (``ALGOS``); ``policy.config`` overrides any robomimic config key by its own
dotted name. Sequence models get the sequences they need: an RNN trains on sequences of
``algo.rnn.horizon`` steps, a Transformer on ``algo.transformer.context_length`` stacked
frames, and rollouts reset the RNN state or the frame history every episode.

Training can start from a robomimic checkpoint (``train.init``) and can pre-train with
natural weights before training with the method's (``train.pretrain_steps``: the
temperature paper's fine-tuning setting), which starts a fresh optimizer and learning-rate
schedule; the pre-trained policy is the curve's step 0.
Scheduled weights are re-evaluated every 1% of the budget, which is exactly ``train.steps``.
"""
from __future__ import annotations

import random
from collections import deque
from pathlib import Path

import numpy as np

from balancebc import registry
from balancebc.errors import BalanceBCError
from balancebc.io.atomic import atomic_path
from balancebc.io.integrity import verify_checkpoint
from balancebc.io.robomimic_hdf5 import read_labelled
from balancebc.policies.base import Policy

DATASET_KEYS = ("actions", "rewards", "dones")
# balancebc's algorithm names -> the robomimic BC config flags that select them (robomimic's
# ``algo_config_to_class``)
ALGOS = {
    "bc": {},
    "bc_gaussian": {"algo.gaussian.enabled": True},
    "bc_gmm": {"algo.gmm.enabled": True},
    "bc_rnn": {"algo.rnn.enabled": True},
    "bc_rnn_gmm": {"algo.rnn.enabled": True, "algo.gmm.enabled": True},
    "bc_transformer": {"algo.transformer.enabled": True},
    "bc_transformer_gmm": {"algo.transformer.enabled": True, "algo.gmm.enabled": True},
}
LOSS_SEQUENCES = 256  # per behavior and split: the evenly spaced sequences the epoch's loss log averages


def train_device(setting: str):
    """The torch device of ``train.device``: ``auto`` is CUDA where torch finds a GPU."""
    import torch
    if setting == "cuda" and not torch.cuda.is_available():
        raise BalanceBCError("train.device: 'cuda' was asked for, but torch finds no CUDA device; "
                             "expected 'auto' or 'cpu' on this machine")
    return torch.device("cuda" if setting != "cpu" and torch.cuda.is_available() else "cpu")


def _set(config, key: str, value, where: str) -> None:
    """Set robomimic config ``key`` (dotted, e.g. ``algo.rnn.horizon``); an unknown key is an error."""
    node, parts = config, key.split(".")
    for i, part in enumerate(parts):
        if not hasattr(node, "keys") or part not in node:
            known = sorted(node.keys()) if hasattr(node, "keys") else []
            raise BalanceBCError(f"{where}: {key!r} is not a key of robomimic's bc config "
                                 f"(no {'.'.join(parts[:i + 1])!r}; expected one of {known})")
        if i < len(parts) - 1:
            node = node[part]
    node[parts[-1]] = list(value) if isinstance(value, tuple) else value


def algo_of(config) -> str:
    """balancebc's name of the robomimic algorithm a BC config selects."""
    flags = {k for k in ("gaussian", "gmm", "rnn", "transformer") if k in config.algo and config.algo[k].enabled}
    for name, needs in ALGOS.items():
        if flags == {k.split(".")[1] for k in needs}:
            return name
    return "+".join(sorted(flags))


def image_keys(obs_keys: list[str]) -> list[str]:
    """The camera observations among ``obs_keys`` (robosuite's and robomimic's ``<camera>_image``)."""
    return [k for k in obs_keys if k.endswith("_image")]


def make_config(dataset: str, obs_keys: list[str], train: dict, seed: int):
    """robomimic's config for ``train`` (params.yaml's train settings, ``policy`` included)."""
    from robomimic.config import config_factory
    rgb_keys = image_keys(obs_keys)
    policy = train["policy"]
    if policy["algo"] not in ALGOS:
        raise BalanceBCError(f"policy.algo: {policy['algo']!r} is not a robomimic BC algorithm; "
                             f"expected one of {sorted(ALGOS)}")
    config = config_factory("bc")
    with config.values_unlocked():
        config.train.data = str(dataset)
        config.train.seed = seed
        config.train.batch_size = train["batch_size"]
        config.train.num_epochs = -(-train["steps"] // train["steps_per_epoch"])
        config.experiment.epoch_every_n_steps = train["steps_per_epoch"]
        config.train.hdf5_cache_mode = "low_dim" if rgb_keys else "all"
        config.train.hdf5_filter_key = "train"
        config.train.hdf5_validation_filter_key = "valid"
        config.train.dataset_keys = DATASET_KEYS
        config.train.cuda = train_device(train["device"]).type == "cuda"
        config.observation.modalities.obs.low_dim = [k for k in obs_keys if k not in rgb_keys]
        config.observation.modalities.obs.rgb = list(rgb_keys)
        config.algo.actor_layer_dims = list(train["hidden"])
        config.algo.optim_params.policy.learning_rate.initial = train["learning_rate"]
        decay = train["lr_decay"]
        if decay:  # robomimic's MultiStepLR, stepped once per epoch
            config.algo.optim_params.policy.learning_rate.epoch_schedule = [
                max(1, round(decay["at"] * config.train.num_epochs))]
            config.algo.optim_params.policy.learning_rate.decay_factor = decay["factor"]
        config.experiment.validate = True
        overrides = {**ALGOS[policy["algo"]], **policy.get("config", {})}
        for key, value in overrides.items():
            _set(config, key, value, f"policy.config.{key}")
        # the sequences a sequence model trains on, unless the overrides set them
        if config.algo.rnn.enabled and "train.seq_length" not in overrides:
            config.train.seq_length = config.algo.rnn.horizon
        if config.algo.transformer.enabled and "train.frame_stack" not in overrides:
            config.train.frame_stack = config.algo.transformer.context_length
    return config


def make_dataset(config, obs_keys, filter_key, cache: str | None = None):
    """robomimic's ``SequenceDataset`` of the demos in ``filter_key``; ``cache`` overrides the
    config's ``hdf5_cache_mode`` (``low_dim`` skips caching every item: for data read only
    for the loss log)."""
    import robomimic.utils.train_utils as TrainUtils
    if cache is None:
        return TrainUtils.dataset_factory(config, obs_keys, filter_by_attribute=filter_key)
    with config.values_unlocked():
        mode, config.train.hdf5_cache_mode = config.train.hdf5_cache_mode, cache
    try:
        return TrainUtils.dataset_factory(config, obs_keys, filter_by_attribute=filter_key)
    finally:
        with config.values_unlocked():
            config.train.hdf5_cache_mode = mode


def sequence_behaviors(dataset, demo_behavior: dict[str, str], behaviors: list[str]) -> np.ndarray:
    """Behavior index of every sequence of a robomimic ``SequenceDataset``, from its public
    attributes: its demos in order, each contributing its length less the unpadded frame
    stack and sequence length (robomimic's ``load_demo_info``)."""
    index, out = {b: i for i, b in enumerate(behaviors)}, []
    for demo in dataset.demos:
        n = int(dataset.hdf5_file[f"data/{demo}"].attrs["num_samples"])
        if not dataset.pad_frame_stack:
            n -= dataset.n_frame_stack - 1
        if not dataset.pad_seq_length:
            n -= dataset.seq_length - 1
        out += [index[demo_behavior[demo]]] * (max(n, 1) if dataset.pad_seq_length else n)
    if len(out) != len(dataset):
        raise RuntimeError(f"{len(out)} sequences counted but the dataset has {len(dataset)}: "
                           "robomimic's indexing changed")
    return np.array(out)


class LossLog:
    """Mean loss of each behavior: the algorithm's own ``action_loss`` (the action MSE for
    ``bc``, the negative log-likelihood for the GMM heads), over at most ``limit`` evenly
    spaced sequences of the behavior (None: all). The sequences are read and batched once;
    with ``keep`` (low-dimensional observations: a few MB) the batches are kept for every
    later call, so an epoch's log costs only the forward passes."""

    def __init__(self, dataset, sample_behavior, behaviors, limit: int | None = LOSS_SEQUENCES, keep: bool = True):
        from torch.utils.data import DataLoader, Subset
        self.loaders, self.keep, self.kept = {}, keep, {}
        for k, b in enumerate(behaviors):
            idx = np.flatnonzero(sample_behavior == k)
            if limit is not None and len(idx) > limit:
                idx = idx[np.linspace(0, len(idx) - 1, limit).round().astype(int)]
            if len(idx):
                self.loaders[b] = DataLoader(Subset(dataset, idx.tolist()), batch_size=1024, shuffle=False)

    def _batches(self, model, b):
        if b in self.kept:
            return self.kept[b]
        batches = [model.postprocess_batch_for_training(model.process_batch_for_training(batch),
                                                        obs_normalization_stats=None) for batch in self.loaders[b]]
        if self.keep:
            self.kept[b] = batches
        return batches

    def __call__(self, model) -> dict[str, float]:
        import torch
        model.set_eval()
        # a GMM head in eval mode shrinks its scales to 1e-4 (robomimic's low_noise_eval, for
        # rollouts): the loss is the likelihood under the scales it learned
        low_noise = [m for m in model.nets.modules() if getattr(m, "low_noise_eval", False)]
        for m in low_noise:
            m.low_noise_eval = False
        out = {}
        try:
            with torch.no_grad():
                for b in self.loaders:
                    total = count = 0
                    for batch in self._batches(model, b):
                        loss = model._compute_losses(model._forward_training(batch), batch)["action_loss"]
                        total, count = total + float(loss) * len(batch["actions"]), count + len(batch["actions"])
                    out[b] = total / count
        finally:
            for m in low_noise:
                m.low_noise_eval = True
        return out


def load_init(model, config, shape_meta, path: str) -> None:
    """Start ``model`` from the robomimic checkpoint at ``path``; a checkpoint of another
    algorithm, other observation keys or other shapes is an error that names what differs."""
    import robomimic.utils.file_utils as FileUtils
    if Path(path).is_file():
        verify_checkpoint(path)
    try:
        ckpt = FileUtils.load_dict_from_checkpoint(path)
    except FileNotFoundError:
        raise BalanceBCError(f"train.init: {path}: checkpoint not found") from None
    except Exception as exc:  # torch's unpickling errors have no common base
        raise BalanceBCError(f"train.init: {path}: not a robomimic checkpoint ({exc})") from None
    theirs_config, _ = FileUtils.config_from_checkpoint(ckpt_dict=ckpt)
    theirs = ckpt.get("shape_metadata", {})
    differ = []
    if ckpt.get("algo_name") != config.algo_name or algo_of(theirs_config) != algo_of(config):
        differ.append(f"algorithm {ckpt.get('algo_name')}/{algo_of(theirs_config)} (config: "
                      f"{config.algo_name}/{algo_of(config)})")
    if set(theirs.get("all_obs_keys", [])) != set(shape_meta["all_obs_keys"]):
        differ.append(f"observation keys {sorted(theirs.get('all_obs_keys', []))} "
                      f"(config: {sorted(shape_meta['all_obs_keys'])})")
    else:
        differ += [f"shape of {k} {list(theirs['all_shapes'][k])} (config: {list(v)})"
                   for k, v in shape_meta["all_shapes"].items() if list(theirs["all_shapes"][k]) != list(v)]
    if theirs.get("ac_dim") != shape_meta["ac_dim"]:
        differ.append(f"action dimension {theirs.get('ac_dim')} (config: {shape_meta['ac_dim']})")
    plain = lambda v: v.to_dict() if hasattr(v, "to_dict") else v  # noqa: E731
    differ += [f"algo.{key} {plain(theirs_config.algo[key])} (config: {plain(config.algo[key])})"
               for key in ("actor_layer_dims", "rnn", "transformer", "gmm")
               if not differ and plain(theirs_config.algo[key]) != plain(config.algo[key])]
    if differ:
        raise BalanceBCError(f"train.init: {path} does not match the policy being trained: " + "; ".join(differ))
    model.deserialize(ckpt["model"])


class FrameStack:
    """A rollout policy fed the last ``frames`` observations, the first one repeated at the
    start of an episode (robomimic's ``FrameStackWrapper``), for frame-stacked policies."""

    def __init__(self, policy, frames: int):
        self.policy, self.history = policy, deque(maxlen=frames)

    def start_episode(self):
        self.history.clear()
        self.policy.start_episode()

    def __call__(self, ob):
        while len(self.history) < self.history.maxlen - 1:
            self.history.append(ob)
        self.history.append(ob)
        return self.policy(ob={k: np.stack([o[k] for o in self.history]) for k in ob})


class ProcessedObs:
    """A rollout policy fed robomimic's processed observations (images HWC uint8 -> CHW float),
    as robomimic's own environment wrappers do before the policy sees them."""

    def __init__(self, policy):
        self.policy = policy

    def start_episode(self):
        self.policy.start_episode()

    def __call__(self, ob):
        import robomimic.utils.obs_utils as ObsUtils
        return self.policy(ob=ObsUtils.process_obs_dict(ob))


class RobomimicBC(Policy):
    name = "robomimic_bc"

    def check(self, settings):
        problems = []
        if settings.get("init") and not Path(settings["init"]).is_file():
            problems.append(f"train.init: {settings['init']}: checkpoint not found; expected a robomimic "
                            "checkpoint (a model.pth of an earlier run, or your own)")
        if settings["policy"].get("config") or settings["device"] == "cuda":
            try:  # the config keys resolved against robomimic's own config classes
                make_config("check.hdf5", [], settings, seed=0)
            except BalanceBCError as exc:
                problems.append(str(exc))
        return problems

    def train(self, labelled, behaviors, weights_at, settings, seed, obs_keys, checkpoints, on_epoch=lambda row: None):
        import robomimic.utils.file_utils as FileUtils
        import robomimic.utils.obs_utils as ObsUtils
        import robomimic.utils.torch_utils as TorchUtils
        import robomimic.utils.train_utils as TrainUtils
        import torch
        from robomimic.algo import algo_factory
        from torch.utils.data import DataLoader

        from balancebc.policies.sampler import BehaviorSampler

        torch.set_num_threads(1)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        config = make_config(labelled, obs_keys, settings, seed)
        ObsUtils.initialize_obs_utils_with_config(config)
        shape_meta = FileUtils.get_shape_metadata_from_dataset(labelled, all_obs_keys=obs_keys)
        env_meta = FileUtils.get_env_metadata_from_dataset(labelled)
        model = algo_factory(config.algo_name, config, obs_key_shapes=shape_meta["all_shapes"],
                             ac_dim=shape_meta["ac_dim"],
                             device=TorchUtils.get_torch_device(try_to_use_cuda=config.train.cuda))
        if settings.get("init"):
            load_init(model, config, shape_meta, settings["init"])
        trainset, validset = make_dataset(config, obs_keys, "train"), make_dataset(config, obs_keys, "valid", "low_dim")
        demo_behavior = read_labelled(labelled).demo_behavior
        train_beh = sequence_behaviors(trainset, demo_behavior, behaviors)
        valid_beh = sequence_behaviors(validset, demo_behavior, behaviors)
        batch, steps_per_epoch, history = config.train.batch_size, settings["steps_per_epoch"], []
        low_dim = not config.observation.modalities.obs.rgb  # images: read again each epoch, not kept
        loss_log = {"train": LossLog(trainset, train_beh, behaviors, keep=low_dim),
                    "valid": LossLog(validset, valid_beh, behaviors, keep=low_dim)}

        def save(step):
            with atomic_path(checkpoints[step]) as tmp:
                TrainUtils.save_model(model, config, env_meta, shape_meta, str(tmp))

        def phase(name, sampler, saves, first_epoch):
            """Train for ``sampler.steps`` batches, a robomimic epoch every ``steps_per_epoch``."""
            loader = DataLoader(trainset, batch_size=batch, sampler=sampler, drop_last=True)
            epoch, epochs = first_epoch, first_epoch + -(-sampler.steps // steps_per_epoch) - 1
            while sampler.step < sampler.steps:
                # up to the epoch's end or the next checkpoint, whichever comes first
                epoch_end = min((epoch - first_epoch + 1) * steps_per_epoch, sampler.steps)
                stop = min([epoch_end] + [s for s in saves if s > sampler.step])
                log = TrainUtils.run_epoch(model, loader, epoch, num_steps=stop - sampler.step)
                if sampler.step in saves:
                    saves[sampler.step]()
                if sampler.step < epoch_end:
                    continue
                row = {"phase": name, "epoch": epoch, "step": sampler.step, "batch_loss": log["Loss"],
                       "lr": model.optimizers["policy"].param_groups[0]["lr"]}  # the rate this epoch trained at
                model.on_epoch_end(epoch)  # robomimic's learning-rate schedule counts epochs
                row.update({f"weight/{b}": w for b, w in sampler.mean_weights().items()})
                for split, log_of in loss_log.items():
                    row.update({f"loss_{split}/{b}": v for b, v in log_of(model).items()})
                history.append(row)
                on_epoch(row)
                print(f"{name} epoch {epoch}/{epochs}: " + " ".join(
                    f"{k}={v:.4g}" for k, v in row.items() if k not in ("epoch", "phase")), flush=True)
                epoch += 1
            return epoch

        epoch = 1
        if settings.get("pretrain_steps"):  # natural weights: every sequence equally likely
            shares = np.bincount(train_beh, minlength=len(behaviors)) / len(train_beh)
            natural = dict(zip(behaviors, shares.tolist()))
            sampler = BehaviorSampler(train_beh, behaviors, lambda _: natural, batch, settings["pretrain_steps"],
                                      seed, steps_per_pass=steps_per_epoch)
            epoch = phase("pretrain", sampler, {}, epoch)
            if 0 in checkpoints:
                save(0)
            model._create_optimizers()  # training then starts with a fresh optimizer and learning-rate schedule
        sampler = BehaviorSampler(train_beh, behaviors, weights_at, batch, settings["steps"], seed,
                                  steps_per_pass=steps_per_epoch)
        phase("train", sampler, {s: (lambda s=s: save(s)) for s in checkpoints if s > 0}, epoch)
        return history

    def heldout_loss(self, checkpoint, labelled, obs_keys):
        import robomimic.utils.file_utils as FileUtils
        import torch
        torch.set_num_threads(1)
        policy, ckpt = FileUtils.policy_from_checkpoint(ckpt_path=checkpoint, device=torch.device("cpu"))
        config, _ = FileUtils.config_from_checkpoint(ckpt_dict=ckpt)
        with config.values_unlocked():
            config.train.data = str(labelled)
        validset = make_dataset(config, obs_keys, "valid")
        labels = read_labelled(labelled)
        behaviors = labels.behaviors
        sample_behavior = sequence_behaviors(validset, labels.demo_behavior, behaviors)
        losses = LossLog(validset, sample_behavior, behaviors, limit=None, keep=False)(policy.policy)
        return {b: {"loss": losses[b], "samples": int(np.sum(sample_behavior == k))}
                for k, b in enumerate(behaviors) if b in losses}

    def rollout_policy(self, checkpoint):
        import robomimic.utils.file_utils as FileUtils
        import torch
        torch.set_num_threads(1)
        policy, ckpt = FileUtils.policy_from_checkpoint(ckpt_path=checkpoint, device=torch.device("cpu"))
        config, _ = FileUtils.config_from_checkpoint(ckpt_dict=ckpt)
        if config.observation.modalities.obs.rgb:
            policy = ProcessedObs(policy)
        if config.train.frame_stack > 1:
            policy = FrameStack(policy, config.train.frame_stack)
        return policy


registry.POLICIES.register(RobomimicBC())
