import numpy as np
import pytest

from balancebc import registry
from balancebc.balance.methods.base import Problem
from balancebc.balance.methods.temperature import temperature_at
from balancebc.errors import BalanceBCError
from balancebc.io.robomimic_hdf5 import Labelled
from balancebc.io.weights_file import WeightsFile
from balancebc.policies.sampler import BehaviorSampler, per_sample_probabilities

from conftest import complete, within_binomial_error


def weights_at(spec, counts, progress=1.0):
    spec = complete("methods", spec)
    return registry.METHODS[spec["kind"]].weights_at(spec, counts, progress)


def solve(method, spec, counts):
    """A closed-form method's solve for behaviors of ``counts`` training samples (one demo each; no file read)."""
    spec = complete("methods", spec)
    demos = {f"demo_{i}": b for i, b in enumerate(counts)}
    labelled = Labelled("unused.hdf5", list(counts), demos, dict.fromkeys(demos, "train"),
                        {d: counts[b] for d, b in demos.items()})
    return registry.METHODS[spec["kind"]].solve(method, spec, Problem(labelled, [], "mlp", 0))

COUNTS = {"left": 1200, "middle": 1000, "right": 150}


def test_natural_is_the_share_of_samples():
    w = weights_at({"kind": "natural"}, COUNTS)
    total = sum(COUNTS.values())
    assert w == pytest.approx({k: n / total for k, n in COUNTS.items()})


def test_uniform_is_one_over_k():
    assert weights_at({"kind": "uniform"}, COUNTS) == pytest.approx({k: 1 / 3 for k in COUNTS})


def test_temperature_interpolates_between_natural_and_uniform():
    natural = weights_at({"kind": "natural"}, COUNTS)
    assert weights_at({"kind": "temperature", "tau": 1.0}, COUNTS) == pytest.approx(natural)
    hot = weights_at({"kind": "temperature", "tau": 1e6}, COUNTS)
    assert hot == pytest.approx({k: 1 / 3 for k in COUNTS}, abs=1e-4)
    rare = [weights_at({"kind": "temperature", "tau": t}, COUNTS)["right"] for t in (1, 2, 4, 8)]
    assert np.all(np.diff(rare) > 0), "a hotter temperature must up-weight the rare behavior"
    w2 = weights_at({"kind": "temperature", "tau": 2.0}, COUNTS)
    z = sum(n ** 0.5 for n in COUNTS.values())
    assert w2["right"] == pytest.approx(150 ** 0.5 / z)


def test_cosine_schedule_warms_from_tau_to_tau_end():
    spec = {"kind": "temperature", "tau": 1.0, "tau_end": 5.0, "schedule": "cosine"}
    assert temperature_at(spec, 0.0) == pytest.approx(1.0)
    assert temperature_at(spec, 0.5) == pytest.approx(3.0)
    assert temperature_at(spec, 1.0) == pytest.approx(5.0)
    taus = [temperature_at(spec, t) for t in np.linspace(0, 1, 11)]
    assert np.all(np.diff(taus) > 0)


def test_solve_records_counts_weights_and_trace():
    spec = {"kind": "temperature", "tau": 1.0, "tau_end": 5.0, "schedule": "cosine"}
    out = solve("warm", spec, COUNTS)
    assert out.counts == COUNTS and out.scheduled
    assert out.schedule[0]["weights"] == pytest.approx(weights_at({"kind": "natural"}, COUNTS))
    assert out.weights == pytest.approx(weights_at({"kind": "temperature", "tau": 5.0}, COUNTS))
    # training reads the schedule back: at a recorded point, its entry; between two, the earlier one
    assert [e["progress"] for e in out.schedule] == pytest.approx(np.linspace(0, 1, 101))
    at_quarter = weights_at({"kind": "temperature", "tau": temperature_at(out.spec, 0.25)}, COUNTS)
    assert out.at_progress(0.25) == pytest.approx(at_quarter)
    assert out.at_progress(0.2549) == out.at_progress(0.25) != out.at_progress(0.26)
    assert out.at_progress(1.0) == out.weights


def test_training_follows_the_weights_files_schedule_not_the_methods_formula(tmp_path):
    """The schedule in the file is the one source: edit it, and the sampler follows the edit."""
    out = solve("warm", {"kind": "temperature", "tau": 1.0, "tau_end": 5.0, "schedule": "cosine"},
                {"a": 90, "b": 10})
    for entry in out.schedule:  # the rare behavior first, then the common one: no temperature gives this
        entry["weights"] = {"a": 0.0, "b": 1.0} if entry["progress"] < 0.5 else {"a": 1.0, "b": 0.0}
    out.write(tmp_path / "weights.json")
    read = WeightsFile.read(tmp_path / "weights.json")
    behavior = np.array([0] * 90 + [1] * 10)
    draws = behavior[list(BehaviorSampler.from_weights(read, behavior, batch_size=8, steps=200))].reshape(200, 8)
    assert (draws[:100] == 1).all() and (draws[100:] == 0).all()


