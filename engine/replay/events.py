"""Contract event streams: read, validate against engine/schemas/events.json, order by time."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

import fastjsonschema

from kiyaku.errors import Finding, InputError

TOKYO = ZoneInfo("Asia/Tokyo")
COMMON = ("contract", "time", "type", "agreement", "id", "note")
# Fields that name another event of the same contract, by the type of event they name.
REFERENCES = {("payment", "invoice"): "invoice", ("payment_demand", "invoice"): "invoice",
              ("breach_remedied", "breach"): "breach", ("deposit_paid", "deposit"): "deposit_requested",
              ("outage_ended", "outage"): "outage"}
# Events that end the event they name, and so cannot come before it.
ENDS = {"outage_ended", "breach_remedied"}


@dataclass(frozen=True)
class Event:
    contract: str
    time: datetime
    type: str
    id: str
    fields: dict[str, Any]
    file: str
    line: int
    seq: int  # position in the input, for ties and for "given out of order"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Stream:
    """One contract's events in time order (ties by input order)."""

    contract: str
    agreement: str
    events: list[Event]
    reordered: bool = False


@dataclass
class Loaded:
    streams: dict[str, Stream]
    errors: list[Finding] = field(default_factory=list)


@cache
def vocabulary() -> dict[str, Any]:
    # Read beside the package rather than through importlib.resources, whose import alone costs a
    # short command such as `kiyaku ask` more than reading the file.
    return json.loads((Path(__file__).resolve().parent.parent / "schemas" / "events.json").read_text("utf-8"))


