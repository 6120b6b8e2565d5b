"""The claims table from compact records: paired within a scenario, Welch across two, one
Holm family, verdicts, and "not run" for a cell or record the run lacks."""
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from balancebc import paths
from balancebc.params import validate
from balancebc.stages.claims import evaluate_claims

from conftest import tiny_params

POLICIES = [(r, s) for r in (0, 1) for s in range(5)]


def _record(scenario: str, rates: dict[str, list[float]], episodes: int = 10, weights: dict | None = None):
    """records/<scenario>/ with the given per-policy success rates on unit `right` at the end."""
    rows = []
    for method, per_policy in rates.items():
        for (r, s), rate in zip(POLICIES, per_policy):
            k = round(rate * episodes)
            rows += [f"{method},{r},{s},1.0,100,right,{e},{int(e < k)}" for e in range(episodes)]
    out = Path(paths.record_file(scenario, "outcomes.csv"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("method,replicate,seed,fraction,step,unit,episode,value\n" + "\n".join(rows) + "\n")
    lines = ["method,replicate,seed,behavior,weight,reference_loss"]
    for method, per_policy in (weights or {}).items():
        lines += [f"{method},{r},{s},sloppy,{w}," for (r, s), w in zip(POLICIES, per_policy)]
    Path(paths.record_file(scenario, "weights.csv")).write_text("\n".join(lines) + "\n")


def _params(claims: dict) -> dict:
    params = tiny_params()
    params["scenarios"]["other"] = params["scenarios"]["pick"]
    params["methods"] = {m: {"kind": "natural"} for m in ("natural", "uniform")}
    params["analysis"] = {"claims": claims}
    return validate(params)


def test_claims_pair_within_a_scenario_and_not_across(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    natural = np.clip(rng.normal(0.3, 0.15, 10), 0, 1).round(1)
    uniform = np.clip(natural + 0.4 + rng.normal(0, 0.1, 10), 0, 1).round(1)
    _record("pick", {"natural": natural, "uniform": uniform}, weights={"natural": [0.1] * 10,
                                                                      "uniform": [0.25] * 5 + [0.35] * 5})
    _record("other", {"natural": natural + 0.0, "uniform": natural})
    rows = evaluate_claims(_params({
        "up": {"paper": "p", "treated": "pick/uniform", "control": "pick/natural", "units": ["right"],
               "expect": "increase"},
        "same": {"paper": "p", "treated": "pick/natural", "control": "other/natural", "units": ["right"],
                 "expect": "equivalent"},
        "down": {"paper": "p", "treated": "pick/uniform", "control": "pick/natural", "units": ["right"],
                 "expect": "decrease"},
        "weight": {"paper": "p", "treated": "pick/uniform", "control": "pick/natural", "units": ["sloppy"],
                   "metric": "weight", "expect": "increase"},
        "absent": {"paper": "p", "treated": "pick_suboptimal/uniform", "control": "pick/natural",
                   "units": ["right"], "expect": "increase"}}))
    by = {r["claim"]: r for r in rows}
    assert by["up"]["paired"] and not by["same"]["paired"]
    raw = sps.ttest_rel(uniform, natural).pvalue
    assert by["up"]["p"] == pytest.approx(raw, rel=1e-6)
    # Holm over the 4 tested rows: the smallest p times 4 at most, never below the raw p
    assert by["up"]["p_holm"] >= by["up"]["p"] and by["up"]["p_holm"] <= 4 * by["up"]["p"] + 1e-12
    assert by["up"]["verdict"] == "reproduced" and by["down"]["verdict"] == "contradicted"
    assert by["same"]["effect"] == pytest.approx(0.0) and by["same"]["verdict"] in ("reproduced", "inconclusive")
    assert by["weight"]["effect"] == pytest.approx(0.2) and by["weight"]["fraction"] is None
    assert by["absent"]["verdict"] == "not run" and "p" not in by["absent"]


def test_a_missing_record_is_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _record("pick", {"natural": [0.5] * 10, "uniform": [0.6] * 10})
    rows = evaluate_claims(_params({"x": {"paper": "p", "treated": "other/uniform", "control": "pick/natural",
                                          "units": ["right"], "expect": "increase"}}))
    assert [r["verdict"] for r in rows] == ["not run"]


def test_a_claim_whose_precondition_fails_is_not_applicable(tmp_path, monkeypatch):
    """The sloppy data does not hurt plain BC (its precondition row is not met), so the claim
    that a method fixes the harm is not applicable, though its own test would reproduce it."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    natural = np.clip(rng.normal(0.5, 0.1, 10), 0, 1).round(1)
    _record("pick", {"natural": natural, "uniform": np.clip(natural + 0.4 + rng.normal(0, 0.1, 10), 0, 1).round(1)})
    _record("other", {"natural": np.clip(natural + rng.normal(0, 0.05, 10), 0, 1).round(1)})
    claims = {
        "hurts": {"paper": "p", "treated": "pick/natural", "control": "other/natural", "units": ["right"],
                  "expect": "decrease", "precondition": True},
        "learned": {"paper": "p", "treated": "pick/natural", "control": 0.2, "units": ["right"],
                    "expect": "increase", "precondition": True},
        "fixes": {"paper": "p", "treated": "pick/uniform", "control": "pick/natural", "units": ["right"],
                  "expect": "increase", "requires": ["hurts"]},
        "fixes_learned": {"paper": "p", "treated": "pick/uniform", "control": "pick/natural", "units": ["right"],
                          "expect": "increase", "requires": ["learned"]}}
    by = {r["claim"]: r for r in evaluate_claims(_params(claims))}
    assert by["hurts"]["verdict"] == "not met"  # equivalent within the margin: no harm
    assert by["fixes"]["verdict"] == "not applicable" and by["fixes"]["test_verdict"] == "reproduced"
    assert by["fixes"]["unmet"] == ["hurts: not met"]
    # against a fixed rate: all 10 policies above 0.2, a sign test's p = 2 / 2**10
    assert by["learned"]["p"] == pytest.approx(2 / 2 ** 10) and by["learned"]["verdict"] == "met"
    assert by["learned"]["effect"] == pytest.approx(natural.mean() - 0.2)
    assert by["fixes_learned"]["verdict"] == "reproduced"
    # a precondition that was not run leaves the claim not applicable too
    claims["hurts"]["control"] = "pick_suboptimal/natural"
    by = {r["claim"]: r for r in evaluate_claims(_params(claims))}
    assert by["hurts"]["verdict"] == "not run" and by["fixes"]["verdict"] == "not applicable"


def test_requires_names_a_precondition():
    from balancebc.errors import BalanceBCError
    claims = {"a": {"paper": "p", "treated": "pick/uniform", "control": "pick/natural", "units": ["right"],
                    "expect": "increase", "requires": ["b"]}}
    with pytest.raises(BalanceBCError, match=r"analysis.claims.a.requires: 'b' is not among the claims"):
        _params(claims)
