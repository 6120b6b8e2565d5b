"""`balancebc <stage>`: one command per pipeline stage, used verbatim by the Snakefile's
rules and dvc.yaml's stages. Paths come from :mod:`balancebc.paths`."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from balancebc import paths
from balancebc.errors import BalanceBCError


class _Tee:
    """Copy what the stage prints to its log file (Snakemake's ``log:``)."""

    def __init__(self, stream, log):
        self.stream, self.log = stream, log

    def write(self, text):
        self.stream.write(text)
        self.log.write(text)
        return len(text)

    def flush(self):
        self.stream.flush()
        self.log.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


def _require(params: dict, args) -> None:
    scenarios, methods = params["scenarios"], params["methods"]
    if args.scenario not in scenarios:
        raise BalanceBCError(f"--scenario {args.scenario!r}: not in params.yaml scenarios "
                             f"(expected one of {sorted(scenarios)})")
    if getattr(args, "method", None) is not None and args.method not in methods:
        raise BalanceBCError(f"--method {args.method!r}: not in params.yaml methods "
                             f"(expected one of {sorted(methods)})")
    if getattr(args, "seed", None) is not None and args.seed not in params["seeds"]:
        raise BalanceBCError(f"--seed {args.seed}: not in params.yaml seeds {params['seeds']}")


def cmd_check(params, args):
    print(f"{args.params}: valid")


def _kind(params, args) -> str:
    return params["scenarios"][args.scenario]["kind"]


def _obs_keys(scenario: dict) -> list[str]:
    """The observation keys a scenario's policies see."""
    kind = scenario["kind"]
    if kind == "gaussian":
        from balancebc.scenarios.gaussian import OBS_KEYS
        return OBS_KEYS
    if kind == "calvin":
        from balancebc.sources.calvin import OBS_KEYS
        return OBS_KEYS
    if kind == "robomimic":
        return scenario["obs_keys"]
    from balancebc.scenarios.sim import POLICY_OBS_KEYS
    return POLICY_OBS_KEYS  # the simulated scenarios


def cmd_generate(params, args):
    if _kind(params, args) == "gaussian":
        from balancebc.scenarios.gaussian import generate
    elif _kind(params, args) == "calvin":
        from balancebc.sources.calvin import import_calvin as generate
    elif _kind(params, args) == "robomimic":
        from balancebc.sources.robomimic_file import import_robomimic as generate
    else:
        from balancebc.stages.generate import generate
    counts = generate(params["scenarios"][args.scenario], paths.dataset(args.scenario))
    print(f"wrote {paths.dataset(args.scenario)}: demos per behavior {counts}")


def cmd_label(params, args):
    from balancebc.io.atomic import write_json
    from balancebc.io.robomimic_hdf5 import open_dataset, read_masks, write_labelled
    from balancebc.scenarios import behaviors
    from balancebc.stages.label import discovered_labels, ground_truth_labels
    dataset, scenario = paths.dataset(args.scenario), params["scenarios"][args.scenario]
    with open_dataset(dataset) as f:
        masks = read_masks(f)
    if "discover" in scenario:
        labels = discovered_labels(dataset, scenario["discover"], _obs_keys(scenario), behaviors(scenario, list(masks)))
        found = labels["discovery"]
        print(f"discovered {found['k']} behaviors with {found['algorithm']} on {found['features']}"
              + (f"; adjusted Rand index {found['adjusted_rand_index']:.3f} against "
                 f"{found['ground_truth']}" if "adjusted_rand_index" in found else ""))
    else:
        labels = ground_truth_labels(dataset, behaviors(scenario, list(masks)))
    owner = labels["demo_behavior"]
    write_labelled(paths.labelled(args.scenario), dataset,
                   {**{b: [d for d in owner if owner[d] == b] for b in labels["behaviors"]},
                    **{s: masks[s] for s in ("train", "valid")}})
    write_json(paths.labels(args.scenario), labels)
    for b, e in labels["behaviors"].items():
        print(f"{b}: {e['demos']} demos ({e['train_demos']} train, {e['valid_demos']} valid), "
              f"{e['samples']} samples")


def cmd_reference(params, args):
    from balancebc.io.atomic import read_json, write_json
    from balancebc.stages.reference import compute
    s, scenario = args.scenario, params["scenarios"][args.scenario]
    result = compute(args.method, params["methods"][args.method], scenario["kind"], paths.dataset(s),
                     read_json(paths.labels(s), "labels file"), _obs_keys(scenario), params["balance"], args.seed)
    write_json(paths.reference(s, args.method, args.seed), result)
    print(f"{args.method}: reference losses {result.get('losses', 'none (not a DRO method)')}")


def cmd_weights(params, args):
    from balancebc.io.atomic import read_json, write_json
    from balancebc.stages.weights import solve, solve_dro
    s, spec = args.scenario, params["methods"][args.method]
    labels = read_json(paths.labels(s), "labels file")
    reference = read_json(paths.reference(s, args.method, args.seed), "reference file")
    if spec["kind"] == "dro":
        from balancebc.balance import data as behavior_data
        from balancebc.stages.reference import proxy_model
        kind = _kind(params, args)
        data = behavior_data.load(paths.dataset(s), labels, _obs_keys(params["scenarios"][s]))
        result = solve_dro(args.method, spec, labels, reference, data, proxy_model(kind, data, params["balance"]),
                           params["balance"], args.seed)
    else:
        result = solve(args.method, spec, labels)
    write_json(paths.weights(s, args.method, args.seed), result)
    print(f"{args.method}: " + ", ".join(f"{b}={w:.3f}" for b, w in result["weights"].items()))


def cmd_train(params, args):
    from balancebc.io.atomic import read_json
    from balancebc.io.robomimic_hdf5 import open_dataset
    s = args.scenario
    open_dataset(paths.dataset(s)).close()  # a clear error for a missing or corrupt file
    inputs = (paths.dataset(s), read_json(paths.labels(s), "labels file"),
              read_json(paths.weights(s, args.method, args.seed), "weights file"))
    run_info = {"scenario": s, "method": args.method}
    if _kind(params, args) == "gaussian":
        from balancebc.stages import linear_policy
        linear_policy.train(*inputs, params["scenarios"][s]["train"], args.seed,
                            paths.train_dir(s, args.method, args.seed), run_info)
    else:
        from balancebc.stages.train import train
        train(*inputs, params["train"], args.seed, _obs_keys(params["scenarios"][s]),
              paths.train_dir(s, args.method, args.seed), run_info)


def cmd_evaluate(params, args):
    from balancebc import tracking
    from balancebc.io.atomic import read_json, write_json
    from balancebc.io.robomimic_hdf5 import env_args, open_dataset
    from balancebc.scenarios import rollout_units
    s, ev, scenario = args.scenario, params["evaluate"], params["scenarios"][args.scenario]
    unit, regions = rollout_units(scenario) or ("task", None)
    with open_dataset(paths.dataset(s)) as f:  # a clear error for a missing or corrupt file
        env = env_args(f)
    rollouts = regions is not None or (env.get("type") == 1 and "horizon" in scenario)
    checkpoint = paths.checkpoint(s, args.method, args.seed)
    if not Path(checkpoint).is_file():
        raise BalanceBCError(f"{checkpoint}: checkpoint not found (run the train stage first)")
    out = paths.evaluation(s, args.method, args.seed)
    labels = None if rollouts else read_json(paths.labels(s), "labels file")
    if scenario["kind"] == "gaussian":
        from balancebc.stages import linear_policy
        extra = linear_policy.evaluate(checkpoint, paths.dataset(s), labels, scenario,
                                       read_json(paths.weights(s, args.method, args.seed), "weights file"))
        result, unit = extra.pop("behaviors"), "behavior"
        metrics = {f"{m}/{b}": r[m] for b, r in result.items() for m in ("loss", "distance")}
        metrics["closed_form_distance"] = extra["closed_form_distance"]
    elif not rollouts:
        from balancebc.stages.offline_eval import heldout_loss
        result, unit = heldout_loss(checkpoint, paths.dataset(s), labels, _obs_keys(scenario)), "behavior"
        why = ("CALVIN's calvin_env, which is not installable from the package index" if scenario["kind"] == "calvin"
               else "a robosuite env in the file's env_args and `horizon` in the scenario")
        extra = {"note": f"offline: held-out action MSE per behavior; rollouts of {scenario['kind']!r} data "
                         f"need its simulator ({why})"}
        metrics = {f"loss/{b}": r["loss"] for b, r in result.items()}
    else:
        from balancebc.stages.evaluate import evaluate
        extra = {}
        result = evaluate(checkpoint, env, regions, ev["episodes"], args.seed, ev["workers"],
                          _obs_keys(scenario), scenario["horizon"])
        metrics = {f"success/{r}": v["success_rate"] for r, v in result.items()}
    write_json(out, {"scenario": s, "method": args.method, "seed": args.seed, "unit": unit, "units": result,
                     **extra})
    print(" ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
    tracking.log_run(experiment=s, run_name=f"evaluate/{args.method}/seed{args.seed}",
                     params={**tracking.flatten("evaluate", ev), "seed": args.seed, "checkpoint": checkpoint},
                     tags={"stage": "evaluate", "method": args.method, "seed": args.seed, "scenario": s},
                     metrics=metrics, artifacts=[out])


def cmd_report(params, args):
    from balancebc.stages.report import report
    written = report(args.scenario, params["scenarios"][args.scenario], list(params["methods"]), params["seeds"])
    print("wrote " + ", ".join(written))


STAGES = {
    "check-params": (cmd_check, []),
    "generate": (cmd_generate, ["scenario"]),
    "label": (cmd_label, ["scenario"]),
    "reference": (cmd_reference, ["scenario", "method", "seed"]),
    "weights": (cmd_weights, ["scenario", "method", "seed"]),
    "train": (cmd_train, ["scenario", "method", "seed"]),
    "evaluate": (cmd_evaluate, ["scenario", "method", "seed"]),
    "report": (cmd_report, ["scenario"]),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="balancebc", description=__doc__)
    sub = p.add_subparsers(dest="stage", required=True)
    for name, (_, needs) in STAGES.items():
        s = sub.add_parser(name)
        s.add_argument("--params", default=os.environ.get("BALANCEBC_PARAMS", "params.yaml"),
                       help="parameter file (default: $BALANCEBC_PARAMS, else params.yaml)")
        if "scenario" in needs:
            s.add_argument("--scenario", required=True)
        if "method" in needs:
            s.add_argument("--method", required=True)
        if "seed" in needs:
            s.add_argument("--seed", required=True, type=int)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    from balancebc.params import load
    log_file = None
    try:
        params = load(args.params)
        if args.stage != "check-params":
            _require(params, args)
            log_path = Path(paths.log(args.stage, args.scenario, getattr(args, "method", None),
                                      getattr(args, "seed", None)))
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_file = log_path.open("w")
            sys.stdout, sys.stderr = _Tee(sys.stdout, log_file), _Tee(sys.stderr, log_file)
        STAGES[args.stage][0](params, args)
        return 0
    except BalanceBCError as exc:
        print(f"balancebc {args.stage}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if log_file is not None:
            sys.stdout, sys.stderr = sys.stdout.stream, sys.stderr.stream
            log_file.close()


if __name__ == "__main__":
    sys.exit(main())
