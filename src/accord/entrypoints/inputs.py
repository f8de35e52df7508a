"""Booleans where numbers are expected (SPEC §13), refused at the edge before any model reads them.

Pydantic's lax mode reads JSON `true` as 1 for a number field (and as 1.0 for `float | str`), so `confidence: true`
would vote with full confidence. REST bodies and MCP arguments are checked against their JSON schema instead: a
boolean is taken only where the schema allows one; elsewhere it is a ValidationError naming the field.
"""

from __future__ import annotations

from typing import Any

from accord.domain import limits


def refuse_booleans(arguments: dict[str, Any], schema: dict[str, Any]) -> None:
    """Raise ValidationError for the first argument holding `true`/`false` whose schema takes no boolean."""
    properties: dict[str, Any] = schema.get("properties") or {}
    for name, value in arguments.items():
        if isinstance(value, bool) and name in properties and not _takes_boolean(properties[name]):
            raise limits.not_a_boolean(name, _expected(properties[name]))


def _types(prop: dict[str, Any]) -> set[str] | None:
    """The JSON types `prop` allows, or None when it allows anything (no type, a reference, a combination)."""
    if "type" in prop:
        kind = prop["type"]
        return {kind} if isinstance(kind, str) else set(kind)
    options = prop.get("anyOf") or prop.get("oneOf")
    if options is None:
        return None
    found: set[str] = set()
    for option in options:
        kinds = _types(option)
        if kinds is None:
            return None
        found |= kinds
    return found


def _takes_boolean(prop: dict[str, Any]) -> bool:
    kinds = _types(prop)
    return kinds is None or "boolean" in kinds


def _expected(prop: dict[str, Any]) -> str:
    kinds = _types(prop) or set()
    if "number" in kinds:
        return "a number"
    if "integer" in kinds:
        return "a whole number"
    if "string" in kinds:
        return "text"
    return "a " + " or ".join(sorted(kinds - {"null"})) if kinds - {"null"} else "null"
