"""claims: the papers' claims (params.yaml's ``analysis.claims``) tested across the run's
scenarios (``balancebc.analysis.claims``), from each scenario report's compact record;
written as ``claims/claims.md`` and ``claims/claims.csv``."""
from __future__ import annotations

from pathlib import Path

from balancebc import paths
from balancebc.analysis import claims
from balancebc.io import outcomes as outcomes_io
from balancebc.io.atomic import write_text
from balancebc.params import all_scenarios, methods_of


def read_records(scenarios) -> dict[str, claims.Record]:
    """The compact record of each of ``scenarios`` that has one (a powered run made part by
    part may lack some)."""
    import pandas as pd
    records = {}
    for scenario in scenarios:
        if all(Path(f).is_file() for f in paths.record_files(scenario)):
            outcomes = outcomes_io.read_csv(paths.record_file(scenario, "outcomes.csv"))
            records[scenario] = claims.Record(outcomes_io.policy_values(outcomes),
                                              pd.read_csv(paths.record_file(scenario, "weights.csv")))
    return records


def evaluate_claims(params: dict) -> list[dict]:
    """The claims table's rows for this run's params and records."""
    analysis = params["analysis"]
    named = {cell.split("/")[0] for claim in analysis["claims"].values() for cell in (claim["treated"], claim["control"])
             if isinstance(cell, str)}
    scenarios = [s for s in all_scenarios(params) if s in named]
    return claims.evaluate(analysis["claims"], read_records(scenarios), {s: methods_of(params, s) for s in scenarios},
                           params["checkpoints"], analysis)


def run(params: dict) -> None:
    rows = evaluate_claims(params)
    write_text(paths.claims_file("claims.md"),
               claims.to_markdown(rows, params["analysis"], len(params["replicates"]), len(params["seeds"])))
    write_text(paths.claims_file("claims.csv"), claims.to_csv(rows))
    for r in rows:
        print(f"{r['claim']} {r['unit']} {r['fraction']}: {r['verdict']}")
