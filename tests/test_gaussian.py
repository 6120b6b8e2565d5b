"""The `gaussian` scenario as an oracle: trained policies and solver outputs against the
closed forms of Proposition 1 and the properties the paper states for DRO and the
meta-gradient reference."""
import numpy as np
import pytest

from balancebc import registry
from balancebc.balance.losses import make_model, train_weighted
from balancebc.balance.methods.base import Problem
from balancebc.balance.reference import losses_on, metagrad, natural_weights
from balancebc.io import behavior_data
from balancebc.scenarios import gaussian
from balancebc.stages.label import ground_truth_labels, save

from conftest import complete

BALANCE = {"proxy": {"hidden": [], "steps": 400, "lr": 0.05, "split": "valid"},
           "metagrad": {"outer_steps": 150, "inner_steps": 5, "inner_lr": 0.05, "outer_lr": 0.1, "tolerance": 1e-3,
                        "start": "scratch"},
           "dro": {"steps": 2000, "lr": 0.01, "eta": 0.03, "smoothing": 1e-4, "batch_per_behavior": None}}


def solve(method: str, spec: dict, path: str, labels: dict, seed: int = 0):
    """The weights stage's solve of a method on a `gaussian` dataset (linear proxy)."""
    spec = complete("methods", spec)
    problem = Problem(labels=labels, labelled=path, obs_keys=gaussian.OBS_KEYS, proxy="linear", seed=seed)
    return registry.METHODS[spec["kind"]].solve(method, spec, problem)


def scenario(samples, scale=None, noise=None):
    names = list(samples)
    return {"kind": "gaussian", "seed": 3, "state_dim": 4, "action_dim": 2, "samples": samples,
            "state_scale": scale or {k: 1.0 for k in names}, "noise": noise or {k: 0.1 for k in names},
            "demo_length": 50, "valid_fraction": 0.2,
            "train": {"steps": 3000, "batch_size": 128, "learning_rate": 0.05}}


def build(tmp_path, sc):
    """Generate and label a `gaussian` dataset as the pipeline does: the labelled file's path and the labels."""
    path = str(tmp_path / "g.hdf5")
    gaussian.generate(sc, path)
    labels = ground_truth_labels(path, list(sc["samples"]))
    labelled = str(tmp_path / "labelled.hdf5")
    save(labels, path, str(tmp_path / "labels.json"), labelled)
    return labelled, labels


def relative_error(theta, target):
    return np.linalg.norm(theta - target) / np.linalg.norm(target)


@pytest.mark.parametrize("samples", [{"a": 18000, "b": 2000}, {"a": 14000, "b": 6000},
                                     {"a": 9000, "b": 6000, "c": 1500}])
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["natural", "uniform"])
def test_trained_linear_policy_matches_proposition_1(tmp_path, monkeypatch, samples, kind):
    """General form with unequal S_k: theta* = (sum w_k S_k)^-1 sum w_k S_k theta_k.

    Two tolerances: within 2% of the same formula with the sample's own second moments
    (what the optimiser and the weighted sampler must reach), and within 8% of the
    population formula (the rest is the sampling error of S_k and theta_k at these n)."""
    monkeypatch.chdir(tmp_path)
    sc = scenario(samples, scale={k: s for k, s in zip(samples, (1.0, 2.0, 0.5))})
    path, labels = build(tmp_path, sc)
    weights = solve(kind, {"kind": kind}, path, labels)
    policy, checkpoint = registry.POLICIES["linear"], tmp_path / "run/model.pth"
    policy.train(path, weights.behaviors, lambda p: weights.weights, sc["train"], 0, gaussian.OBS_KEYS,
                 checkpoint)
    theta = __import__("torch").load(checkpoint, weights_only=False)["theta"]
    data = behavior_data.load(path, gaussian.OBS_KEYS)
    x, y, b = data.train.x.numpy(), data.train.y.numpy(), data.train.b.numpy()
    w = np.array([weights.weights[k] for k in data.behaviors])[b] / np.bincount(b)[b]
    empirical = np.linalg.solve(x.T @ (x * w[:, None]), (x * w[:, None]).T @ y)
    closed = gaussian.closed_form(sc, weights.weights)
    assert relative_error(theta, empirical) < 0.02
    assert relative_error(theta, closed) < 0.08
    _, result = registry.SCENARIOS["gaussian"].offline_extras(sc, str(checkpoint), weights)
    assert result["closed_form_distance"] == pytest.approx(np.linalg.norm(theta - closed), rel=1e-5)
    # and the closed form is not a trivial target: it differs from every sub-policy
    for theta_k in gaussian.true_parameters(sc).values():
        assert relative_error(closed, theta_k) > 0.1


def test_uniform_closed_form_is_the_plain_average_for_equal_second_moments():
    sc = scenario({"a": 900, "b": 100})
    thetas = gaussian.true_parameters(sc)
    assert np.allclose(gaussian.closed_form(sc, {"a": 0.5, "b": 0.5}), (thetas["a"] + thetas["b"]) / 2)
    assert np.allclose(gaussian.closed_form(sc, {"a": 0.9, "b": 0.1}), 0.9 * thetas["a"] + 0.1 * thetas["b"])


@pytest.fixture(scope="module")
def three_behaviors(tmp_path_factory):
    sc = scenario({"common": 1800, "rare": 200, "noisy": 200}, noise={"common": 0.1, "rare": 0.1, "noisy": 1.0})
    path, labels = build(tmp_path_factory.mktemp("g3"), sc)
    data = behavior_data.load(path, gaussian.OBS_KEYS)
    return sc, labels, data, make_model("linear", 4, 2), path


def test_dro_zero_equalises_per_behavior_losses(three_behaviors):
    sc, labels, data, model, path = three_behaviors
    out = solve("dro_zero", {"kind": "dro", "reference": "zero", **BALANCE}, path, labels)
    assert out.reference_losses == {b: 0.0 for b in data.behaviors}
    losses = np.array(list(out.solver["final_train_losses"].values()))
    active = np.array(list(out.solver["final_alpha"].values())) > 0.05
    assert active.sum() >= 2
    # at the min-max point the behaviors that keep weight have equal losses; the others lower ones
    assert np.ptp(losses[active]) / losses[active].mean() < 0.02, out.solver["final_train_losses"]
    assert np.all(losses[~active] <= losses[active].max() * 1.01)
    # the rare behavior gets far more than its share of samples
    assert out.weights["rare"] > 0.3 > natural_weights(data)[1]


def test_metagrad_reference_is_no_worse_than_natural_or_uniform(three_behaviors):
    sc, labels, data, model, _ = three_behaviors
    ref = metagrad(model, data, BALANCE["proxy"], BALANCE["metagrad"], seed=0)
    K = len(data.behaviors)
    for name, w in (("natural", natural_weights(data)), ("uniform", np.full(K, 1 / K))):
        params = train_weighted(model, data.train, w, BALANCE["proxy"]["steps"], BALANCE["proxy"]["lr"], 0)
        baseline = losses_on(model, params, data)
        for k, b in enumerate(data.behaviors):
            assert ref["losses"][k] <= baseline[k] * 1.02, (b, name, ref["losses"][k], baseline[k])
    # behavior k's converged weights favour k itself
    for k in range(K):
        assert int(np.argmax(ref["weights"][k])) == k
