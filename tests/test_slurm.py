"""The tiny pipeline through Snakemake's SLURM executor (profiles/slurm) on a real one-node
SLURM started for the test (tests/fixtures/local_slurm.py): every Snakemake job is a SLURM job that
asked for the resources params.yaml and the profile give its rule, and each job's artefacts
equal those of the same job in the local tiny run (conftest's ``tiny_run``). Skips, with the reason, where SLURM cannot run."""
import json
from pathlib import Path

import mlflow
import pytest
import yaml

from conftest import REPO, make_project, run, tiny_params
from fixtures.local_slurm import LocalSlurm, unavailable

pytestmark = pytest.mark.slow

PROFILE = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = unavailable()
    if reason:
        print(f"\nSLURM test skipped: {reason}")
        pytest.skip(reason)
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"), PROFILE["default-resources"]["slurm_partition"])
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        assert cluster.running() == [], "a SLURM daemon outlived stop()"


def _params() -> dict:
    params = tiny_params()
    params["scenarios"] = {"pick": params["scenarios"]["pick"]}  # a simulated scenario: generate has threads
    params["methods"] = {m: params["methods"][m] for m in ("natural", "dro_metagrad")}
    params["replicates"] = [0]  # a part of the tiny run's DAG, so that its jobs' artefacts are the reference
    return params


def _artefacts(project: Path) -> dict[str, object]:
    """What the jobs wrote, less CPU times and pickled tensors (the labels, weights and evaluations)."""
    files = [*project.glob("data/*/rep*/labels.json"), *project.glob("results/*/*/*/rep*/seed*.json")]
    out = {}
    for f in files:
        content = json.loads(f.read_text()) if f.suffix == ".json" else f.read_text()
        if isinstance(content, dict):
            content.pop("cpu_seconds", None)
        out[str(f.relative_to(project))] = content
    return out


def _requested(params: dict, rule: str, scenario: str) -> dict:
    """What a rule's job should have asked for: params.yaml's resources, the profile's overrides."""
    stage = "report" if rule == "claims" else rule  # the claims job asks what a report job asks
    want = {**params["resources"][stage], **PROFILE.get("set-resources", {}).get(rule, {})}
    threads = {"generate": params["scenarios"][scenario].get("workers", 1),
               "evaluate": params["evaluate"]["workers"]}.get(rule, 1)
    return {"runtime": want["runtime"], "mem_mb": want["mem_mb"], "cpus": threads}


def test_pipeline_runs_as_slurm_jobs_and_matches_a_local_run(slurm, mlflow_server, tiny_run, tmp_path):
    params = _params()
    cluster = make_project(tmp_path, params)
    invocation = f"slurm-{tmp_path.name}"
    run("snakemake --workflow-profile profiles/slurm --jobs 2 --slurm-status-command squeue "
        "--slurm-init-seconds-before-status-checks 1 --slurm-keep-successful-logs --latency-wait 5",
        cluster, env={**slurm.env, "MLFLOW_TRACKING_URI": mlflow_server, "BALANCEBC_INVOCATION": invocation},
        timeout=1200)

    # one SLURM job per Snakemake job (the plugin logs each as rule_<rule>/<wildcards>/<slurm id>.log)
    logs = sorted((cluster / ".snakemake/slurm_logs").glob("rule_*/**/*.log"))
    jobs = {j["JobId"]: j for j in slurm.finished_jobs()}
    # generate, label, report + 3 per method and policy; one claims job
    n_per_scenario = 3 + 3 * len(params["methods"]) * len(params["seeds"]) * len(params["replicates"])
    assert len(logs) == len(params["scenarios"]) * n_per_scenario + 1
    assert {log.stem for log in logs} <= set(jobs), "a Snakemake job is missing from SLURM's job records"
    for log in logs:
        rule, wildcards = log.relative_to(cluster / ".snakemake/slurm_logs").parts[0][len("rule_"):], log.parent.name
        scenario = next((s for s in params["scenarios"] if s in wildcards), "pick")  # claims: any
        job, want = jobs[log.stem], _requested(params, rule, scenario)
        assert job["JobState"] == "COMPLETED", (log, job)
        assert job["Partition"] == PROFILE["default-resources"]["slurm_partition"]
        assert job["TimeLimit"] == str(want["runtime"]), (rule, job["TimeLimit"], want)
        tres = dict(item.split("=") for item in job["Tres"].split(","))
        assert tres["mem"] == f"{want['mem_mb']}M" and tres["cpu"] == str(want["cpus"]), (rule, job["Tres"], want)

    # every job logged to the one MLflow server, under the invocation's parent run
    client = mlflow.MlflowClient(mlflow_server)
    for scenario in params["scenarios"]:
        exp = client.get_experiment_by_name(scenario)
        runs = client.search_runs([exp.experiment_id], filter_string=f"tags.invocation = '{invocation}'")
        (parent,) = [r for r in runs if r.data.tags.get("role") == "invocation"]
        children = sorted(r.info.run_name for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id)
        assert children == sorted(f"{stage}/{m}/rep{r}/seed{s}" for stage in ("evaluate", "train")
                                  for m in params["methods"] for r in params["replicates"] for s in params["seeds"])
        assert parent.info.status == "FINISHED"

    # the same artefacts as the same jobs of the local run
    got = _artefacts(cluster)
    # labels per scenario; weights and evaluation per policy
    assert len(got) == len(params["scenarios"]) * (1 + 2 * len(params["methods"]))
    assert got == {f: content for f, content in _artefacts(tiny_run).items() if f in got}
    assert (cluster / "results/pick/report/results.csv").exists()
