import csv
import json

import pytest

from balancebc import paths
from balancebc.io.weights_file import WeightsFile
from balancebc.stages.report import report


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_report_aggregates_seeds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcomes = {("natural", 0): (8, 2), ("natural", 1): (10, 4), ("uniform", 0): (9, 6), ("uniform", 1): (9, 9)}
    for (method, seed), (common, rare) in outcomes.items():
        WeightsFile(method=method, spec={"kind": method}, behaviors=["common", "rare"],
                    counts={"common": 90, "rare": 10}, demos={"common": 9, "rare": 1},
                    weights={"common": 0.9, "rare": 0.1},
                    schedule=[{"progress": 0.0, "weights": {"common": 0.9, "rare": 0.1}}],
                    ).write(tmp_path / paths.weights("pick", method, seed))
        _write(tmp_path / paths.evaluation("pick", method, seed),
               {"unit": "region", "units": {b: {"episodes": 10, "successes": k, "success_rate": k / 10}
                                            for b, k in (("common", common), ("rare", rare))}})
    report("pick", {"kind": "pick"}, ["natural", "uniform"], [0, 1])
    rows = {(r["method"], r["region"]): r for r in csv.DictReader(open(paths.report_dir("pick") + "/results.csv"))}
    rare = rows["natural", "rare"]
    assert float(rare["mean"]) == pytest.approx(0.3)
    assert float(rare["std"]) == pytest.approx(0.1414, abs=1e-3)  # sample std of 0.2, 0.4
    assert rare["successes"] == "6" and rare["episodes"] == "20"
    # Wilson interval of 6/20
    assert float(rare["pooled_ci95_low"]) == pytest.approx(0.1455, abs=1e-3)
    assert float(rare["pooled_ci95_high"]) == pytest.approx(0.5190, abs=1e-3)
    assert float(rows["uniform", "rare"]["mean"]) == pytest.approx(0.75)
    md = open(paths.report_dir("pick") + "/results.md").read()
    assert "| natural | 0.90 ± 0.14 | 0.30 ± 0.14 |" in md
    # paired t-test of uniform against natural: differences 0.4 and 0.5 give t = 9 with one
    # degree of freedom, p = 2 (1 - F_t1(9)) = 0.0704; the common behavior: +0.1 and -0.1, p = 1
    assert "| uniform | +0.000 (p=1.000) | +0.450 (p=0.070) |" in md
    metrics = json.loads(open(paths.report_dir("pick") + "/metrics.json").read())
    assert metrics == {"natural": {"common": 0.9, "rare": 0.3}, "uniform": {"common": 0.9, "rare": 0.75}}


def test_table1_shows_weights_over_seeds_next_to_the_paper(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    subopt = {("natural", 0): 0.4, ("natural", 1): 0.4, ("dro_metagrad", 0): 0.1, ("dro_metagrad", 1): 0.3}
    for (method, seed), w in subopt.items():
        dro = method.startswith("dro")
        weights = {"optimal": 1 - w, "suboptimal": w}
        solver = {"final_alpha": weights, "reference_losses": {"optimal": 0.01 * (seed + 1), "suboptimal": 0.05},
                  "trace": [{"step": 0, "weights": {"optimal": 0.5, "suboptimal": 0.5}}], "settled": seed == 0}
        WeightsFile(method=method, spec={"kind": "dro", "reference": "metagrad"} if dro else {"kind": method},
                    behaviors=["optimal", "suboptimal"], counts={"optimal": 60, "suboptimal": 40},
                    demos={"optimal": 6, "suboptimal": 4}, weights=weights,
                    schedule=[{"progress": 0.0, "weights": weights}], solver=solver if dro else None,
                    ).write(tmp_path / paths.weights("ps", method, seed))
        _write(tmp_path / paths.evaluation("ps", method, seed),
               {"unit": "region", "units": {r: {"episodes": 4, "successes": 2, "success_rate": 0.5}
                                            for r in ("left", "right")}})
    report("ps", {"kind": "pick_suboptimal"}, ["natural", "dro_metagrad"], [0, 1])
    table = open(paths.report_dir("ps") + "/weights.md").read()
    # mean ± sample std over the two seeds' solves: suboptimal 0.1 and 0.3; L*_optimal 0.01 and 0.02
    assert "| dro_metagrad | 0.800 ± 0.141 | 0.200 ± 0.141 | 0.015 ± 0.007071 | 0.05 ± 0 |" in table
    assert "| dro_metagrad | 0.0633 | 0.9367 | 1.893 | 1.505 | 0.200 ± 0.141 |" in table
    assert "**alpha did not settle in 1 of 2 solves**" in table
    assert "| dro_remix | 0.5348 | 0.4652 | 0.52 | 0.9337 | (not run) |" in table
    rows = list(csv.DictReader(open(paths.report_dir("ps") + "/results.csv")))
    # regions are not behaviors: no weight column value
    assert {r["region"] for r in rows} == {"left", "right"} and all(r["weight"] == "" for r in rows)
