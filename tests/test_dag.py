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
    dvc_edges = {(a.split("@")[0], b.split("@")[0])
                 for a, b in re.findall(r'"([^"]+)"\s*->\s*"([^"]+)"', dvc_dot)}
    dvc_nodes = {n.split("@")[0] for n in re.findall(r'"([^"]+)"', dvc_dot)}
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
def test_the_paper_parameter_set_drives_the_same_dag(project):
    import shutil

    import yaml

    from conftest import REPO
    shutil.copy(REPO / "params_paper.yaml", project / "params_paper.yaml")
    paper = yaml.safe_load((REPO / "params_paper.yaml").read_text())
    proc = run("snakemake -n --forceall --cores 1", project, env={"BALANCEBC_PARAMS": "params_paper.yaml"})
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, re.M))
    jobs = len(paper["scenarios"]) * len(paper["methods"]) * len(paper["seeds"]) * len(paper.get("replicates", [0]))
    assert int(counts["train"]) == int(counts["weights"]) == jobs
    proc = run("balancebc check-params", project, env={"BALANCEBC_PARAMS": "params_paper.yaml"})
    assert "params_paper.yaml: valid" in proc.stdout


def test_every_stage_depends_on_the_same_params_in_both():
    """dvc.yaml's params per stage are paths.PARAMS_DEPS, which every Snakemake rule declares."""
    import yaml

    from balancebc import paths

    from conftest import REPO
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    dvc = {name: [re.sub(r"\$\{item\.(\w+)\}", r"{\1}", key) for key in stage.get("params", [])]
           for name, stage in stages.items()}
    assert dvc == paths.PARAMS_DEPS
    rules = "".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    declared = dict(re.findall(r"^rule (\w+):\n(?:    .*\n|\n)*?    params:\n        \*\*depends_on\(\"(\w+)\"\)",
                               rules, re.M))
    assert declared == {stage: stage for stage in paths.PARAMS_DEPS}
