"""Load ``params.yaml``, check it against the schema (with errors that name the key) and
fill in the schema's defaults.

The schema ships with the package (``balancebc/schema/params.schema.yaml``). It holds what
every run shares; each registered scenario kind and weighting method kind adds the schema
of its own section (its ``schema`` attribute), so a new kind is one module.
"""
from __future__ import annotations

import copy
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


def validate(params: dict, source: str = "params") -> dict:
    """Raise BalanceBCError naming every offending key; fill in defaults; return ``params``."""
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema())
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    # an if/then failure repeats its inner errors: keep the innermost ones
    messages = [_describe(leaf) for error in errors for leaf in (error.context or [error])]
    if not errors:
        if params["analysis"]["baseline"] not in params["methods"]:
            messages.append(f"analysis.baseline: {params['analysis']['baseline']!r} is not one of the methods "
                            f"{list(params['methods'])}; expected the method each report compares the others with")
        for name, scenario in params["scenarios"].items():
            messages += _scenario_problems(params, name, scenario)
    if messages:
        raise BalanceBCError(f"{source}: invalid parameters:\n  " + "\n  ".join(dict.fromkeys(messages)))
    return params


def _scenario_problems(params: dict, name: str, scenario: dict) -> list[str]:
    """What the later stages would reject in one scenario and its runs, found before any
    of them runs: the kind's own checks, the files it imports, each method's entry against
    the behaviors (where params name them) and the policy's training settings."""
    kind = registry.SCENARIOS[scenario["kind"]]
    problems = [f"scenarios.{name}.{m}" for m in kind.check(scenario)]
    problems += [f"scenarios.{name}: {path}: not found; expected the dataset the scenario imports"
                 for path in kind.inputs(scenario) if not Path(path).exists()]
    behaviors = kind.known_behaviors(scenario)
    if behaviors:
        problems += [f"{problem} (scenario {name})" for method, spec in params["methods"].items()
                     for problem in registry.METHODS[spec["kind"]].check(method, spec, behaviors)]
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


def load(path: str | Path = "params.yaml") -> dict:
    path = Path(path)
    if not path.is_file():
        raise BalanceBCError(f"{path}: params file not found")
    try:
        params = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise BalanceBCError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(params, dict):
        raise BalanceBCError(f"{path}: expected a mapping of parameters at the top level")
    return validate(params, str(path))
