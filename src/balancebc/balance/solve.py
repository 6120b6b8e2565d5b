"""Per-behavior weights for any trainer, with the solvers the pipeline's weights stage uses
(it calls ``solve_weights`` too): a method's settings and a labelled robomimic file in, a
``WeightsFile`` out (``.weights``; a scheduled method's ``.schedule`` over training, which
``BehaviorSampler.from_weights`` follows)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from balancebc import registry
from balancebc.balance.methods.base import Problem
from balancebc.io.robomimic_hdf5 import Labelled, open_dataset, read_labelled
from balancebc.io.weights_file import WeightsFile

if TYPE_CHECKING:
    from balancebc.io.behavior_data import BehaviorData


def low_dimensional_obs(path: str | Path) -> list[str]:
    """The file's ``obs/<key>`` that are vectors per step (not images), in its first demo."""
    with open_dataset(path) as f:
        demos = list(f["data"])
        obs = f[f"data/{demos[0]}/obs"] if demos else {}
        return [k for k in obs if obs[k].ndim <= 2 and obs[k].dtype.kind == "f"]


def _labelled(dataset, behaviors) -> Labelled:
    return dataset if isinstance(dataset, Labelled) else read_labelled(dataset, behaviors)


def solve_weights(method: dict, dataset: str | Path | Labelled, behaviors: list[str] | None = None,
                  obs_keys: list[str] | None = None, *, seed: int = 0, proxy: str = "mlp",
                  name: str | None = None) -> WeightsFile:
    """Solve one method's per-behavior weights.

    Args:
        method: a params.yaml ``methods`` entry, e.g. ``{"kind": "dro", "reference": "metagrad"}``;
            missing settings take the schema's defaults.
        dataset: a robomimic HDF5 file with one filter key per behavior and ``mask/train`` /
            ``mask/valid`` (or the label stage's ``labelled.hdf5``, or what ``read_labelled`` read).
        behaviors: the filter keys that are the behaviors (default: the label stage's own).
        obs_keys: what the solvers' proxy models see (default: every low-dimensional ``obs/<key>``).
        seed: the solvers' seed. proxy: ``mlp``, or ``linear`` for linear-Gaussian data.
        name: the method's name in the weights file (default: its kind).
    """
    from balancebc.params import complete_method
    spec = complete_method(method)
    labelled = _labelled(dataset, behaviors)
    problem = Problem(labelled, obs_keys or low_dimensional_obs(labelled.path), proxy, seed)
    return registry.METHODS[spec["kind"]].solve(name or spec["kind"], spec, problem)


def load_behavior_data(dataset: str | Path | Labelled, behaviors: list[str] | None = None,
                       obs_keys: list[str] | None = None) -> BehaviorData:
    """The demos as tensors, split and labelled as ``solve_weights`` reads them: ``.train``
    and ``.valid`` each hold ``x`` (observations side by side), ``y`` (actions) and ``b``
    (each sample's behavior index, in ``.behaviors``' order)."""
    from balancebc.io import behavior_data  # torch: only for the solvers that train a proxy
    labelled = _labelled(dataset, behaviors)
    return behavior_data.load(labelled, obs_keys or low_dimensional_obs(labelled.path))