def test_fixed_weights_are_the_given_ones_normalised():
    out = solve("hand", {"kind": "fixed", "weights": {"left": 1, "middle": 1, "right": 2}}, COUNTS)
    assert out.weights == pytest.approx({"left": 0.25, "middle": 0.25, "right": 0.5}) and not out.scheduled
    assert out.at_progress(0.3) == out.weights
    with pytest.raises(BalanceBCError, match=r"methods.hand.weights: expected one weight per behavior"):
        solve("hand", {"kind": "fixed", "weights": {"left": 1, "right": 2}}, COUNTS)
    with pytest.raises(BalanceBCError, match="at least one weight must be positive"):
        solve("hand", {"kind": "fixed", "weights": {"left": 0, "middle": 0, "right": 0}}, COUNTS)


def test_per_sample_probabilities_give_each_behavior_its_weight():
    behavior = np.array([0] * 60 + [1] * 30 + [2] * 10)
    weights = {"a": 0.2, "b": 0.3, "c": 0.5}
    p = per_sample_probabilities(behavior, weights, ["a", "b", "c"])
    assert p.sum() == pytest.approx(1.0)
    assert [p[behavior == k].sum() for k in range(3)] == pytest.approx([0.2, 0.3, 0.5])


def test_fixed_weights_sampler_hits_the_weights_within_binomial_error():
    behavior = np.array([0] * 60 + [1] * 30 + [2] * 10)
    sampler = BehaviorSampler(behavior, ["a", "b", "c"], lambda p: {"a": 0.2, "b": 0.3, "c": 0.5}, 64, 500, seed=0)
    draws = behavior[list(sampler)]
    assert len(draws) == 64 * 500
    assert within_binomial_error(draws, np.array([0.2, 0.3, 0.5]))
    # and the check can fail: natural shares are far off
    assert not within_binomial_error(draws, np.array([0.6, 0.3, 0.1]))


def test_scheduled_weights_are_re_evaluated_every_percent_and_hit_within_binomial_error():
    behavior = np.array([0] * 900 + [1] * 100)
    spec = complete("methods", {"kind": "temperature", "tau": 1.0, "tau_end": 5.0, "schedule": "cosine"})
    method, counts = registry.METHODS["temperature"], {"a": 900, "b": 100}
    asked = []

    def weights_at(progress):
        asked.append(progress)
        return method.weights_at(spec, counts, progress)

    steps, batch = 1000, 32
    sampler = BehaviorSampler(behavior, ["a", "b"], weights_at, batch, steps, seed=3, steps_per_pass=250)
    draws = np.concatenate([behavior[list(sampler)] for _ in range(4)])  # four robomimic-style epochs
    assert len(draws) == steps * batch and len(sampler) == 0
    assert len(asked) >= 100 and asked[0] == 0.0 and max(np.diff(asked)) <= 0.0101
    per_step = np.array([method.weights_at(spec, counts, asked[s // (steps // 100)])["b"] for s in range(steps)])
    for window in np.array_split(np.arange(steps), 10):  # each tenth of training, against its own expected share
        expected = per_step[window].mean()
        assert within_binomial_error(draws.reshape(steps, batch)[window].ravel(), np.array([1 - expected, expected]))
    # the rare share rises from its natural 0.1 towards uniform
    assert per_step[0] == pytest.approx(0.1) and per_step[-1] > 0.35


def test_sampler_resumes_from_its_state_dict():
    behavior = np.array([0] * 60 + [1] * 30 + [2] * 10)
    warming = lambda p: {"a": 0.6 - 0.4 * p, "b": 0.3, "c": 0.1 + 0.4 * p}  # noqa: E731
    sampler = BehaviorSampler(behavior, ["a", "b", "c"], warming, 10, 400, seed=1, steps_per_pass=150)
    list(sampler)
    state = sampler.state_dict()
    expected = list(sampler)
    resumed = BehaviorSampler(behavior, ["a", "b", "c"], warming, 10, 400, seed=99, steps_per_pass=150)
    resumed.load_state_dict(state)
    assert list(resumed) == expected and resumed.weights == sampler.weights
