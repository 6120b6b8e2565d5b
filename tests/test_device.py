"""`train.device`: robomimic training on the CPU or a CUDA GPU (`auto`: a GPU where torch
finds one); the checkpoint rolls out on the CPU either way."""
import pytest
import torch

from balancebc.errors import BalanceBCError
from balancebc.labels.assign import ground_truth_labels, save
from balancebc.policies.robomimic_bc import RobomimicBC, train_device
from balancebc.sim.env import POLICY_OBS_KEYS

BEHAVIORS = ["left", "middle", "right"]
NO_GPU = "no CUDA device here (torch.cuda.is_available() is False): the GPU path is not tested"


def test_auto_picks_cuda_only_where_torch_finds_it():
    assert train_device("cpu").type == "cpu"
    assert train_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device, so the no-GPU error cannot arise")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(BalanceBCError, match=r"train\.device: 'cuda' was asked for, but torch finds no CUDA"):
        train_device("cuda")


@pytest.mark.slow  # simulates in robosuite (the tiny dataset)
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason=NO_GPU))])
def test_trains_on_the_device_and_rolls_out_on_the_cpu(tiny_dataset, tmp_path, device):
    save(ground_truth_labels(str(tiny_dataset), BEHAVIORS), str(tiny_dataset), str(tmp_path / "labels.json"),
         str(tmp_path / "labelled.hdf5"))
    settings = {"steps": 20, "steps_per_epoch": 10, "batch_size": 8, "learning_rate": 1e-3, "hidden": [16],
                "lr_decay": None, "device": device, "policy": {"algo": "bc", "config": {}}}
    ckpt = tmp_path / "model.pth"
    history = RobomimicBC().train(str(tmp_path / "labelled.hdf5"), BEHAVIORS, lambda p: dict.fromkeys(BEHAVIORS, 1 / 3),
                                  settings, 0, POLICY_OBS_KEYS, {20: str(ckpt)})
    assert [row["step"] for row in history] == [10, 20]
    assert all(set(BEHAVIORS) <= {k.split("/")[1] for k in row if k.startswith("loss_train/")} for row in history)
    policy = RobomimicBC().rollout_policy(str(ckpt))
    assert next(policy.policy.nets.parameters()).device.type == "cpu"
