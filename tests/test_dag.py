"""The Snakefile and dvc.yaml describe the same DAG with the same commands."""
import re

import pytest

from conftest import make_project, run


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("dag"))


def _dot_edges(dot: str) -> tuple[set, set]:
    labels = dict(re.findall(r'^\s*(\w+)\s*\[.*?label\s*=\s*"([^"\\]+)', dot, re.M))
    edges = {(labels.get(a, a), labels.get(b, b)) for a, b in re.findall(r'^\s*"?([\w@.\-/]+)"?\s*->\s*"?([\w@.\-/]+)"?', dot, re.M)}
    return set(labels.values()), edges
@pytest.mark.slow
def test_rule_graph_equals_dvc_stage_graph(project):
    snake_nodes, snake_edges = _dot_edges(run("snakemake --rulegraph --cores 1", project).stdout)
    snake_nodes.discard("all")
    snake_edges = {e for e in snake_edges if "all" not in e}
    dvc_dot = run("dvc dag --dot", project).stdout
    family = lambda node: node.split("@")[0].removesuffix("_control")  # noqa: E731  (a control's twin family)
    dvc_edges = {(family(a), family(b)) for a, b in re.findall(r'"([^"]+)"\s*->\s*"([^"]+)"', dvc_dot)}
    dvc_nodes = {family(n) for n in re.findall(r'"([^"]+)"', dvc_dot)}
    assert snake_nodes == dvc_nodes == {"generate", "label", "weights", "train", "evaluate", "report", "claims"}
    assert snake_edges == dvc_edges
    assert ("train", "evaluate") in dvc_edges and ("weights", "train") in dvc_edges
@pytest.mark.slow
def test_every_job_runs_the_same_command_in_both(project):
    proc = run("snakemake -n -p --forceall --cores 1", project)
    snake_cmds = set(re.findall(r"^Shell command: (balancebc [^\n]+?)\s*$", proc.stdout + proc.stderr, re.M))
    dvc = run("dvc repro --dry --force", project).stdout
    dvc_cmds = set(re.findall(r"^> (balancebc [^\n]+?)\s*$", dvc, re.M))
    # tiny params: 3 scenarios × (2 replicates × (generate, label) + report
    #   + 3 methods × 2 replicates × 1 seed × (weights, train, evaluate)), and one claims job
    assert len(snake_cmds) == 3 * (2 * 2 + 1 + 3 * 2 * 1 * 3) + 1
    assert snake_cmds == dvc_cmds


@pytest.mark.slow
def test_a_control_runs_the_same_jobs_in_both_with_the_baseline_alone(tmp_path):
    from conftest import tiny_params
    params = tiny_params()
    params["controls"] = {"pick_balanced": {**params["scenarios"]["pick"], "balanced": True}}
    project = make_project(tmp_path, params)
    proc = run("snakemake -n -p --forceall --cores 1", project)
    snake_cmds = set(re.findall(r"^Shell command: (balancebc [^\n]+?)\s*$", proc.stdout + proc.stderr, re.M))
    dvc_cmds = set(re.findall(r"^> (balancebc [^\n]+?)\s*$", run("dvc repro --dry --force", project).stdout, re.M))
    control = {c for c in snake_cmds if "--scenario pick_balanced" in c}
    # 2 replicates × (generate, label) + report + 2 replicates × 1 seed × (weights, train, evaluate) of natural
    assert len(control) == 2 * 2 + 1 + 2 * 3
    assert all("--method natural" in c for c in control if "--method" in c)
    assert snake_cmds == dvc_cmds
@pytest.mark.slow
def test_the_paper_parameter_set_drives_the_same_dag(project):
    import shutil

    from balancebc.params import load

    from conftest import REPO
    shutil.copy(REPO / "params.yaml", project / "params.yaml")
    shutil.copy(REPO / "params_paper.yaml", project / "params_paper.yaml")
    proc = run("snakemake -n --forceall --cores 1 --configfile params_paper.yaml", project)
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, re.M))
    paper = load(project / "params.yaml", project / "params_paper.yaml")
    jobs = len(paper["scenarios"]) * len(paper["methods"]) * len(paper["seeds"]) * len(paper["replicates"])
    assert not paper["controls"] and int(counts["train"]) == int(counts["weights"]) == jobs
    proc = run("balancebc check-params --params params.yaml --params params_paper.yaml", project)
    assert "params.yaml + params_paper.yaml: valid" in proc.stdout


def test_every_stage_depends_on_the_same_params_in_both():
    """dvc.yaml's params per stage are paths.PARAMS_DEPS, which every Snakemake rule declares."""
    import yaml

    from balancebc import paths

    from conftest import REPO
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    dvc = {name: [re.sub(r"\$\{item\.(\w+)\}", r"{\1}", key) for key in stage.get("params", [])]
           for name, stage in stages.items()}
    section = {name: "controls" if name.endswith("_control") else "scenarios" for name in stages}
    assert {name: deps for name, deps in dvc.items() if section[name] == "scenarios"} == {
        stage: [key.replace("{section}", "scenarios") for key in deps] for stage, deps in paths.PARAMS_DEPS.items()}
    assert {name.removesuffix("_control"): deps for name, deps in dvc.items() if section[name] == "controls"} == {
        stage: [key.replace("{section}", "controls") for key in deps] for stage, deps in paths.PARAMS_DEPS.items()
        if stage != "claims"}
    rules = "".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    declared = dict(re.findall(r"^rule (\w+):\n(?:    .*\n|\n)*?    params:\n        \*\*depends_on\(\"(\w+)\"\)",
                               rules, re.M))
    assert declared == {stage: stage for stage in paths.PARAMS_DEPS}
