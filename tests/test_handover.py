"""Snakemake and DVC on one working copy: after either tool has run the pipeline and the
README's hand-over command, the other finds nothing to do.

- Snakemake → DVC: `dvc commit --force`. DVC's cache hardlinks the outputs (.dvc/config), so
  their modification times, which Snakemake compares, survive the commit.
- DVC → Snakemake: `snakemake --touch`. An output DVC reran with unchanged content is linked
  to the cached file of the earlier run, with that run's time; touching puts the times back
  in the DAG's order."""
import re

import pytest

from conftest import make_project, run, tiny_params

pytestmark = pytest.mark.slow


def small_params() -> dict:
    """The gaussian scenario alone, two methods, one seed: every stage in about a minute."""
    params = tiny_params()
    params["replicates"], params["checkpoints"] = [0], [1.0]  # one replicate, no learning curve here
    params["scenarios"] = {"gaussian": params["scenarios"]["gaussian"]}
    params["methods"] = {m: params["methods"][m] for m in ("natural", "temperature_warm")}
    params["seeds"] = [0]
    return params


def nothing_to_do_for_snakemake(project) -> bool:
    proc = run("snakemake -n --cores 1", project)
    return "Nothing to be done" in proc.stdout + proc.stderr


def dvc_stages_run(project) -> set:
    return set(re.findall(r"Running stage '([^']+)'", run("dvc repro", project, timeout=600).stdout))


def test_snakemake_then_dvc(tmp_path):
    project = make_project(tmp_path, small_params())
    run("snakemake --cores 2", project, timeout=600)
    run("dvc commit --force", project)  # the hand-over: DVC records what Snakemake built
    assert "up to date" in run("dvc status", project).stdout
    assert dvc_stages_run(project) == set()
    assert nothing_to_do_for_snakemake(project)


def hand_over_to_snakemake(project) -> None:
    run("snakemake --touch --cores 1", project)


def test_dvc_then_snakemake(tmp_path):
    project = make_project(tmp_path, small_params())
    run("git add -A && git commit -qm params", project)
    assert "weights@gaussian-0-natural-0" in dvc_stages_run(project)
    hand_over_to_snakemake(project)
    assert nothing_to_do_for_snakemake(project)
    # a change of one method's params: DVC reruns its stages alone, and Snakemake still agrees
    params = (project / "params.yaml").read_text().replace("tau_end: 5.0", "tau_end: 3.0")
    (project / "params.yaml").write_text(params)
    assert dvc_stages_run(project) == {"weights@gaussian-0-temperature_warm-0", "train@gaussian-0-temperature_warm-0",
                                       "evaluate@gaussian-0-temperature_warm-0", "report@gaussian", "claims"}
    hand_over_to_snakemake(project)
    assert nothing_to_do_for_snakemake(project)
    assert "up to date" in run("dvc status", project).stdout
