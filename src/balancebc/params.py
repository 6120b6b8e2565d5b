"""Load ``params.yaml`` and check it against the schema, with errors that name the key."""
from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from balancebc.errors import BalanceBCError

# Per scenario kind: the key naming the behaviors, and the keys that need one entry per behavior.
KEYED_BY_BEHAVIOR = {"pick": ("regions", ["demos"]), "gaussian": ("samples", ["state_scale", "noise"])}
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "params.schema.yaml"


def _schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties" and error.validator_value is False:
        allowed = sorted(error.schema.get("properties", {}))
        return f"{where}: {error.message}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{where}: {error.instance!r} is not allowed; expected one of {error.validator_value}"
    return f"{where}: {error.message}"


def validate(params: dict, source: str = "params") -> dict:
    """Raise BalanceBCError naming every offending key; return ``params`` unchanged."""
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    # an if/then failure repeats its inner errors: keep the innermost ones
    messages = []
    for error in errors:
        leaves = [e for e in (error.context or [])] or [error]
        messages.extend(_describe(e) for e in leaves)
    for name, scenario in (params.get("scenarios") or {}).items() if not errors else ():
        names_key, keyed = KEYED_BY_BEHAVIOR.get(scenario["kind"], (None, []))
        names = scenario.get(names_key, ())
        for key in keyed:
            if set(scenario[key]) != set(names):
                messages.append(f"scenarios.{name}.{key}: expected one entry per behavior "
                                f"{sorted(names)}, got {sorted(scenario[key])}")
    if messages:
        raise BalanceBCError(f"{source}: invalid parameters:\n  " + "\n  ".join(dict.fromkeys(messages)))
    return params


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
