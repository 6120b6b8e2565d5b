import csv
import json

import numpy as np
import pytest
from scipy import stats as sps

from balancebc import paths
from balancebc.io.weights_file import WeightsFile
from balancebc.params import validate
from balancebc.stages.report import report

from conftest import tiny_params

POLICIES = [(0, 0), (0, 1), (1, 0), (1, 1)]  # (replicate, seed)


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def _params(scenario: str, kind: str, methods: list[str]) -> dict:
    params = tiny_params()
    params["scenarios"][scenario] = params["scenarios"][kind]
    params.update(methods={m: {"kind": "natural"} for m in methods}, seeds=[0, 1], replicates=[0, 1],
                  checkpoints=[0.5, 1.0])
    return validate(params)


def _evaluation(units: dict[str, tuple[int, int]], episodes: int) -> dict:
    """Successes per unit at the checkpoints 0.5 and 1.0, as per-episode outcomes."""
    curve = [{"fraction": f, "step": int(100 * f), "units": {
        u: {"episodes": episodes, "successes": k[i], "success_rate": k[i] / episodes,
            "per_episode": [1] * k[i] + [0] * (episodes - k[i])} for u, k in units.items()}}
        for i, f in enumerate((0.5, 1.0))]
    return {"unit": "region", "units": curve[-1]["units"], "curve": curve}


def _weights(method, behaviors=("common", "rare"), weights=None, spec=None, solver=None, counts=None):
    weights = weights or {"common": 0.9, "rare": 0.1}
    return WeightsFile(method=method, spec=spec or {"kind": "natural"}, behaviors=list(behaviors),
                       counts=counts or {b: 10 for b in behaviors}, demos={b: 1 for b in behaviors},
                       weights=weights, schedule=[{"progress": 0.0, "weights": weights}], solver=solver)


def test_report_per_policy_statistics(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # rare-region successes out of 10 per policy at (half, end) of training
    rare = {"natural": [(1, 2), (2, 4), (1, 3), (2, 3)], "uniform": [(5, 7), (6, 9), (4, 8), (6, 6)]}
    for method, per_policy in rare.items():
        for (r, s), k in zip(POLICIES, per_policy):
            _weights(method).write(tmp_path / paths.weights("pick", method, r, s))
            _write(tmp_path / paths.evaluation("pick", method, r, s), _evaluation({"common": (9, 9), "rare": k}, 10))
    report("pick", _params("pick", "pick", ["natural", "uniform"]))
    rows = {(r["method"], r["region"], float(r["fraction"])): r
            for r in csv.DictReader(open(paths.report_file("pick", "results.csv")))}
    nat, uni = rows["natural", "rare", 1.0], rows["uniform", "rare", 1.0]
    assert float(nat["mean"]) == pytest.approx(0.3) and float(uni["mean"]) == pytest.approx(0.75)
    assert float(nat["sd"]) == pytest.approx(np.std([0.2, 0.4, 0.3, 0.3], ddof=1), abs=1e-4)
    assert nat["successes"] == "12" and nat["episodes"] == "40" and nat["policies"] == "4"
    # uniform − natural, paired by (replicate, seed): differences 0.5, 0.5, 0.5, 0.3
    d = np.array([0.7, 0.9, 0.8, 0.6]) - np.array([0.2, 0.4, 0.3, 0.3])
    half = sps.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert float(uni["effect"]) == pytest.approx(d.mean(), abs=1e-4)
    assert float(uni["ci95_low"]) == pytest.approx(d.mean() - half, abs=1e-4)
    # Holm over the report's family: (uniform, common) has p = 1 (no difference), (uniform, rare) the smaller p
    assert float(uni["p_holm"]) == pytest.approx(min(1.0, 2 * sps.ttest_rel([.7, .9, .8, .6], [.2, .4, .3, .3]).pvalue),
                                                 abs=1e-4)
    assert rows["natural", "rare", 0.5]["p_holm"] == "" and rows["uniform", "rare", 0.5]["mean"] == "0.5250"
    md = open(paths.report_file("pick", "results.md")).read()
    # the learning curve: uniform's rare-region mean reaches the target 0.5 at step 50, natural's never
    assert "| uniform | rare | 0.53 | 0.75 | 50 |" in md and "| natural | rare | 0.15 | 0.30 | > 100 |" in md
    outcomes = list(csv.DictReader(open(paths.record_file("pick", "outcomes.csv"))))
    assert len(outcomes) == 2 * 4 * 2 * 2 * 10  # methods × policies × checkpoints × regions × episodes
    metrics = json.loads(open(paths.report_file("pick", "metrics.json")).read())
    assert metrics == {"natural": {"common": 0.9, "rare": 0.3}, "uniform": {"common": 0.9, "rare": 0.75}}


def test_table1_shows_weights_over_policies_next_to_the_paper(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    subopt = {"natural": [0.4] * 4, "dro_metagrad": [0.1, 0.3, 0.1, 0.3]}
    for method, per_policy in subopt.items():
        dro = method.startswith("dro")
        for i, ((r, s), w) in enumerate(zip(POLICIES, per_policy)):
            weights = {"optimal": 1 - w, "suboptimal": w}
            solver = {"final_alpha": weights, "reference_losses": {"optimal": 0.01 * (s + 1), "suboptimal": 0.05},
                      "trace": [{"step": 0, "weights": {"optimal": 0.5, "suboptimal": 0.5}}], "settled": i > 0}
            _weights(method, ("optimal", "suboptimal"), weights, {"kind": "dro", "reference": "metagrad"} if dro
                     else None, solver if dro else None, {"optimal": 60, "suboptimal": 40}
                     ).write(tmp_path / paths.weights("ps", method, r, s))
            _write(tmp_path / paths.evaluation("ps", method, r, s), _evaluation({"left": (2, 2), "right": (2, 3)}, 4))
    report("ps", _params("ps", "pick_suboptimal", ["natural", "dro_metagrad"]))
    table = open(paths.report_file("ps", "weights.md")).read()
    # mean ± sample std over the four policies' solves: suboptimal 0.1, 0.3, 0.1, 0.3; L*_optimal 0.01, 0.02, ...
    sd = np.std([0.1, 0.3, 0.1, 0.3], ddof=1)
    assert f"| dro_metagrad | 0.800 ± {sd:.3f} | 0.200 ± {sd:.3f} |" in table
    assert f"| dro_metagrad | 0.0633 | 0.9367 | 1.893 | 1.505 | 0.200 ± {sd:.3f} |" in table
    assert "**alpha did not settle in 1 of 4 solves**" in table
    assert "| dro_remix | 0.5348 | 0.4652 | 0.52 | 0.9337 | (not run) |" in table
    weights = list(csv.DictReader(open(paths.record_file("ps", "weights.csv"))))
    assert len(weights) == 2 * 4 * 2 and {w["behavior"] for w in weights} == {"optimal", "suboptimal"}
