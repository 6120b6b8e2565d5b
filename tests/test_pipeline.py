"""The real pipeline, every stage, on tiny params: Snakemake end to end, MLflow runs,
then a one-method parameter change whose jobs alone Snakemake and DVC must find out of
date (tests/test_handover.py has DVC rerun such a change itself)."""
import csv
import json
import re

import pytest
import yaml

from balancebc import paths

from conftest import run, tiny_params

pytestmark = pytest.mark.slow

METHODS = list(tiny_params()["methods"])
SEEDS = tiny_params()["seeds"]
REPLICATES = tiny_params()["replicates"]
POLICIES = [(r, s) for r in REPLICATES for s in SEEDS]
SCENARIOS = list(tiny_params()["scenarios"])
BEHAVIORS = {"pick": list(tiny_params()["scenarios"]["pick"]["regions"]),
             "pick_suboptimal": ["optimal", "suboptimal"],
             "gaussian": list(tiny_params()["scenarios"]["gaussian"]["samples"])}
# what each scenario's report has a row for: a rollout region or (offline) a behavior
UNITS = {"pick": ("region", BEHAVIORS["pick"]),
         "pick_suboptimal": ("region", list(tiny_params()["scenarios"]["pick_suboptimal"]["regions"])),
         "gaussian": ("behavior", BEHAVIORS["gaussian"])}


@pytest.fixture(scope="module")
def project(tiny_run):
    return tiny_run


@pytest.mark.parametrize("scenario, metric", [("pick", "success_rate"), ("pick_suboptimal", "success_rate"),
                                              ("gaussian", "loss")])
def test_report_covers_every_method_and_unit(project, scenario, metric):
    report = project / f"results/{scenario}/report"
    for name in paths.REPORT_FILES:
        assert (report / name).stat().st_size > 0
    rows = list(csv.DictReader((report / "results.csv").open()))
    unit, units = UNITS[scenario]
    # a row per method, unit and checkpoint (the learning curve); the tests at the end of training
    fractions = sorted(tiny_params()["checkpoints"])
    assert sorted((r["method"], r[unit], float(r["fraction"])) for r in rows) == \
        sorted((m, u, f) for m in METHODS for u in units for f in fractions)
    for r in rows:
        assert r["metric"] == metric and int(r["policies"]) == len(POLICIES)
        assert float(r["mean"]) >= 0.0 and (metric != "success_rate" or float(r["mean"]) <= 1.0)
        assert (r["p_holm"] != "") == (float(r["fraction"]) == 1.0 and r["method"] != "natural")
    outcomes = list(csv.DictReader((project / paths.record_file(scenario, "outcomes.csv")).open()))
    assert {(int(o["replicate"]), int(o["seed"])) for o in outcomes} == set(POLICIES)
    for name in ("results.png", "curve.png"):
        assert (report / name).read_bytes()[:4] == b"\x89PNG"
    md = (report / "results.md").read_text()
    assert "Holm" in md and "Learning curve" in md
    # the smaller behavior is up-weighted by the warm schedule (every policy's weights file)
    small = BEHAVIORS[scenario][-1]
    w = {(m, p): json.loads((project / paths.weights(scenario, m, *p)).read_text())["weights"][small]
         for m in METHODS for p in POLICIES}
    assert all(w["temperature_warm", p] > w["natural", p] for p in POLICIES)
    table = (report / "weights.md").read_text()
    assert "DRO (metagrad reference)" in table
    assert ("The paper's Table 1" in table) == (scenario == "pick_suboptimal")


