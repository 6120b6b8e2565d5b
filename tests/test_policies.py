"""robomimic's BC family as balancebc trains it: every algorithm trains with the weighted
sampler and logs its own loss per behavior; sequence models reset their state every
episode; training starts from a checkpoint (`train.init`) or pre-trains with natural weights
(`train.pretrain_steps`), and a checkpoint that does not fit is a clear error."""
import numpy as np
import pytest
import torch

from balancebc.errors import BalanceBCError
from balancebc.labels.assign import ground_truth_labels, save
from balancebc.policies.robomimic_bc import ALGOS, RobomimicBC, make_config
from balancebc.sim.env import POLICY_OBS_KEYS

BEHAVIORS = ["left", "middle", "right"]
SMALL = {  # robomimic's sequence models, shrunk to train in seconds
    "algo.rnn.hidden_dim": 16, "algo.rnn.horizon": 4, "algo.gmm.num_modes": 2,
    "algo.transformer.embed_dim": 16, "algo.transformer.num_layers": 1, "algo.transformer.num_heads": 2,
    "algo.transformer.context_length": 3,
}


def settings(algo="bc", **over):
    config = {k: v for k, v in SMALL.items() if k.split(".")[1] in algo or k.startswith("algo.gmm") and "gmm" in algo}
    return {"steps": 10, "steps_per_epoch": 5, "batch_size": 8, "learning_rate": 1e-3, "hidden": [16],
            "lr_decay": None, "device": "cpu", "policy": {"algo": algo, "config": config}, **over}


