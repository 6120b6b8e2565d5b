"""Load ``params.yaml`` (and any overlays over it), check it against the schema (with
errors that name the key) and fill in the schema's defaults.

An overlay states only what differs from the file before it: mappings merge key by key and
anything else replaces, as Snakemake's ``--configfile`` merges; an entry of ``scenarios``,
``controls``, ``methods`` or ``analysis.claims`` set to null is removed.

The schema ships with the package (``balancebc/schema/params.schema.yaml``). It holds what
every run shares; each registered scenario kind and weighting method kind adds the schema
of its own section (its ``schema`` attribute), so a new kind is one module.
"""
from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from balancebc import registry
from balancebc.errors import BalanceBCError


def _dispatch(kinds) -> dict:
    """One if/then per registered kind: ``kind`` picks the schema of the rest of the section."""
    branches = []
    for kind in kinds:
        fragment = copy.deepcopy(kind.schema)
        fragment.setdefault("additionalProperties", False)
        fragment.setdefault("properties", {})["kind"] = True
        branches.append({"if": {"properties": {"kind": {"const": kind.name}}}, "then": fragment})
    return {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": [k.name for k in kinds]}},
            "allOf": branches}


def _packaged(name: str):
    return yaml.safe_load(resources.files("balancebc").joinpath(f"schema/{name}").read_text())


def schema() -> dict:
    base = _packaged("params.schema.yaml")
    base["properties"]["analysis"]["properties"]["claims"]["default"] = _packaged("claims.yaml")
    base["$defs"]["scenario"] = _dispatch(list(registry.SCENARIOS))
    base["$defs"]["method"] = _dispatch(list(registry.METHODS))
    return base


def _with_defaults(validator_class):
    """A validator that also fills in each missing property's ``default`` (the recipe in
    jsonschema's FAQ); nested defaults follow, since the filled-in value is validated next."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for name, sub in props.items():
                if isinstance(sub, dict) and "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, props, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties})


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties" and error.validator_value is False:
        allowed = sorted(error.schema.get("properties", {}))
        return f"{where}: {error.message}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{where}: {error.instance!r} is not allowed; expected one of {error.validator_value}"
    return f"{where}: {error.message}"


def merge(base: dict, overlay: dict) -> dict:
    """``overlay`` over ``base`` (a new dict): mappings merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merge(out[key], value) if both else copy.deepcopy(value)
    return out


REMOVABLE = ("scenarios", "controls", "methods", "analysis.claims")  # maps whose entries null removes


def _drop_removed(params: dict) -> None:
    """Remove the named entries an overlay set to null (in place)."""
    analysis = params.get("analysis")
    for entries in (params.get("scenarios"), params.get("controls"), params.get("methods"),
                    analysis.get("claims") if isinstance(analysis, dict) else None):
        if isinstance(entries, dict):
            for name in [name for name, value in entries.items() if value is None]:
                del entries[name]


def validate(params: dict, source: str = "params") -> dict:
    """Raise BalanceBCError naming every offending key; fill in defaults; return ``params``."""
    _drop_removed(params)
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema())
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    # an if/then failure repeats its inner errors: keep the innermost ones
    messages = [_describe(leaf) for error in errors for leaf in (error.context or [error])]
    if any(e.validator == "required" and not e.absolute_path for e in errors):
        messages.append("(an overlay such as params_claims.yaml states only what differs: give it after "
                        "params.yaml, e.g. --params params.yaml --params params_claims.yaml)")
    if not errors:
        if params["analysis"]["baseline"] not in params["methods"]:
            messages.append(f"analysis.baseline: {params['analysis']['baseline']!r} is not one of the methods "
                            f"{list(params['methods'])}; expected the method each report compares the others with")
        messages += [f"controls.{name}: also a scenario; expected each name in one of scenarios and controls"
                     for name in set(params["scenarios"]) & set(params["controls"])]
        messages += _claim_problems(params)
        for name, scenario in all_scenarios(params).items():
            messages += _scenario_problems(params, name, scenario)
    if messages:
        raise BalanceBCError(f"{source}: invalid parameters:\n  " + "\n  ".join(dict.fromkeys(messages)))
    return params


def all_scenarios(params: dict) -> dict[str, dict]:
    """Every scenario, the controls included: name -> its section."""
    return {**params["scenarios"], **params["controls"]}


def section(params: dict, scenario: str) -> str:
    """Where a scenario is defined: ``scenarios`` or ``controls``."""
    return "controls" if scenario in params["controls"] else "scenarios"


def methods_of(params: dict, scenario: str) -> list[str]:
    """The methods trained on ``scenario``: every method, or for a control the baseline alone."""
    return [params["analysis"]["baseline"]] if scenario in params["controls"] else list(params["methods"])


