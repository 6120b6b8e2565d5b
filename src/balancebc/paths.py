"""Where every artefact lives. The Snakefile, dvc.yaml and the stages all use these
paths, so a stage's command needs only the scenario, method and seed.

Weights (with the reference losses of the methods that have them) are per seed too: their
solvers are stochastic, and the policy of seed N is trained with the weights solved with
seed N."""
from __future__ import annotations


def dataset(scenario: str) -> str:
    return f"data/{scenario}/dataset.hdf5"


def labels(scenario: str) -> str:
    return f"data/{scenario}/labels.json"


def labelled(scenario: str) -> str:
    """The dataset's demos (linked, not copied) with the label stage's behaviors as filter keys."""
    return f"data/{scenario}/labelled.hdf5"


def weights(scenario: str, method: str, seed) -> str:
    return f"results/{scenario}/weights/{method}/seed{seed}.json"


def train_dir(scenario: str, method: str, seed) -> str:
    return f"results/{scenario}/train/{method}/seed{seed}"


def checkpoint(scenario: str, method: str, seed) -> str:
    return f"{train_dir(scenario, method, seed)}/model.pth"


def train_log(scenario: str, method: str, seed) -> str:
    return f"{train_dir(scenario, method, seed)}/train_log.json"


def evaluation(scenario: str, method: str, seed) -> str:
    return f"results/{scenario}/eval/{method}/seed{seed}.json"


def report_dir(scenario: str) -> str:
    return f"results/{scenario}/report"


REPORT_FILES = ("results.csv", "results.md", "results.html", "results.png", "alpha.png", "weights.md", "metrics.json",
                "plot.csv")


def report_file(scenario: str, name: str) -> str:
    return f"{report_dir(scenario)}/{name}"


def report_files(scenario: str) -> list[str]:
    return [report_file(scenario, name) for name in REPORT_FILES]


def _job(scenario: str, method: str | None, seed) -> str:
    return "/".join(p for p in (scenario, method, None if seed is None else f"seed{seed}") if p is not None)


def log(stage: str, scenario: str, method: str | None = None, seed=None) -> str:
    return f"logs/{stage}/{_job(scenario, method, seed)}.log"


def benchmark(stage: str, scenario: str, method: str | None = None, seed=None) -> str:
    """Snakemake's measurement of a job (wall time, max RSS), next to its log: what
    params.yaml's `resources` should ask for."""
    return f"logs/{stage}/{_job(scenario, method, seed)}.benchmark.tsv"


# The params.yaml keys each stage's jobs depend on ({scenario} and {method} stand for the
# job's): the Snakefile's rules declare them as params (common.smk's depends_on) and
# dvc.yaml lists them; tests/test_dag.py keeps the two equal.
PARAMS_DEPS = {
    "generate": ["scenarios.{scenario}"],
    "label": ["scenarios.{scenario}"],
    "weights": ["methods.{method}"],
    "train": ["train", "scenarios.{scenario}"],
    "evaluate": ["evaluate", "scenarios.{scenario}"],
    "report": ["methods", "seeds"],
}
