"""An event type's schema (engine/schemas/events.json) as plain checks of each field: the quick path
for a valid event, compiled with the replay.

Every event is checked once, and fastjsonschema's validator, which runs as Python, was about a third
of the cost of reading and checking a large input (callgrind: 23,000 of 65,000 instructions an
event). These checks say only "valid for certain": they hold a value to the schema's keywords as
strictly as the schema does or more (an integer is an int, never a bool or 1.0; an enum value has
the type it is listed with), and a schema with any keyword not read here gets no checks at all.
Whatever they do not pass goes to the full validator, which decides and words the problem, so the
answers are the validator's, only reached sooner.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

# What one check asks of a value, with its argument (Final: compiled, a constant, not a global looked up).
TYPE: Final = 0  # of exactly this type (a bool is no int)
NUMBER: Final = 1  # an int, or a finite float
ENUM: Final = 2
MINIMUM: Final = 3
MAXIMUM: Final = 4
MIN_SIZE: Final = 5  # (type, n): of that type, and at least n long
PATTERN: Final = 6
ITEMS: Final = 7
_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}
_WORDS = frozenset({"description", "title", "$comment"})  # keywords that check nothing

Check = tuple[int, Any]


class Unsupported(ValueError):
    """A keyword or form these checks do not read: the type is left to the full validator."""


def event_checks(vocabulary: dict[str, Any], event_type: str) -> tuple[frozenset[str], dict[str, list[Check]]] | None:
    """(required fields, the checks of each field allowed) for one event type, or None when its schema
    uses a keyword not read here (or the type is unknown)."""
    spec = vocabulary["$defs"]["types"].get(event_type)
    if spec is None or set(spec) - {"description", "required", "properties"}:
        return None  # "not", and whatever else a type may come to say, are the full validator's
    defs = vocabulary["$defs"]
    properties = vocabulary["properties"] | spec["properties"]
    try:
        fields = {name: _checks(schema, defs, 0) for name, schema in properties.items()}
    except Unsupported:
        return None
    return frozenset(vocabulary["required"] + spec.get("required", [])), fields


def passes(raw: dict[str, Any], checks: tuple[frozenset[str], dict[str, list[Check]]]) -> bool:
    """Whether `raw` is certainly valid: every required field there, no field the type does not have,
    every value passing its checks."""
    required, fields = checks
    for name in required:
        if name not in raw:
            return False
    for name, value in raw.items():
        found = fields.get(name)
        if found is None or not _holds(value, found):
            return False
    return True


def _checks(schema: Any, defs: dict[str, Any], depth: int) -> list[Check]:
    if not isinstance(schema, dict) or depth > 8:
        raise Unsupported(repr(schema))
    out: list[Check] = []
    for key, arg in schema.items():
        if key in _WORDS:
            continue
        if key == "$ref":
            if not isinstance(arg, str) or not arg.startswith("#/$defs/") or arg[8:] not in defs:
                raise Unsupported(repr(arg))
            out += _checks(defs[arg[8:]], defs, depth + 1)
        elif key == "allOf" and isinstance(arg, list):
            for part in arg:
                out += _checks(part, defs, depth + 1)
        elif key == "type" and arg in _TYPES:
            out.append((TYPE, _TYPES[arg]))
        elif key == "type" and arg == "number":
            out.append((NUMBER, None))
        elif key == "enum" and isinstance(arg, list):
            out.append((ENUM, tuple(arg)))
        elif key in ("minimum", "maximum") and type(arg) is int:
            out.append((MINIMUM if key == "minimum" else MAXIMUM, arg))
        elif key in ("minLength", "minItems") and type(arg) is int:
            out.append((MIN_SIZE, (str if key == "minLength" else list, arg)))
        elif key == "pattern" and isinstance(arg, str) and "$" not in arg[:-1]:
            # the validator reads a closing $ as the end of the text (\Z), not before a last newline
            out.append((PATTERN, re.compile(arg[:-1] + "\\Z" if arg.endswith("$") else arg)))
        elif key == "items":
            out.append((ITEMS, _checks(arg, defs, depth + 1)))
        else:
            raise Unsupported(key)
    return out


def _holds(value: Any, checks: list[Check]) -> bool:
    kind = type(value)
    for code, arg in checks:
        if code == TYPE:
            if kind is not arg:
                return False
        elif code == NUMBER:
            if not _number(value):
                return False
        elif code == ENUM:
            if not any(type(allowed) is kind and allowed == value for allowed in arg):
                return False
        elif code == MINIMUM or code == MAXIMUM:
            if not _number(value) or ((value < arg) if code == MINIMUM else (value > arg)):
                return False
        elif code == MIN_SIZE:
            if kind is not arg[0] or len(value) < arg[1]:
                return False
        elif code == PATTERN:
            if kind is not str or arg.search(value) is None:
                return False
        elif code == ITEMS:
            if kind is not list or not all(_holds(item, arg) for item in value):
                return False
    return True


def _number(value: Any) -> bool:
    """A JSON number as the schema means it: an int (never a bool), or a finite float."""
    kind = type(value)
    return kind is int or (kind is float and math.isfinite(value))
