"""Validation against the JSON Schemas shipped in engine/schemas, located by YAML line."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from kiyaku.errors import Finding
from kiyaku.yamlio import Mapping, Sequence


# The JSON kiyaku writes, described for those who read it (engine/schemas/README.md).
OUTPUTS = ("ruling", "answer")


def _read(name: str) -> Any:
    return json.loads(resources.files("kiyaku").joinpath("schemas", f"{name}.json").read_text("utf-8"))


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_read(name))


@cache
def output_validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator of an output schema, with the others it refers to (by their urn: ids) at hand."""
    from referencing import Registry, Resource

    found = [Resource.from_contents(_read(n)) for n in OUTPUTS]
    return jsonschema.Draft202012Validator(_read(name), registry=Registry().with_resources(
        (r.id(), r) for r in found))


def line_at(doc: Any, path: list[Any]) -> int | None:
    """The line of the deepest node of `path` in a document loaded by kiyaku.yamlio."""
    line = getattr(doc, "line", None)
    node = doc
    for step in path:
        if isinstance(node, Mapping) and step in node:
            line = node.line_of(step)
            node = node[step]
        elif isinstance(node, Sequence) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def check(doc: Any, schema: str, file: str) -> list[Finding]:
    """Every schema violation of `doc`, as findings with file and line."""
    findings = []
    for error in sorted(_validator(schema).iter_errors(doc), key=lambda e: list(map(str, e.path))):
        where = "/".join(str(p) for p in error.path) or "top level"
        findings.append(Finding(file, line_at(doc, list(error.path)),
                                f"{where}: {_message(error)}", _hint(error)))
    return findings


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return f"unknown field {', '.join(map(repr, extra))} (allowed: {', '.join(allowed)})"
    if error.validator == "maxProperties":
        return f"{len(error.instance)} fields, more than the {error.validator_value} allowed"
    return error.message


def _hint(error: jsonschema.ValidationError) -> str | None:
    if error.validator == "required":
        return "add the missing field"
    if error.validator == "enum":
        return "use one of the listed values"
    if error.validator == "maxProperties":
        return "keep fewer: every field kept travels with the fact through the inference engine, which holds few"
    return None
