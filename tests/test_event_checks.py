"""The quick checks of an event (kiyaku.replay.checks) against the full validator they stand in front
of: whatever they pass, fastjsonschema passes too, and every event in the examples takes the quick path."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiyaku.replay import checks
from kiyaku.replay.events import _fast, _quick, vocabulary

ROOT = Path(__file__).resolve().parent.parent
TYPES = sorted(vocabulary()["$defs"]["types"])
QUICK = [t for t in TYPES if _quick(t) is not None]

# Values near every edge the schema draws: kinds JSON mixes up (True for 1, 1.0 for 1), the bounds of
# yen (0 to 10^15), dates with a last newline, enum values of another kind, texts of other scripts.
EDGES = [None, True, False, 0, 1, -1, 10**15, 10**15 + 1, 1.0, 0.5, math.nan, math.inf, "", "x", "2024-01-31",
         "2024-01-31\n", "2024-1-31", "smacom:9.2", "smacom:tariff-1-5.1.イ", "smacom:9.2\n", "Smacom:9", "smacom",
         "provider", "written", "ア", [], ["x"], [1], {}, {"a": 1}]


def _enum_values() -> list[Any]:
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.extend(node.get("enum", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(vocabulary())
    return found


VALUES = st.sampled_from(EDGES + _enum_values())


def _fields(event_type: str) -> list[str]:
    return sorted(_quick(event_type)[1])  # type: ignore[index]


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    event_type = draw(st.sampled_from(QUICK))
    required = sorted(_quick(event_type)[0])  # type: ignore[index]
    names = required + draw(st.lists(st.sampled_from(_fields(event_type) + ["unknown"]), unique=True, max_size=4))
    raw = {"contract": "C-1", "time": "2025-01-01", "type": event_type}
    raw.update({name: draw(VALUES) for name in names if name != "type"})
    return raw


def _validator_passes(raw: dict[str, Any]) -> bool:
    try:
        _fast(raw["type"])(raw)  # type: ignore[misc]
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_what_the_quick_checks_pass_the_validator_passes(raw: dict[str, Any]) -> None:
    if checks.passes(raw, _quick(raw["type"])):  # type: ignore[arg-type]
        assert _validator_passes(raw), raw


def test_every_example_event_takes_the_quick_path() -> None:
    seen = 0
    for path in sorted((ROOT / "examples").rglob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            raw = json.loads(line)
            quick = _quick(raw["type"])
            if quick is not None:
                assert checks.passes(raw, quick), (path.name, raw)
                seen += 1
    assert seen > 50


@pytest.mark.parametrize("amount, quick, valid", [
    (1, True, True), (10**15, True, True), (0, False, False), (10**15 + 1, False, False), (True, False, False),
    ("1", False, False), (None, False, False),
    (1.0, False, True),  # the validator takes 1.0 for an integer; the quick checks leave it to the validator
])
def test_an_invoice_amount_is_whole_yen_from_1_to_10_15(amount: Any, quick: bool, valid: bool) -> None:
    raw = {"contract": "C-1", "time": "2025-01-01", "type": "invoice", "id": "I1", "amount": amount,
           "due_date": "2025-01-31"}
    assert checks.passes(raw, _quick("invoice")) is quick  # type: ignore[arg-type]
    assert _validator_passes(raw) is valid


def test_what_the_quick_checks_leave_to_the_validator() -> None:
    base = {"contract": "C-1", "time": "2025-01-01", "type": "invoice", "id": "I1", "amount": 1, "due_date": "2025-01-31"}
    invoice = _quick("invoice")
    assert not checks.passes({**base, "due_date": "2025-01-31\n"}, invoice)  # type: ignore[arg-type]
    assert not checks.passes({**base, "colour": "red"}, invoice)  # type: ignore[arg-type]
    assert not checks.passes({k: v for k, v in base.items() if k != "due_date"}, invoice)  # type: ignore[arg-type]
    assert not checks.passes({**base, "agreement": "nowhere"}, invoice)  # type: ignore[arg-type]
    assert checks.passes({**base, "agreement": "abphone", "note": ""}, invoice)  # type: ignore[arg-type]
    # a keyword these checks do not read leaves the whole type to the validator
    assert "not" in vocabulary()["$defs"]["types"]["fee_set"] and _quick("fee_set") is None
    with pytest.raises(checks.Unsupported):
        checks._checks({"type": "string", "format": "date"}, {}, 0)


def test_only_the_types_whose_schema_says_more_are_left_to_the_validator() -> None:
    # fee_set says `not` (a monthly fee or items, not both); charge_evaded lists objects (`charges`).
    # A keyword that events.json comes to use and these checks do not read shows here, as a type
    # that lost its quick path.
    assert [t for t in TYPES if _quick(t) is None] == ["charge_evaded", "fee_set"]
