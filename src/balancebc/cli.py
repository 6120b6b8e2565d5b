"""`balancebc <stage>`: one command per pipeline stage, used verbatim by the Snakefile's
rules and dvc.yaml's stages. This module only parses and dispatches; each stage is the
``run`` function of its module in ``balancebc.stages``, and paths come from
:mod:`balancebc.paths`."""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from balancebc import paths
from balancebc.errors import BalanceBCError

# stage → what its command names; the stage is the ``run`` of ``balancebc.stages.<stage>``,
# imported only when that stage runs (a job imports only the libraries its stage needs)
POLICY = ["scenario", "replicate", "method", "seed"]
STAGES = {"generate": ["scenario", "replicate"], "label": ["scenario", "replicate"], "weights": POLICY,
          "train": POLICY, "evaluate": POLICY, "report": ["scenario"], "claims": []}


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
    from balancebc.params import all_scenarios, methods_of
    scenario = getattr(args, "scenario", None)
    for name, options in (("scenario", all_scenarios(params)), ("replicate", params["replicates"]),
                          ("method", methods_of(params, scenario) if scenario else params["methods"]),
                          ("seed", params["seeds"])):
        value = getattr(args, name, None)
        if value is not None and value not in options:
            raise BalanceBCError(f"--{name} {value!r}: not in {' + '.join(args.params)} {name}s "
                                 f"(expected one of {sorted(options)})")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="balancebc", description=__doc__)
    sub = p.add_subparsers(dest="stage", required=True)
    for name, needs in {"check-params": [], "sync-tracking": [], "overrides": [], **STAGES}.items():
        s = sub.add_parser(name)
        if name == "overrides":
            s.description = ("Print an overlay's differences from the params as DVC --set-param "
                             "arguments, one per line: balancebc overrides params_claims.yaml | "
                             "xargs -d '\\n' dvc exp run --name claims")
            s.add_argument("overlays", nargs="+", metavar="OVERLAY")
        s.add_argument("--params", action="append", metavar="FILE",
                       help="parameter file; again for each overlay over it, e.g. --params params.yaml "
                            "--params params_claims.yaml (default: $BALANCEBC_PARAMS, files separated "
                            f"by {os.pathsep!r}, else params.yaml)")
        for arg in needs:
            s.add_argument(f"--{arg}", required=True, type=int if arg in ("seed", "replicate") else str)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    args.params = args.params or os.environ.get("BALANCEBC_PARAMS", "params.yaml").split(os.pathsep)
    from balancebc.params import load
    log_file = None
    try:
        params = load(*args.params)
        if args.stage == "overrides":
            from balancebc.params import compose, overrides
            base = compose(*args.params)
            load(*args.params, *args.overlays)  # a study that would not run is an error here
            for override in overrides(base, compose(*args.params, *args.overlays)):
                print(f"--set-param={override}")
            return 0
        if args.stage == "check-params":
            print(f"{' + '.join(args.params)}: valid")
            return 0
        if args.stage == "sync-tracking":  # runs recorded while the MLflow store was unreachable
            from balancebc import tracking
            ids = tracking.sync_pending()
            print(f"logged {len(ids)} run(s) from {tracking.PENDING}/ to {tracking.tracking_uri()}")
            return 0
        _require(params, args)
        job = {k: getattr(args, k) for k in STAGES[args.stage]}
        log_path = Path(paths.log(args.stage, job.get("scenario", "all"), job.get("replicate"), job.get("method"),
                                  job.get("seed")))
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = log_path.open("w")
        sys.stdout, sys.stderr = _Tee(sys.stdout, log_file), _Tee(sys.stderr, log_file)
        importlib.import_module(f"balancebc.stages.{args.stage}").run(params, **job)
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