def parse_time(value: Any) -> datetime | None:
    """ISO 8601; a date or a date-time without offset is read in Asia/Tokyo."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), TOKYO)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=TOKYO)


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    """(line, raw event) pairs, read lazily from JSON Lines; a syntax error becomes an InputError
    naming file and line."""
    name = str(path)
    if not path.is_file():
        raise InputError(Finding(name, None, "no such events file", "give a .jsonl or .yaml file"))
    if path.suffix in (".yaml", ".yml"):
        yield from _yaml_records(path)
        return
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(Finding(name, n, f"not valid JSON: {exc.msg} (column {exc.colno})",
                                         "JSON Lines: one event object per line")) from None


def _yaml_records(path: Path) -> list[tuple[int, Any]]:
    from kiyaku.yamlio import YamlSyntaxError, load_file  # JSON Lines, the usual input, never needs it

    try:
        doc = load_file(path)
    except YamlSyntaxError as exc:
        raise InputError(exc.finding) from None
    if not isinstance(doc, list):
        raise InputError(Finding(str(path), getattr(doc, "line", None), "an events YAML file holds a list of events",
                                 "write each event as a `- contract: …` item"))
    return list(zip(doc.item_lines, doc))


@cache
def _fast(event_type: str) -> Callable[[Any], Any] | None:
    """A compiled validator for one event type: the whole schema in one pass, for the common case of
    a valid event; a failure goes to the full check below, which words the message."""
    vocab = vocabulary()
    spec = vocab["$defs"]["types"].get(event_type)
    if spec is None:
        return None
    shared = {name: d for name, d in vocab["$defs"].items() if name != "types"}
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "$defs": shared, "type": "object",
              "required": vocab["required"] + spec.get("required", []),
              "properties": vocab["properties"] | spec["properties"], "additionalProperties": False}
    return _compiled(event_type, schema)


def _compiled(event_type: str, schema: dict[str, Any]) -> Callable[[Any], Any]:
    """fastjsonschema's validator, its generated code kept in the cache folder (keyed by the schema)
    so that a short run such as `kiyaku ask` imports it instead of generating it again."""
    import hashlib
    import importlib.util

    from kiyaku.definitions import cache_dir

    digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:24]
    path = cache_dir() / "event-validators" / f"v_{event_type}_{digest}.py"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(fastjsonschema.compile_to_code(schema), "utf-8")
            os.replace(partial, path)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.validate
    except (OSError, SyntaxError, AttributeError, ImportError):
        return fastjsonschema.compile(schema)  # a cache that cannot be used is simply not used


def _valid(raw: Any) -> bool:
    validate = _fast(raw.get("type")) if isinstance(raw, dict) and isinstance(raw.get("type"), str) else None
    if validate is None:
        return False
    try:
        validate(raw)
    except fastjsonschema.JsonSchemaException:
        return False
    return parse_time(raw["time"]) is not None


def _check(raw: Any, file: str, line: int) -> list[Finding]:
    if _valid(raw):
        return []
    import jsonschema  # only to word what is wrong: valid events never need it

    vocab = vocabulary()
    if not isinstance(raw, dict):
        return [Finding(file, line, "an event must be an object with contract, time and type")]
    problems = [f"field {e.path[0] if e.path else ''!s}: {e.message}".replace("field : ", "")
                for e in jsonschema.Draft202012Validator(vocab).iter_errors(raw)]
    if problems:
        return [Finding(file, line, p, "see docs/events.md") for p in problems]
    spec = vocab["$defs"]["types"].get(raw["type"])
    if spec is None:
        return [Finding(file, line, f"field type: unknown event type {raw['type']!r}",
                        f"known types: {', '.join(sorted(vocab['$defs']['types']))}")]
    schema = {"$defs": vocab["$defs"], "type": "object", "required": spec.get("required", []),
              "properties": spec["properties"]}
    found = []
    for e in jsonschema.Draft202012Validator(schema).iter_errors(raw):
        if e.validator == "required":
            name = e.message.split("'")[1]
            found.append(Finding(file, line, f"field {name}: missing; {raw['type']} events require it",
                                 f"see the {raw['type']} event in docs/events.md"))
            continue
        where = f"field {e.path[0]}" if e.path else "event"
        found.append(Finding(file, line, f"{where}: {e.message}", f"see the {raw['type']} event in docs/events.md"))
    for key in raw:
        if key not in COMMON and key not in spec["properties"]:
            allowed = ", ".join(list(COMMON) + sorted(spec["properties"]))
            found.append(Finding(file, line, f"field {key}: not a field of {raw['type']} events",
                                 f"allowed: {allowed}"))
    if parse_time(raw["time"]) is None:
        found.append(Finding(file, line, f"field time: {raw['time']!r} is not an ISO 8601 time",
                             "write 2025-06-01 or 2025-06-01T09:00 (Asia/Tokyo) or with an offset"))
    return found


def _contract_of(raw: Any) -> str | None:
    return raw.get("contract") if isinstance(raw, dict) and isinstance(raw.get("contract"), str) else None


Record = tuple[str, int, Any]  # (source: a file name or a label, line or position, the raw event)
# A source of records that can be read more than once (one pass finds where each contract ends):
# called with the error list and keep_going, it yields every record in input order.
Records = Callable[[list[Finding], bool], Iterator[Record]]


def file_records(paths: list[Path]) -> Records:
    """The records of event files (JSON Lines or YAML), in the order given."""
    def read(errors: list[Finding], keep_going: bool) -> Iterator[Record]:
        for path in paths:
            try:
                for line, raw in _records(path):
                    yield str(path), line, raw
            except InputError as exc:
                if not keep_going:
                    raise
                errors.extend(exc.findings)
    return read


def dict_records(events: Iterable[Any], source: str = "<events>") -> Records:
    """Events given as objects (from a program, a request, a database): position n is `source:n`."""
    given = list(events)
    return lambda errors, keep_going: ((source, n, raw) for n, raw in enumerate(given, 1))


def _last_positions(records: Records) -> dict[str, int]:
    """A first pass: where each contract's last record is, so that a contract can be evaluated and
    dropped as soon as the input has passed it (grouped input then needs one contract in memory)."""
    last: dict[str, int] = {}
    for k, (_, _, raw) in enumerate(records([], True)):
        contract = _contract_of(raw)
        if contract is not None:
            last[contract] = k
    return last


def streams(paths: list[Path], errors: list[Finding], keep_going: bool = False) -> Iterator[Stream]:
    """Each contract's stream in event files; see `streams_of`."""
    return streams_of(file_records(paths), errors, keep_going)


