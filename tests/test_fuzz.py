"""Property-based fuzzing (hypothesis) of the event loader and of `kiyaku evaluate`: whatever the
input, the answer is rulings or located refusals, never another exception, never a traceback."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiyaku import definitions
from kiyaku.cli import main
from kiyaku.errors import InputError
from kiyaku.replay.events import dict_records, file_records, unresolved_citations, vocabulary
from kiyaku.replay.streams import streams_of

ROOT = Path(__file__).resolve().parent.parent
TERMS = definitions.load(ROOT)[0]
TYPES = vocabulary()["$defs"]["types"]
AGREEMENTS = ("smacom", "ts-cloudphone", "abphone")
FIELDS = sorted({"contract", "time", "type", "agreement", "id", "note"} | {f for t in TYPES.values() for f in t["properties"]})

# Anything JSON (and Python) can hold: huge integers, floats, NaN, texts with lone surrogates and controls.
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec=None), max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3),
    max_leaves=6)
REFERENCES = {"invoice": "invoice", "deposit": "deposit_requested", "breach": "breach", "outage": "outage"}
PROVISIONS = {a: sorted(TERMS.agreements[a].provisions) for a in AGREEMENTS}
CODES = ["A", "B-1", "basic"]  # price-table codes, known or not: an unknown one is the events' problem


@st.composite
def valid_event(draw: Any, agreement: str, earlier: list[Any], when: datetime) -> dict[str, Any]:
    """An event of the vocabulary, as a careful producer writes it: its references name earlier events."""
    event_type = draw(st.sampled_from(sorted(TYPES)))
    spec = TYPES[event_type]
    out: dict[str, Any] = {"contract": "C-1", "time": when.isoformat(timespec="minutes"), "type": event_type}
    if "id" in spec.get("required", []) or draw(st.booleans()):
        out["id"] = f"E{len(earlier) + 1}"
    for name, field in spec["properties"].items():
        if name not in spec.get("required", []) and draw(st.booleans()):
            continue
        if name in REFERENCES:
            named = [e["id"] for e in earlier if isinstance(e, dict) and e.get("type") == REFERENCES[name] and "id" in e]
            out[name] = draw(st.sampled_from(named)) if named else "none-recorded"
        else:
            out[name] = draw(_valid_value(field, agreement, when))
    if event_type == "fee_set" and "monthly_fee" in out and "items" in out:
        del out[draw(st.sampled_from(["monthly_fee", "items"]))]
    return out


def _valid_value(field: dict[str, Any], agreement: str, when: datetime) -> st.SearchStrategy[Any]:
    kind = field.get("$ref", "").rsplit("/", 1)[-1]
    near = st.builds(lambda days: (when + timedelta(days=days)).date().isoformat(), st.integers(-40, 60))
    choices = {"yen": st.integers(0, 500_000), "date": near, "time": st.just(when.isoformat()), "flag": st.booleans(),
               "citation": st.sampled_from(PROVISIONS[agreement])}
    if kind in choices:
        return choices[kind]
    if "enum" in field:
        return st.sampled_from(field["enum"])
    if field.get("type") == "array":
        return st.lists(st.fixed_dictionaries({"code": st.sampled_from(CODES), "quantity": st.integers(1, 3)}),
                        min_size=1, max_size=2)
    return st.integers(1, 6) if field.get("type") == "integer" else st.sampled_from(["x", "2", "SIM"])


@st.composite
def stream(draw: Any, noisy: bool = False) -> list[Any]:
    """One contract's history; with `noisy`, an event now and then is broken the way careless input is."""
    agreement = draw(st.sampled_from(AGREEMENTS))
    when = datetime(2025, 4, 1, 10, tzinfo=timezone(timedelta(hours=draw(st.sampled_from([9, 0, -5])))))
    events: list[Any] = [{"contract": "C-1", "agreement": agreement, "time": when.isoformat(), "type": "service_started"}]
    for _ in range(draw(st.integers(1, 7))):
        when += timedelta(hours=draw(st.integers(0, 24 * 60)))
        e = draw(valid_event(agreement, events, when))
        if noisy and draw(st.integers(0, 3)) == 0:
            e = draw(_broken(e))
        events.append(e)
    return events


@st.composite
def _broken(draw: Any, e: dict[str, Any]) -> Any:
    how = draw(st.integers(0, 4))
    if how == 0:
        return draw(anything)
    if how == 1:
        return {k: v for k, v in e.items() if k != draw(st.sampled_from(sorted(e)))}
    if how == 2:
        return e | {draw(st.sampled_from(FIELDS)): draw(anything)}
    if how == 3:
        return e | {"time": draw(st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2})?\Z"))}
    return e | {"contract": draw(st.sampled_from(["C-2", "", "C-1"]))}


def _load(records) -> None:
    """Read every stream; only InputError may stop it, and each of its findings is located."""
    try:
        for stream in streams_of(records, [], False):
            unresolved_citations(stream, TERMS)
    except InputError as exc:
        assert exc.findings
        for finding in exc.findings:
            assert finding.file and len(str(finding)) < 2000, str(finding)[:300]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(stream(noisy=True), min_size=1, max_size=2).map(lambda ss: [e for s in ss for e in s]))
def test_the_loader_takes_any_objects(events: list[Any]) -> None:
    _load(dict_records(events))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=40) | st.text(st.characters(codec=None), max_size=30).map(
           lambda t: t.encode("utf-8", "surrogatepass")), max_size=3),
       stream(noisy=True), st.sampled_from(["events.jsonl", "events.yaml"]))
def test_the_loader_takes_any_bytes(tmp_path_factory: Any, junk: list[bytes], events: list[Any], name: str) -> None:
    lines = [json.dumps(e, default=str).encode() for e in events] + junk
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(b"\n".join(lines[i] for i in sorted(range(len(lines)), key=lambda i: (i * 7919) % len(lines))))
    _load(file_records([path]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(stream(noisy=False) | stream(noisy=True), st.sampled_from([None, "2025-07-01", "2026-01-01T12:00+09:00"]))
def test_evaluate_answers_or_refuses_any_stream(tmp_path: Path, events: list[Any], at: str | None) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e, default=str) + "\n" for e in events), "utf-8", errors="surrogatepass")
    args = ["evaluate", str(path), "--format", "json", "--root", str(ROOT)] + (["--at", at] if at else [])
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    if result.exit_code == 0:
        rulings = json.loads(result.stdout)
        assert all(r["contract"] == "C-1" and r["citations"] for r in rulings)
    else:
        assert result.stdout == "" and result.stderr.startswith((f"{path}:", f"{path} ")), result.stderr
