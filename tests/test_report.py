import csv
import json

import pytest

from balancebc import paths
from balancebc.stages.report import report


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_report_aggregates_seeds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcomes = {("natural", 0): (8, 2), ("natural", 1): (10, 4), ("uniform", 0): (9, 6), ("uniform", 1): (9, 9)}
    for method in ("natural", "uniform"):
        _write(tmp_path / paths.weights("pick", method),
               {"behaviors": ["common", "rare"], "counts": {"common": 90, "rare": 10},
                "demos": {"common": 9, "rare": 1}, "weights": {"common": 0.9, "rare": 0.1},
                "scheduled": False, "trace": [], "spec": {"kind": method}})
    for (method, seed), (common, rare) in outcomes.items():
        _write(tmp_path / paths.evaluation("pick", method, seed),
               {"behaviors": {b: {"episodes": 10, "successes": k, "success_rate": k / 10}
                              for b, k in (("common", common), ("rare", rare))}})
    report("pick", ["natural", "uniform"], [0, 1])
    rows = {(r["method"], r["behavior"]): r for r in csv.DictReader(open(paths.report_dir("pick") + "/results.csv"))}
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