def streams_of(records: Records, errors: list[Finding], keep_going: bool = False) -> Iterator[Stream]:
    """Each contract's stream, ordered by time, as soon as the input has passed its last event.
    Problems go to `errors` with keep_going; without it the first one raises InputError. Every
    source of events (files, objects, a store) is validated here, by the same vocabulary."""
    last = _last_positions(records)
    pending: dict[str, list[Event]] = defaultdict(list)
    for k, (source, line, raw) in enumerate(records(errors, keep_going)):
        problems = _check(raw, source, line)
        if problems:
            if not keep_going:
                raise InputError(problems)
            errors.extend(problems)
        else:
            fields = {f: v for f, v in raw.items() if f not in ("contract", "time", "type", "id")}
            pending[raw["contract"]].append(Event(raw["contract"], parse_time(raw["time"]), raw["type"],
                                                  raw.get("id") or f"{raw['type']}@{Path(source).name}:{line}",
                                                  fields, source, line, k))
        contract = _contract_of(raw)
        if contract is not None and last.get(contract) == k and contract in pending:
            stream = _stream(contract, pending.pop(contract), errors, keep_going)
            if stream is not None:
                yield stream


def load(paths: list[Path], keep_going: bool = False) -> Loaded:
    """Every contract's stream at once, by contract id (for callers that want them all)."""
    errors: list[Finding] = []
    found = {s.contract: s for s in streams(paths, errors, keep_going)}
    return Loaded(dict(sorted(found.items())), errors)


def _stream(contract: str, given: list[Event], errors: list[Finding], keep_going: bool) -> Stream | None:
    ordered = sorted(given, key=lambda e: (e.time, e.seq))
    problems = _contract_problems(contract, ordered)
    if problems:
        if not keep_going:
            raise InputError(problems)
        errors.extend(problems)
        bad = {(f.file, f.line) for f in problems}
        ordered = [e for e in ordered if (e.file, e.line) not in bad]
        if not ordered or "agreement" not in ordered[0].fields:
            return None
    return Stream(contract, ordered[0].fields["agreement"], ordered, reordered=ordered != given)


def _contract_problems(contract: str, ordered: list[Event]) -> list[Finding]:
    first = ordered[0]
    if "agreement" not in first.fields:
        return [Finding(first.file, first.line, f"field agreement: the first event of contract {contract} "
                        "must name its agreement", "add \"agreement\": \"smacom\" (or ts-cloudphone, abphone)")]
    agreement = first.fields["agreement"]
    problems = []
    ids: dict[tuple[str, str], Event] = {}
    for e in ordered:
        if e.fields.get("agreement", agreement) != agreement:
            problems.append(Finding(e.file, e.line, f"field agreement: contract {contract} is under "
                                    f"{agreement} (from {first.where}); an event cannot switch it to "
                                    f"{e.fields['agreement']}", "give the contract another id, or fix the agreement"))
        if not e.id.startswith(f"{e.type}@"):
            ids[(e.type, e.id)] = e
    for e in ordered:
        for (etype, fname), target in REFERENCES.items():
            if e.type != etype:
                continue
            named = ids.get((target, e.fields[fname]))
            if named is None:
                problems.append(Finding(e.file, e.line, f"field {fname}: {etype} for unknown {target} "
                                        f"{e.fields[fname]!r} of contract {contract}",
                                        f"record the {target} event with \"id\": \"{e.fields[fname]}\" first"))
            elif etype in ENDS and e.time < named.time:
                problems.append(Finding(e.file, e.line, f"field time: {etype} at {e.time.isoformat()} is before "
                                        f"the {target} it ends ({named.where}, {named.time.isoformat()})",
                                        "an end cannot come before its start: check both times"))
    return problems
