"""The `gaussian` scenario as an oracle: trained policies and solver outputs against the
closed forms of Proposition 1 and the properties the paper states for DRO and the
meta-gradient reference."""
import numpy as np
import pytest
import torch

from balancebc import registry
from balancebc.balance.losses import fresh_params, make_model
from balancebc.balance.reference import inner_loss, metagrad_weights
from balancebc.balance.solve import solve_weights
from balancebc.errors import BalanceBCError
from balancebc.io import behavior_data
from balancebc.io.behavior_data import BehaviorData, Split
from balancebc.labels.assign import ground_truth_labels, save
from balancebc.scenarios import gaussian

FULL_BATCH = {"hidden": [], "steps": 2000, "lr": 0.01, "batch_per_behavior": None, "split": "train"}


def solve(method: str, spec: dict, path: str, seed: int = 0):
    """The weights stage's solve of a method on a labelled `gaussian` dataset (linear proxy)."""
    return solve_weights(spec, path, obs_keys=gaussian.OBS_KEYS, seed=seed, proxy="linear", name=method)


def scenario(samples, scale=None, noise=None, theta_of=None, demo_length=50, seed=3):
    names = list(samples)
    return {"kind": "gaussian", "seed": seed, "state_dim": 4, "action_dim": 2, "samples": samples,
            "state_scale": scale or {k: 1.0 for k in names}, "noise": noise or {k: 0.1 for k in names},
            "theta_of": theta_of or {}, "demo_length": demo_length, "valid_fraction": 0.2,
            "train": {"steps": 3000, "batch_size": 128, "learning_rate": 0.05}}


def build(tmp_path, sc):
    """Generate and label a `gaussian` dataset as the pipeline does: the labelled file's path and the labels."""
    path = str(tmp_path / "g.hdf5")
    gaussian.generate(sc, path)
    labels = ground_truth_labels(path, list(sc["samples"]))
    labelled = str(tmp_path / "labelled.hdf5")
    save(labels, path, str(tmp_path / "labels.json"), labelled)
    return labelled, labels


def sample_closed_form(data: BehaviorData, weights: dict[str, float]) -> np.ndarray:
    """theta*(w) of Proposition 1's general form with the training split's own moments."""
    x, y, b = data.train.x.double().numpy(), data.train.y.double().numpy(), data.train.b.numpy()
    per = np.array([weights[k] for k in data.behaviors])[b] / np.bincount(b)[b]
    return np.linalg.solve(x.T @ (x * per[:, None]), (x * per[:, None]).T @ y)


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
    weights = solve(kind, {"kind": kind}, path)
    policy, checkpoint = registry.POLICIES["linear"], tmp_path / "run/model.pth"
    policy.train(path, weights.behaviors, lambda p: weights.weights, sc["train"], 0, gaussian.OBS_KEYS,
                 {sc["train"]["steps"]: checkpoint})
    theta = __import__("torch").load(checkpoint, weights_only=True)["theta"].numpy()
    empirical = sample_closed_form(behavior_data.load(path, gaussian.OBS_KEYS), weights.weights)
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


def float64(data: BehaviorData) -> BehaviorData:
    as64 = lambda s: Split(s.x.double(), s.y.double(), s.b)  # noqa: E731
    return BehaviorData(data.behaviors, as64(data.train), as64(data.valid))


@pytest.fixture(scope="module")
def three_behaviors(tmp_path_factory):
    """common (1800 samples), rare (200) and conflicting (200, its own theta, ten times the noise)."""
    sc = scenario({"common": 1800, "rare": 200, "conflicting": 200},
                  noise={"common": 0.1, "rare": 0.1, "conflicting": 1.0})
    path, labels = build(tmp_path_factory.mktemp("g3"), sc)
    return sc, labels, path


@pytest.mark.parametrize("hidden", [[], [8]])
def test_hypergradient_equals_finite_differences(three_behaviors, hidden):
    """(a) dL_k(theta_T(w))/dw by differentiating through the inner steps, against central
    differences of L_k(theta_T(w)) in float64."""
    _, _, path = three_behaviors
    data = float64(behavior_data.load(path, gaussian.OBS_KEYS))
    model = make_model("linear" if not hidden else "mlp", 4, 2, hidden, dtype=torch.float64)
    start = {n: p.detach() for n, p in fresh_params(model, 0).items()}
    cfg = {"inner_steps": 5, "inner_lr": 0.05}
    w = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64, requires_grad=True)
    for k in range(3):
        loss, _ = inner_loss(model, data, k, w, start, cfg, "valid")
        (grad,) = torch.autograd.grad(loss, w)
        h, fd = 1e-6, torch.zeros(3, dtype=torch.float64)
        for j in range(3):
            e = torch.zeros(3, dtype=torch.float64)
            e[j] = h
            fd[j] = (inner_loss(model, data, k, w.detach() + e, start, cfg, "valid")[0]
                     - inner_loss(model, data, k, w.detach() - e, start, cfg, "valid")[0]) / (2 * h)
        assert float((grad - fd).norm() / fd.norm()) < 1e-3, (k, grad.tolist(), fd.tolist())


def closed_form_loss(data: BehaviorData, k: int, w: np.ndarray) -> float:
    """Behavior k's held-out loss at theta*(w), Proposition 1's closed form."""
    theta = sample_closed_form(data, dict(zip(data.behaviors, w)))
    v = data.valid
    m = (v.b == k).numpy()
    return float(((v.x.double().numpy()[m] @ theta - v.y.double().numpy()[m]) ** 2).mean())