def test_checkpoints_load_as_robomimic_policies(project):
    import robomimic.utils.file_utils as FileUtils
    import torch
    policy, ckpt = FileUtils.policy_from_checkpoint(
        ckpt_path=str(project / paths.checkpoint("pick", "natural", 0, 0)), device=torch.device("cpu"))
    assert ckpt["algo_name"] == "bc" and ckpt["env_metadata"]["env_name"] == "RegionLift"
    halfway, _ = FileUtils.policy_from_checkpoint(
        ckpt_path=str(project / paths.checkpoint("pick", "natural", 0, 0, 0.5)), device=torch.device("cpu"))
    log = json.loads((project / paths.train_log("pick", "natural", 0, 0)).read_text())
    assert log["checkpoints"] == {"0.5": tiny_params()["train"]["steps"] // 2, "1.0": tiny_params()["train"]["steps"]}


def test_rollouts_give_the_same_outcomes_with_two_workers_as_with_one(project):
    """Episode seeds do not depend on which forked worker runs an episode, and the evaluate
    stage's file holds what the same rollouts give here."""
    from balancebc import registry
    from balancebc.io.robomimic_hdf5 import env_args, open_dataset
    from balancebc.sim.env import POLICY_OBS_KEYS
    from balancebc.sim.rollout import rollouts
    with open_dataset(project / paths.dataset("pick", 0)) as f:
        env = env_args(f)
    files = {1.0: str(project / paths.checkpoint("pick", "natural", 0, 0))}
    horizon = tiny_params()["scenarios"]["pick"]["horizon"]
    regions = BEHAVIORS["pick"]
    policy = registry.SCENARIOS["pick"].policy
    by_workers = {n: rollouts(policy, files, env, regions, 2, 0, n, POLICY_OBS_KEYS, horizon)
                  for n in (1, 2)}
    assert by_workers[1] == by_workers[2]
    stage = json.loads((project / paths.evaluation("pick", "natural", 0, 0)).read_text())["units"]
    episodes = tiny_params()["evaluate"]["episodes"]  # the stage's episodes are the first of these
    assert all(by_workers[1][1.0][r]["per_episode"][:episodes] == stage[r]["per_episode"] for r in regions)


def test_replicates_are_different_datasets(project):
    import h5py
    first = [h5py.File(project / paths.dataset("pick", r))["data/demo_0/actions"][:5] for r in REPLICATES]
    assert not (first[0].shape == first[1].shape and (first[0] == first[1]).all())


def test_claims_table(project):
    rows = list(csv.DictReader((project / paths.claims_file("claims.csv")).open()))
    by = {}
    for r in rows:
        by.setdefault(r["claim"], []).append(r)
    assert [float(r["fraction"]) for r in by["paired_curve"]] == sorted(tiny_params()["checkpoints"])
    assert all(r["paired"] == "True" for r in by["paired_curve"] + by["weight"])
    assert [r["unit"] for r in by["across"]] == ["left", "middle"] and by["across"][0]["paired"] == "False"
    assert by["weight"][0]["metric"] == "weight"
    assert [r["verdict"] for r in by["absent"]] == ["not run"]
    tested = [r for r in rows if r["verdict"] != "not run"]
    assert {r["verdict"] for r in tested} <= {"reproduced", "contradicted", "inconclusive"}
    assert all(float(r["p_holm"]) >= float(r["p"]) for r in tested if r["p"])
    assert "Verdicts:" in (project / paths.claims_file("claims.md")).read_text()


def test_mlflow_has_every_train_and_evaluate_run(project):
    import mlflow
    client = mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    for scenario in SCENARIOS:
        exp = client.get_experiment_by_name(scenario)
        runs = client.search_runs([exp.experiment_id], max_results=1000)
        # one invocation: its parent run, and every job's run under it
        (parent,) = [r for r in runs if r.data.tags.get("role") == "invocation"]
        assert parent.info.status == "FINISHED"
        runs = [r for r in runs if r is not parent]
        assert {(r.data.tags["invocation"], r.data.tags["mlflow.parentRunId"]) for r in runs} == \
            {(parent.data.tags["invocation"], parent.info.run_id)}
        names = sorted(r.info.run_name for r in runs)
        expected = sorted(f"{stage}/{m}/rep{r}/seed{s}" for stage in ("train", "evaluate") for m in METHODS
                          for r, s in POLICIES)
        assert names == expected
        rare = BEHAVIORS[scenario][-1]
        for r in runs:
            if r.data.tags["stage"] == "train":
                assert len(client.get_metric_history(r.info.run_id, f"loss_valid/{rare}")) >= 2  # per epoch
                assert f"weight/{rare}" in r.data.metrics
            elif UNITS[scenario][0] == "region":
                assert {f"success/{u}" for u in UNITS[scenario][1]} <= set(r.data.metrics)
            else:
                assert {"closed_form_distance", f"loss/{rare}", f"distance/{rare}"} <= set(r.data.metrics)


def _snakemake_jobs(text: str) -> set:
    """(rule, sorted wildcard values) of every job in Snakemake's log, but the target `all`."""
    jobs = set()
    for block in re.split(r"^(?=(?:localrule|rule) \w+:$)", text, flags=re.M):
        rule = re.match(r"(?:localrule|rule) (\w+):\n", block)
        if rule is None or rule[1] == "all":
            continue
        wildcards = re.search(r"^\s+wildcards: ([^\n]+)", block, re.M)
        jobs.add((rule[1], tuple(sorted(w.split("=")[1] for w in wildcards[1].split(", "))) if wildcards else ()))
    return jobs


def test_changing_one_method_reruns_only_its_jobs(project, tmp_path):
    """After a change of one method's params, Snakemake's dry run names exactly that
    method's jobs, the reports and the claims, and DVC's status the stages that read the
    changed params (its weights stages, the reports, the claims); DVC finds the train and
    evaluate stages changed once their inputs are (tests/test_handover.py has DVC rerun such
    a change; the tiny run itself runs every one of these jobs)."""
    import shutil
    project = shutil.copytree(project, tmp_path / "copy", symlinks=True)  # edits here leave the shared run alone
    run("dvc commit --force", project)  # record what Snakemake built as DVC's lock
    assert "up to date" in run("dvc status", project).stdout
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["methods"]["temperature_warm"]["tau_end"] = 3.0
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    expected_rules, expected_stages = {("claims", ())}, {"claims"}
    for sc in SCENARIOS:
        expected_rules |= {("report", (sc,))} | {(stage, tuple(sorted((sc, "temperature_warm", str(r), str(s)))))
                                                 for stage in ("weights", "train", "evaluate") for r, s in POLICIES}
        expected_stages |= {f"report@{sc}"} | {f"weights@{sc}-{r}-temperature_warm-{s}" for r, s in POLICIES}
    proc = run("snakemake -n --cores 2", project)
    assert _snakemake_jobs(proc.stdout + proc.stderr) == expected_rules
    assert set(json.loads(run("dvc status --json", project).stdout)) == expected_stages


def test_snakemake_html_report_shows_every_figure_and_table(project, chromium, tmp_path):
    """`snakemake --report` writes one self-contained page; opened in headless Chromium, each
    scenario lists its figures and tables, and each one shows: an image that decoded, or
    an HTML table."""
    from playwright.sync_api import sync_playwright
    run("snakemake --report report.html", project)
    page_url = (project / "report.html").as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for scenario in SCENARIOS:
            page.goto(page_url)
            page.get_by_role("link", name=scenario, exact=True).click()
            labels = [r.replace("\t", " ").split() for r in page.locator("tbody tr").all_inner_texts()]
            shown = set()
            for i, label in enumerate(labels):
                page.goto(page_url)
                page.get_by_role("link", name=scenario, exact=True).click()
                page.locator("tbody tr").nth(i).locator('a[iconname="eye"]').click()
                page.wait_for_timeout(500)
                widths = [img.evaluate("e => e.naturalWidth") for img in page.locator("main img, img").all()]
                tables = sum(f.locator("table").count() for f in page.frames[1:])
                if tables:
                    shown.add("tables")
                elif max(widths, default=0) > 100:  # the figure, not the Snakemake logo
                    shown.add(" ".join(label[1:]))
                page.screenshot(path=tmp_path / f"{scenario}-{i}.png")
            assert shown == {"tables", "results per method and unit", "learning curve", "DRO weights over iterations"}, \
                (scenario, labels)
        browser.close()
