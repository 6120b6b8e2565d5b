"""Where every artefact lives. The Snakefile, dvc.yaml and the stages all use these
paths, so a stage's command needs only the scenario, the dataset replicate, the method and
the training seed.

A dataset replicate is the scenario regenerated with its own seed and train/valid split
(``rep<r>``); a policy is one (replicate, training seed) of one method. Weights (with the
reference losses of the methods that have them) are per policy too: their solvers are
stochastic, and the policy of seed N on replicate R is trained with the weights solved with
seed N on replicate R."""
from __future__ import annotations


def dataset(scenario: str, replicate) -> str:
    return f"data/{scenario}/rep{replicate}/dataset.hdf5"


def labels(scenario: str, replicate) -> str:
    return f"data/{scenario}/rep{replicate}/labels.json"


def labelled(scenario: str, replicate) -> str:
    """The dataset's demos (linked, not copied) with the label stage's behaviors as filter keys."""
    return f"data/{scenario}/rep{replicate}/labelled.hdf5"


def _policy(method: str, replicate, seed) -> str:
    return f"{method}/rep{replicate}/seed{seed}"


def weights(scenario: str, method: str, replicate, seed) -> str:
    return f"results/{scenario}/weights/{_policy(method, replicate, seed)}.json"


EXPORT_FILES = ("sample_weights.parquet", "robomimic_train_data.json", "filter_keys.hdf5", "weights.json")


def export(scenario: str, method: str, replicate, seed) -> str:
    """The policy's weights for other trainers (balancebc.io.export.FILES): LeRobot, robomimic >= 0.5, JSON."""
    return f"results/{scenario}/export/{_policy(method, replicate, seed)}"


def train_dir(scenario: str, method: str, replicate, seed) -> str:
    return f"results/{scenario}/train/{_policy(method, replicate, seed)}"


def checkpoint(scenario: str, method: str, replicate, seed, fraction: float = 1.0) -> str:
    """The policy after ``fraction`` of its training budget (``checkpoints`` in params.yaml);
    ``model.pth`` is the end of training."""
    name = "model.pth" if fraction == 1.0 else f"model_at{round(100 * fraction):03d}.pth"
    return f"{train_dir(scenario, method, replicate, seed)}/{name}"


def checkpoints(scenario: str, method: str, replicate, seed, fractions: list[float]) -> dict[float, str]:
    return {f: checkpoint(scenario, method, replicate, seed, f) for f in fractions}


def train_log(scenario: str, method: str, replicate, seed) -> str:
    return f"{train_dir(scenario, method, replicate, seed)}/train_log.json"


def evaluation(scenario: str, method: str, replicate, seed) -> str:
    return f"results/{scenario}/eval/{_policy(method, replicate, seed)}.json"


def report_dir(scenario: str) -> str:
    return f"results/{scenario}/report"


REPORT_FILES = ("results.csv", "results.md", "results.html", "results.png", "curve.png", "alpha.png", "weights.md",
                "metrics.json", "plot.csv")


def report_file(scenario: str, name: str) -> str:
    return f"{report_dir(scenario)}/{name}"


def report_files(scenario: str) -> list[str]:
    return [report_file(scenario, name) for name in REPORT_FILES]


# The compact record the report writes besides: what every policy scored, per episode and
# checkpoint (outcomes.csv), and the weights it was trained with (weights.csv). The claims
# table and every report table regenerate from it; results-of-record folders keep it.
RECORD_FILES = ("outcomes.csv", "weights.csv")


def record_file(scenario: str, name: str) -> str:
    return f"records/{scenario}/{name}"


def record_files(scenario: str) -> list[str]:
    return [record_file(scenario, name) for name in RECORD_FILES]


CLAIMS_FILES = ("claims.md", "claims.csv")


def claims_file(name: str) -> str:
    """The claims report, across scenarios."""
    return f"claims/{name}"


def claims_files() -> list[str]:
    return [claims_file(name) for name in CLAIMS_FILES]


def _job(scenario: str, replicate=None, method: str | None = None, seed=None) -> str:
    if method is not None:
        return f"{scenario}/{_policy(method, replicate, seed)}"
    return scenario if replicate is None else f"{scenario}/rep{replicate}"


def log(stage: str, scenario: str, replicate=None, method: str | None = None, seed=None) -> str:
    return f"logs/{stage}/{_job(scenario, replicate, method, seed)}.log"


def benchmark(stage: str, scenario: str, replicate=None, method: str | None = None, seed=None) -> str:
    """Snakemake's measurement of a job (wall time, max RSS), next to its log: what
    params.yaml's `resources` should ask for."""
    return f"logs/{stage}/{_job(scenario, replicate, method, seed)}.benchmark.tsv"


# The params.yaml keys each stage's jobs depend on ({scenario} and {method} stand for the
# job's, {section} for where its scenario is defined: scenarios or controls): the
# Snakefile's rules declare them as params (common.smk's depends_on) and dvc.yaml lists
# them; tests/test_dag.py keeps the two equal.
PARAMS_DEPS = {
    "generate": ["{section}.{scenario}"],
    "label": ["{section}.{scenario}"],
    "weights": ["methods.{method}"],
    "train": ["train", "policy", "{section}.{scenario}", "checkpoints"],
    "evaluate": ["evaluate", "{section}.{scenario}", "checkpoints"],
    "report": ["methods", "seeds", "replicates", "checkpoints", "analysis"],
    "claims": ["analysis", "methods", "seeds", "replicates", "checkpoints"],
}