@pytest.fixture(scope="module")
def labelled(tiny_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("labelled")
    save(ground_truth_labels(str(tiny_dataset), BEHAVIORS), str(tiny_dataset), str(out / "labels.json"),
         str(out / "labelled.hdf5"))
    return str(out / "labelled.hdf5")


def equal_thirds(progress):
    return dict.fromkeys(BEHAVIORS, 1 / 3)


def test_sequence_models_train_on_the_sequences_they_need():
    rnn = make_config("x.hdf5", POLICY_OBS_KEYS, settings("bc_rnn_gmm"), 0)
    assert (rnn.train.seq_length, rnn.train.frame_stack, rnn.algo.gmm.num_modes) == (4, 1, 2)
    transformer = make_config("x.hdf5", POLICY_OBS_KEYS, settings("bc_transformer"), 0)
    assert (transformer.train.seq_length, transformer.train.frame_stack) == (1, 3)
    mlp = make_config("x.hdf5", POLICY_OBS_KEYS, settings("bc"), 0)
    assert (mlp.train.seq_length, mlp.train.frame_stack, mlp.algo.rnn.enabled, mlp.algo.gmm.enabled) == (1, 1, False, False)


def test_an_unknown_robomimic_key_names_it():
    bad = settings("bc_rnn", policy={"algo": "bc_rnn", "config": {"algo.rnn.horizn": 4}})
    with pytest.raises(BalanceBCError, match=r"policy\.config\.algo\.rnn\.horizn: 'algo\.rnn\.horizn' is not a key .*'horizon'"):
        make_config("x.hdf5", POLICY_OBS_KEYS, bad, 0)


@pytest.mark.slow  # simulates in robosuite (the tiny dataset)
@pytest.mark.parametrize("algo", sorted(ALGOS))
def test_every_algorithm_trains_logs_per_behavior_and_resets_each_episode(labelled, tmp_path, algo):
    import robomimic.algo.bc as BC
    ckpt = tmp_path / "model.pth"
    history = RobomimicBC().train(labelled, BEHAVIORS, equal_thirds, settings(algo), 0, POLICY_OBS_KEYS, {10: str(ckpt)})
    assert [row["step"] for row in history] == [5, 10]
    for row in history:
        assert all(np.isfinite(row[f"loss_{split}/{b}"]) for split in ("train", "valid") for b in BEHAVIORS)
    # the per-behavior log is the training loss itself: its mix over behaviors is near the batch loss
    # (a GMM measured with its rollout-time 1e-4 scales would be off by orders of magnitude)
    last = history[-1]
    mixed = np.mean([last[f"loss_train/{b}"] for b in BEHAVIORS])
    assert abs(mixed - last["batch_loss"]) < 0.5 * abs(last["batch_loss"]) + 1.0, (mixed, last["batch_loss"])
    from robomimic.algo import RolloutPolicy
    policy = inner = RobomimicBC().rollout_policy(str(ckpt))
    while not isinstance(inner, RolloutPolicy):  # balancebc's frame-stack and image wrappers
        inner = inner.policy
    assert type(inner.policy).__name__ == {"bc": "BC"}.get(algo, "_".join(
        p.upper() if p in ("bc", "rnn", "gmm") else p.capitalize() for p in algo.split("_")))
    rng = np.random.default_rng(0)
    obs = [{k: rng.normal(size=d).astype(np.float32) for k, d in
            {"robot0_eef_pos": 3, "robot0_eef_quat": 4, "robot0_gripper_qpos": 2, "object": 10}.items()}
           for _ in range(6)]
    episodes = []
    for _ in range(2):  # the same observations after a reset give the same actions (GMM heads sample:
        torch.manual_seed(0)  # the rollouts seed torch every episode)
        policy.start_episode()
        episodes.append(np.array([policy(ob) for ob in obs]))
    np.testing.assert_allclose(episodes[0], episodes[1], rtol=1e-5, atol=1e-6)
    if isinstance(inner.policy, BC.BC_RNN):  # within an episode, the state carries over
        torch.manual_seed(0)
        policy.start_episode()
        first = policy(obs[0])
        torch.manual_seed(0)
        assert not np.allclose(first, policy(obs[0]))


@pytest.mark.slow
def test_training_starts_from_a_checkpoint(labelled, tmp_path):
    import robomimic.utils.file_utils as FileUtils
    first, second = tmp_path / "first.pth", tmp_path / "second.pth"
    RobomimicBC().train(labelled, BEHAVIORS, equal_thirds, settings(), 0, POLICY_OBS_KEYS, {10: str(first)})
    # one step at a vanishing learning rate from the checkpoint keeps its weights
    RobomimicBC().train(labelled, BEHAVIORS, equal_thirds, settings(init=str(first), steps=1, learning_rate=1e-12),
                        1, POLICY_OBS_KEYS, {1: str(second)})
    a, b = (FileUtils.load_dict_from_checkpoint(str(p))["model"] for p in (first, second))
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


@pytest.mark.slow
def test_a_checkpoint_that_does_not_fit_names_what_differs(labelled, tmp_path):
    mlp = tmp_path / "mlp.pth"
    RobomimicBC().train(labelled, BEHAVIORS, equal_thirds, settings(steps=5), 0, POLICY_OBS_KEYS, {5: str(mlp)})
    with pytest.raises(BalanceBCError, match=r"train\.init: .*mlp\.pth does not match .*algorithm bc/bc \(config: bc/bc_rnn_gmm\)"):
        RobomimicBC().train(labelled, BEHAVIORS, equal_thirds, settings("bc_rnn_gmm", init=str(mlp)), 0,
                            POLICY_OBS_KEYS, {10: str(tmp_path / "x.pth")})
    with pytest.raises(BalanceBCError,
                       match=r"observation keys \['object', 'robot0_eef_pos', .*\] \(config: \['object', 'robot0_eef_pos'\]\)"):
        RobomimicBC().train(labelled, BEHAVIORS, equal_thirds, settings(init=str(mlp)), 0,
                            ["robot0_eef_pos", "object"], {10: str(tmp_path / "x.pth")})
    with pytest.raises(BalanceBCError, match=r"algo\.actor_layer_dims \[16\] \(config: \[32\]\)"):
        RobomimicBC().train(labelled, BEHAVIORS, equal_thirds, settings(init=str(mlp), hidden=[32]), 0,
                            POLICY_OBS_KEYS, {10: str(tmp_path / "x.pth")})
    assert not (tmp_path / "x.pth").exists()
    with pytest.raises(BalanceBCError, match=r"train\.init: .*missing\.pth: checkpoint not found"):
        RobomimicBC().train(labelled, BEHAVIORS, equal_thirds, settings(init=str(tmp_path / "missing.pth")), 0,
                            POLICY_OBS_KEYS, {10: str(tmp_path / "x.pth")})


@pytest.mark.slow
def test_pretraining_uses_natural_weights_whatever_the_method(labelled, tmp_path):
    """The temperature paper's fine-tuning: pre-train with natural weights, then train with
    the method's; the pre-trained policy (step 0) is the same for every method."""
    import robomimic.utils.file_utils as FileUtils
    runs = {}
    for name, weights in (("thirds", equal_thirds), ("rare", lambda p: {"left": 0.1, "middle": 0.1, "right": 0.8})):
        ckpts = {0: str(tmp_path / f"{name}0.pth"), 10: str(tmp_path / f"{name}10.pth")}
        runs[name] = RobomimicBC().train(labelled, BEHAVIORS, weights,
                                         settings(pretrain_steps=10, lr_decay={"at": 0.5, "factor": 0.1}), 0,
                                         POLICY_OBS_KEYS, ckpts)
    history = runs["rare"]
    assert [(r["phase"], r["step"]) for r in history] == [("pretrain", 5), ("pretrain", 10), ("train", 5), ("train", 10)]
    assert history[2]["weight/right"] == pytest.approx(0.8)
    # each phase runs its own learning-rate schedule (decayed after its first epoch)
    assert [r["lr"] for r in history] == pytest.approx([1e-3, 1e-4, 1e-3, 1e-4])
    assert history[0]["weight/right"] < 0.5  # the share of `right`'s sequences, not the method's 0.8
    load = lambda p: FileUtils.load_dict_from_checkpoint(str(p))["model"]  # noqa: E731
    same, other = load(tmp_path / "thirds0.pth"), load(tmp_path / "rare0.pth")
    assert all(torch.equal(same[k], other[k]) for k in same)
    end_a, end_b = load(tmp_path / "thirds10.pth"), load(tmp_path / "rare10.pth")
    assert not all(torch.equal(end_a[k], end_b[k]) for k in end_a)