def simplex_minimum(f, K: int) -> float:
    """min over the simplex of f, by scipy (SLSQP) from every vertex and the centre."""
    from scipy.optimize import minimize
    starts = [np.eye(K)[j] * 0.98 + 0.02 / K for j in range(K)] + [np.full(K, 1 / K)]
    best = min((minimize(f, s, method="SLSQP", bounds=[(0, 1)] * K,
                         constraints={"type": "eq", "fun": lambda w: w.sum() - 1}) for s in starts),
               key=lambda r: r.fun)
    return float(best.fun)


def test_metagrad_weights_borrow_from_a_behavior_that_shares_theta(tmp_path):
    """(b) `rare` shares theta with `common` but has few noisy samples, so training on it
    alone overfits: the meta-gradient w must reach L_rare(theta*(w)) within 5% of the
    minimum over the simplex (scipy on the closed form), which e_rare does not."""
    sc = scenario({"common": 1500, "rare": 40, "conflicting": 300}, noise={"common": 0.5, "rare": 0.5, "conflicting": 0.5},
                  theta_of={"rare": "common"}, demo_length=4)
    path, _ = build(tmp_path, sc)
    data = float64(behavior_data.load(path, gaussian.OBS_KEYS))
    k = data.behaviors.index("rare")
    best = simplex_minimum(lambda w: closed_form_loss(data, k, np.clip(w, 0, None)), 3)
    assert closed_form_loss(data, k, np.eye(3)[k]) > 1.05 * best  # training on rare alone is not enough
    model = make_model("linear", 4, 2, dtype=torch.float64)
    start = {n: p.detach() for n, p in fresh_params(model, 0).items()}
    cfg = {"outer_steps": 300, "inner_steps": 30, "inner_lr": 0.5, "outer_lr": 0.5, "tolerance": 1e-4}
    solved = metagrad_weights(model, data, k, cfg, start, "valid")
    assert closed_form_loss(data, k, np.array(solved["weights"])) <= 1.05 * best, (solved["weights"], best)
    assert solved["weights"][data.behaviors.index("conflicting")] < 0.05


def test_dro_with_non_zero_references_equalises_the_excess(three_behaviors, tmp_path):
    """(c) Meta-gradient references retrained on each behavior's converged w (here e_k:
    the sub-policies conflict, so L*_k is what k reaches alone and no theta reaches every
    L*_k at once): at the end of the game the clipped excess is equal (within 2%) for the
    behaviors that keep weight; and a policy trained with the output alpha lands on
    theta*(alpha)."""
    sc, labels, path = three_behaviors
    out = solve("dro_metagrad", {"kind": "dro", "reference": "metagrad", "proxy": {**FULL_BATCH, "steps": 6000},
                                 "metagrad": {"reference_at": "retrained"}}, path)
    assert out.solver["settled"] and min(out.reference_losses.values()) > 0
    excess = np.array(list(out.solver["final_excess"].values()))
    active = np.array(list(out.solver["final_alpha"].values())) > 0.05
    assert active.sum() >= 2, out.solver["final_alpha"]
    assert np.ptp(excess[active]) / excess[active].mean() < 0.02, out.solver["final_excess"]
    policy, checkpoint = registry.POLICIES["linear"], tmp_path / "model.pth"
    policy.train(path, out.behaviors, lambda p: out.weights, sc["train"], 0, gaussian.OBS_KEYS,
                 {sc["train"]["steps"]: checkpoint})
    theta = torch.load(checkpoint, weights_only=True)["theta"].numpy()
    assert relative_error(theta, sample_closed_form(behavior_data.load(path, gaussian.OBS_KEYS), out.weights)) < 0.02


def test_dro_zero_equalises_per_behavior_losses(three_behaviors):
    _, labels, path = three_behaviors
    out = solve("dro_zero", {"kind": "dro", "reference": "zero", "proxy": FULL_BATCH}, path)
    assert out.reference_losses == {b: 0.0 for b in out.behaviors}
    losses = np.array(list(out.solver["final_losses"].values()))
    active = np.array(list(out.solver["final_alpha"].values())) > 0.05
    assert active.sum() >= 2 and out.solver["settled"]
    # at the min-max point the behaviors that keep weight have equal losses; the others lower ones
    assert np.ptp(losses[active]) / losses[active].mean() < 0.02, out.solver["final_losses"]
    assert np.all(losses[~active] <= losses[active].max() * 1.01)
    # the rare behavior gets far more than its share of samples
    assert out.weights["rare"] > 0.3 > out.counts["rare"] / sum(out.counts.values())


def test_metagrad_solve_records_convergence(three_behaviors):
    _, labels, path = three_behaviors
    out = solve("dro_metagrad", {"kind": "dro", "reference": "metagrad", "proxy": {**FULL_BATCH, "steps": 200}},
                path)
    s = out.solver
    assert set(s["metagrad_converged"]) == set(out.behaviors)
    for b in out.behaviors:
        trace = s["metagrad_trace"][b]
        assert len(trace) == s["metagrad_iterations"][b] + 1 and trace[-1] == s["metagrad_weights"][b]
        assert s["metagrad_converged"][b] == (np.abs(np.diff(trace[-11:], axis=0)).sum(axis=1) < 1e-3).all()


def test_a_behavior_without_held_out_samples_is_an_error(tmp_path):
    sc = scenario({"common": 400, "rare": 40}, demo_length=40)  # rare: one demo, so none held out
    path, labels = build(tmp_path, sc)
    with pytest.raises(BalanceBCError, match=r"\['rare'\] have no samples in the valid split"):
        solve("d", {"kind": "dro", "reference": "remix", "proxy": {**FULL_BATCH, "split": "valid"}}, path)