def _claim_problems(params: dict) -> list[str]:
    """A claim that requires an entry the claims do not have, or reads a method its scenario
    does not train (a control's other methods)."""
    problems, claims = [], params["analysis"]["claims"]
    for claim, spec in claims.items():
        problems += [f"analysis.claims.{claim}.requires: {name!r} is not among the claims; expected some of "
                     f"{sorted(n for n in claims if n != claim)}" for name in spec["requires"]
                     if name not in claims or name == claim]
        for role in ("treated", "control"):
            if not isinstance(spec[role], str):
                continue
            scenario, _, method = spec[role].partition("/")
            if scenario in params["controls"] and method not in methods_of(params, scenario):
                problems.append(f"analysis.claims.{claim}.{role}: {spec[role]!r}: {scenario} is a control, trained "
                                f"with the baseline alone; expected {scenario}/{params['analysis']['baseline']}, "
                                "or the scenario under scenarios")
    return problems


def _scenario_problems(params: dict, name: str, scenario: dict) -> list[str]:
    """What the later stages would reject in one scenario and its runs, found before any
    of them runs: the kind's own checks, the files it imports, each method's entry against
    the behaviors (where params name them) and the policy's training settings."""
    kind, where = registry.SCENARIOS[scenario["kind"]], f"{section(params, name)}.{name}"
    problems = [f"{where}.{m}" for m in kind.check(scenario)]
    problems += [f"{where}: {path}: not found; expected the dataset the scenario imports"
                 for path in kind.inputs(scenario) if not Path(path).exists()]
    behaviors = kind.known_behaviors(scenario)
    if behaviors:
        problems += [f"{problem} (scenario {name})" for method in methods_of(params, name)
                     for problem in registry.METHODS[params["methods"][method]["kind"]].check(
                         method, params["methods"][method], behaviors)]
    return problems + registry.POLICIES[kind.policy].check(kind.train_settings(params, scenario))


def complete_method(spec: dict, source: str = "method") -> dict:
    """One ``methods`` entry checked against its kind's schema, with the defaults filled in
    (a copy; errors name the key, as ``validate``'s do)."""
    schema_ = schema()
    validator = _with_defaults(jsonschema.Draft202012Validator)({**schema_["$defs"]["method"], "$defs": schema_["$defs"]})
    spec = copy.deepcopy(spec)
    messages = [_describe(leaf) for error in validator.iter_errors(spec) for leaf in (error.context or [error])]
    if messages:
        raise BalanceBCError(f"{source}: invalid method settings:\n  " + "\n  ".join(dict.fromkeys(messages)))
    return spec


def read(path: str | Path) -> dict:
    """One params file as written (no defaults, no checks but its being a YAML mapping)."""
    path = Path(path)
    if not path.is_file():
        raise BalanceBCError(f"{path}: params file not found")
    try:
        params = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise BalanceBCError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(params, dict):
        raise BalanceBCError(f"{path}: expected a mapping of parameters at the top level")
    return params


def compose(*files: str | Path) -> dict:
    """The first params file with each of the others over it, in order (as written: no defaults)."""
    params = read(files[0])
    for overlay in files[1:]:
        params = merge(params, read(overlay))
    _drop_removed(params)
    return params


def overrides(base: dict, target: dict, prefix: str = "") -> list[str]:
    """What turns params ``base`` into ``target`` (``compose``'s, as written) as DVC's
    ``--set-param`` (Hydra) overrides, so that ``dvc exp run`` runs a study: ``~key``
    removes an entry, ``++key=value`` sets one (a mapping value merges, as an overlay's does)."""
    out = [f"~{prefix}{key}" for key in base if key not in target]
    for key, value in target.items():
        path, here = f"{prefix}{key}", base.get(key)
        if isinstance(value, dict) and isinstance(here, dict) and not any("." in k for k in value):
            out += overrides(here, value, f"{path}.")
        elif key not in base or value != here:
            out.append(f"++{path}={_hydra(value)}")
    return out


def _hydra(value) -> str:
    """A value in Hydra's override grammar."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_hydra(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_hydra, value)) + "]"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "null" if value is None else json.dumps(value)


def snapshot(params: dict, base: str = "params.yaml") -> str:
    """A params file that holds ``params`` (as given, before defaults): ``base`` where they
    are its content, else ``.balancebc/params-<digest>.yaml``, written once. Snakemake hands
    it to the jobs when ``--configfile`` or ``--config`` changed its config."""
    import hashlib

    from balancebc.io.atomic import write_text
    if Path(base).is_file() and read(base) == params:
        return base
    text = yaml.safe_dump(params, sort_keys=False)
    path = Path(".balancebc") / f"params-{hashlib.sha256(text.encode()).hexdigest()[:12]}.yaml"
    if not path.is_file():
        write_text(path, "# written by balancebc: the composed parameters one Snakemake run used\n" + text)
    return str(path)


def load(*files: str | Path) -> dict:
    """``files`` (default: params.yaml) composed, checked and completed with the defaults."""
    files = files or ("params.yaml",)
    return validate(compose(*files), " + ".join(map(str, files)))
