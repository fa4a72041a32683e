"""Contract event streams: read, validate against engine/schemas/events.json, order by time.

Every source of events (files, standard input, objects from a program) goes through the same checks:
the shape of each record (`_shape`), the vocabulary (`_check`), then what the events of one contract
say together (`_contract_problems`). A problem is refused with its file and line, never skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import fastjsonschema
from mypy_extensions import mypyc_attr

from kiyaku.errors import Finding, InputError, quoted
from kiyaku.paths import PACKAGE
from kiyaku.replay.checks import Check, event_checks, passes
from kiyaku.textio import STDIN, Unreadable, name_of, read_lines, read_text
from kiyaku.times import DATE_HINT, TIME_HINT, TOKYO, parse_time, read_date, read_time
from kiyaku.yamlio import INT_BOUND, Sequence, YamlSyntaxError, load_text

if TYPE_CHECKING:
    from kiyaku.terms import Terms

__all__ = ["TOKYO", "Event", "Loaded", "Stream", "dict_records", "file_records", "located_records", "parse_time",
           "unresolved_citations", "vocabulary"]

COMMON = ("contract", "time", "type", "agreement", "id", "note")
# Fields that name another event of the same contract, by the type of event they name.
REFERENCES = {("payment", "invoice"): "invoice", ("payment_demand", "invoice"): "invoice",
              ("breach_remedied", "breach"): "breach", ("deposit_paid", "deposit"): "deposit_requested",
              ("outage_ended", "outage"): "outage"}
# Events that end the event they name: each can happen once.
ENDS = {"outage_ended", "breach_remedied"}
MAX_ID = 200  # characters of a contract id, an event id or a reference to one
MAX_TEXT = 10_000  # characters of any other text (a note)
MAX_DEPTH = 8  # an event nests at most an object in a list (fee_set items)
IDENTIFIERS = {"contract", "id"} | {name for _, name in REFERENCES}


@dataclass  # not frozen, though never changed: frozen, making one (twice per event read) costs 5 times as much
class Event:
    contract: str
    time: datetime
    type: str
    id: str
    fields: dict[str, Any]
    file: str
    line: int
    seq: int  # position in the input, for ties and for "given out of order"

    def __init__(self, contract: str, time: datetime, type: str, id: str, fields: dict[str, Any], file: str,
                 line: int, seq: int) -> None:
        # written out, not generated: compiled, dataclasses' __init__ would stay Python, at twice the
        # cost (two are made for each event read)
        self.contract, self.time, self.type, self.id, self.fields = contract, time, type, id, fields
        self.file, self.line, self.seq = file, line, seq

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
    # short command such as `kiyaku ask` more than reading the file. (Not by this module's __file__, which
    # compiled is where it was compiled.)
    return json.loads((PACKAGE / "schemas" / "events.json").read_text("utf-8"))


@cache
def _fields_of_kind(ref: str) -> dict[str, tuple[str, ...]]:
    """Per event type, the fields whose schema is `#/$defs/<ref>` (dates, citations)."""
    types = vocabulary()["$defs"]["types"]
    return {t: tuple(name for name, d in spec["properties"].items() if d.get("$ref") == f"#/$defs/{ref}")
            for t, spec in types.items()}


# --- reading -----------------------------------------------------------------------------------

class _Refused(ValueError):
    """JSON that parses but that kiyaku does not read: a key given twice, NaN or Infinity."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"field {quoted(key)} is given twice in one event: which one is meant?")
            seen.add(key)
    return found


def _constant(text: str) -> Any:
    raise _Refused(f"{text} is not a number JSON allows")


@mypyc_attr(native_class=False)  # compiled, a class cannot extend Decimal natively
class _Written(Decimal):
    """A decimal number as written (`1e30`): kept exact and shown as given, to be refused by the checks."""

    text: str

    def __init__(self, text: str) -> None:
        self.text = text  # Decimal makes the number from the same text, in __new__

    def __repr__(self) -> str:
        return self.text


def _json(text: str, file: str, line: int) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_object, parse_float=_Written, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InputError(Finding(file, line, f"not valid JSON: {exc.msg} (column {exc.colno})",
                                 "JSON Lines: one event object per line")) from None
    except _Refused as exc:
        raise InputError(Finding(file, line, str(exc), "fix the event")) from None
    except ValueError:  # Python's own limit on the digits of an integer (4,300)
        raise InputError(Finding(file, line, "a number with thousands of digits is beyond the 64-bit integers "
                                 "kiyaku reads", "fix the event")) from None
    except RecursionError:
        raise InputError(Finding(file, line, "nested too deeply to be an event",
                                 "JSON Lines: one event object per line")) from None


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    """(line, raw event) pairs, read lazily from JSON Lines (or at once from YAML); a problem with the
    file becomes an InputError naming file and line."""
    name = name_of(path)
    try:
        if path.suffix in (".yaml", ".yml") or (str(path) == STDIN and _looks_like_yaml(path)):
            yield from _yaml_records(path, name)
            return
        for n, line in read_lines(path, name):
            if line.strip():
                yield n, _json(line, name, n)
    except Unreadable as exc:
        raise InputError(exc.finding) from None


def _looks_like_yaml(path: Path) -> bool:
    """Standard input has no file name: JSON Lines begin with `{`, a YAML list of events does not."""
    for _, line in read_lines(path):
        if line.strip():
            return not line.lstrip().startswith("{")
    return False


def _yaml_records(path: Path, name: str) -> list[tuple[int, Any]]:
    try:
        doc = load_text(read_text(path, name), name, aliases=False)
    except YamlSyntaxError as exc:
        raise InputError(exc.finding) from None
    if doc is None:
        return []
    if not isinstance(doc, Sequence):
        raise InputError(Finding(name, getattr(doc, "line", None), "an events YAML file holds a list of events",
                                 "write each event as a `- contract: …` item"))
    return list(zip(doc.item_lines, doc))


# --- one record --------------------------------------------------------------------------------

def _shape(raw: Any) -> str | None:
    """What makes `raw` something no event can be, before the vocabulary is asked: keys that are not
    text, numbers that are not integers kiyaku can hold, texts that are not text or are huge, nesting."""
    if not isinstance(raw, dict):
        return "an event must be an object with contract, time and type"
    for key, value in raw.items():  # the common case, flat and plain, without a stack
        kind = type(value)
        if type(key) is not str:
            return f"field names must be text, not {quoted(key)}"
        if kind is str:
            if len(value) > MAX_ID or not value.isascii():
                problem = _text_problem(value, key, 1)
                if problem:
                    return problem
        elif kind is int:
            if not -INT_BOUND < value < INT_BOUND:
                return f"field {key}: {quoted(value, 30)} is beyond the 64-bit integers kiyaku reads"
        elif kind is not bool and value is not None:
            problem = _nested_problem(value, key)
            if problem:
                return problem
    return None


def _nested_problem(value: Any, name: str) -> str | None:
    """`_shape` for a value that is not a plain text, integer, flag or null: walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value, name, depth)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            problem = None if -INT_BOUND < value < INT_BOUND else \
                f"field {name}: {quoted(value, 30)} is beyond the 64-bit integers kiyaku reads"
        elif isinstance(value, (float, Decimal)):
            problem = f"field {name}: {value!r} is not an integer (amounts are whole yen)"
        elif isinstance(value, (list, dict)) and depth < MAX_DEPTH:
            if isinstance(value, dict) and any(not isinstance(k, str) for k in value):
                return f"field {name}: field names must be text"
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
            continue
        else:
            problem = f"field {name}: nested too deeply" if isinstance(value, (list, dict)) else \
                f"field {name}: a {type(value).__name__} is not a JSON value"
        if problem:
            return problem
    return None


def _text_problem(value: str, name: str, depth: int) -> str | None:
    limit = MAX_ID if name in IDENTIFIERS and depth == 1 else MAX_TEXT
    if len(value) > limit:
        return f"field {name}: {len(value)} characters long; it may be at most {limit}"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"field {name}: holds {value[exc.start]!r}, half of a UTF-16 pair, which is not a character"
    return None


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
    if "not" in spec:
        schema["not"] = spec["not"]
    return _compiled(event_type, schema)


def _compiled(event_type: str, schema: dict[str, Any]) -> Callable[[Any], Any]:
    """fastjsonschema's validator. Generating it costs a short run such as `kiyaku ask` several
    milliseconds a type, so its compiled code is kept in the cache, keyed by the schema and this
    Python. It is code: it is run only from a cache the user alone can write (kiyaku.definitions)."""
    import hashlib
    import marshal
    import sys

    from kiyaku import definitions

    digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:24]
    name = f"validator-{event_type}-{sys.implementation.cache_tag}-{digest}.bin"
    kept = definitions.read_private(name)
    try:
        code = marshal.loads(kept) if kept else None
    except (EOFError, ValueError, TypeError):
        code = None
    if code is None:
        code = compile(fastjsonschema.compile_to_code(schema), name, "exec")
        definitions.write_private(name, marshal.dumps(code))
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - the validator fastjsonschema generated from our own schema
    return namespace["validate"]


_quick_checks: dict[str, tuple[frozenset[str], dict[str, list[Check]]] | None] = {}


def _quick(event_type: str) -> tuple[frozenset[str], dict[str, list[Check]]] | None:
    """An event type's schema as plain checks (kiyaku.replay.checks), or None: the validator alone judges it
    (or the type is unknown). Every type's are made at the first call, from one reading of the vocabulary,
    and kept in a dict, not functools.cache: asked for every event, a call through the cache costs more."""
    if not _quick_checks:
        vocab = vocabulary()
        _quick_checks.update({name: event_checks(vocab, name) for name in vocab["$defs"]["types"]})
    return _quick_checks.get(event_type)


def _valid(raw: dict[str, Any]) -> bool:
    event_type = raw.get("type")
    if not isinstance(event_type, str):
        return False
    quick = _quick(event_type)
    if quick is None or not passes(raw, quick):
        validate = _fast(event_type)
        if validate is None:
            return False
        try:
            validate(raw)
        except fastjsonschema.JsonSchemaException:
            return False
    return _valid_time(raw["time"]) and not _date_problems(raw, "", 0)


def _valid_time(text: Any) -> bool:
    """Whether `text` is a time, remembered: the same times (days, most often) recur all through a
    large input."""
    return (_parsed_time(text) if type(text) is str else parse_time(text)) is not None


_parsed_time = lru_cache(maxsize=1 << 16)(parse_time)


def _check(raw: Any, file: str, line: int) -> list[Finding]:
    """Every problem of one record, worded; none for a valid event."""
    shape = _shape(raw)
    if shape is not None:
        return [Finding(file, line, shape, "see docs/events.md")]
    return [] if _valid(raw) else _vocabulary_problems(raw, file, line)


def _vocabulary_problems(raw: dict[str, Any], file: str, line: int) -> list[Finding]:
    """What the vocabulary finds wrong with a record, in words (valid events never come here)."""
    import jsonschema

    vocab = vocabulary()
    problems = [f"field {e.path[0] if e.path else ''!s}: {e.message}".replace("field : ", "")
                for e in jsonschema.Draft202012Validator(vocab).iter_errors(raw)]
    if problems:
        return [Finding(file, line, p, "see docs/events.md") for p in problems]
    spec = vocab["$defs"]["types"].get(raw["type"])
    if spec is None:
        return [Finding(file, line, f"field type: unknown event type {quoted(raw['type'])}",
                        f"known types: {', '.join(sorted(vocab['$defs']['types']))}")]
    hint = f"see the {raw['type']} event in docs/events.md"
    schema = {"$defs": vocab["$defs"], "type": "object", "required": spec.get("required", []),
              "properties": spec["properties"]} | ({"not": spec["not"]} if "not" in spec else {})
    found = [Finding(file, line, _worded(e, raw["type"]), hint)
             for e in jsonschema.Draft202012Validator(schema).iter_errors(raw)]
    found += _unknown_fields(raw, spec, file, line)
    try:
        read_time(raw["time"])
    except ValueError as exc:
        found.append(Finding(file, line, f"field time: {exc}", TIME_HINT))
    return found + _date_problems(raw, file, line)


def _unknown_fields(raw: dict[str, Any], spec: dict[str, Any], file: str, line: int) -> list[Finding]:
    """One finding for every field the type does not have, naming a few (an event may carry thousands)."""
    unknown = [key for key in raw if key not in COMMON and key not in spec["properties"]]
    if not unknown:
        return []
    names = ", ".join(quoted(k, 30) for k in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
    what = "fields" if len(unknown) > 1 else "a field"
    return [Finding(file, line, f"field{'s' if len(unknown) > 1 else ''} {names}: not {what} of {raw['type']} events",
                    f"allowed: {', '.join(list(COMMON) + sorted(spec['properties']))}")]


def _worded(error: Any, event_type: str) -> str:
    if error.validator == "required":
        return f"field {error.message.split(chr(39))[1]}: missing; {event_type} events require it"
    if error.validator == "not" and "required" in error.validator_value:
        return f"fields {' and '.join(error.validator_value['required'])}: give one or the other, not both"
    return f"{f'field {error.path[0]}' if error.path else 'event'}: {error.message}"


def _date_problems(raw: dict[str, Any], file: str, line: int) -> list[Finding]:
    """Fields that hold a date or a time hold a real one (the schema checks only their form)."""
    found = []
    for name, read, hint in _dated(raw["type"]):
        if isinstance(raw.get(name), str):
            try:
                read(raw[name])
            except ValueError as exc:
                found.append(Finding(file, line, f"field {name}: {exc}", hint))
    return found


@cache
def _dated(event_type: str) -> tuple[tuple[str, Callable[[str], Any], str], ...]:
    """The date and time fields of an event type (besides `time`), each with its reader."""
    return tuple((name, read, hint) for kind, read, hint in (("date", read_date, DATE_HINT), ("time", read_time, TIME_HINT))
                 for name in _fields_of_kind(kind).get(event_type, ()))


def _contract_of(raw: Any) -> str | None:
    return raw.get("contract") if isinstance(raw, dict) and isinstance(raw.get("contract"), str) else None


Record = tuple[str, int, Any]  # (source: a file name or a label, line or position, the raw event)
# A source of records that can be read more than once (one pass finds where each contract ends):
# called with the error list and keep_going, it yields every record in input order.
Records = Callable[[list[Finding], bool], Iterator[Record]]


def file_records(paths: list[Path]) -> Records:
    """The records of event files (JSON Lines or YAML; `-` is standard input), in the order given."""
    def read(errors: list[Finding], keep_going: bool) -> Iterator[Record]:
        seen: dict[Any, Path] = {}
        for path in paths:
            try:
                _given_once(path, seen)
                for line, raw in _records(path):
                    yield name_of(path), line, raw
            except InputError as exc:
                if not keep_going:
                    raise
                errors.extend(exc.findings)
    return read


def _given_once(path: Path, seen: dict[Any, Path]) -> None:
    """The same file twice would count each of its events twice."""
    key: Any = STDIN
    if str(path) != STDIN:
        try:
            st = path.stat()
        except OSError:
            return  # reading it will say what is wrong
        key = (st.st_dev, st.st_ino)
    if key in seen:
        raise InputError(Finding(name_of(path), None, f"given twice (also as {name_of(seen[key])}): its events "
                                 "would count twice", "give each events file once"))
    seen[key] = path


def dict_records(events: Iterable[Any], source: str = "<events>") -> Records:
    """Events given as objects (from a program, a request, a database): position n is `source:n`."""
    return located_records((source, n, raw) for n, raw in enumerate(events, 1))


def located_records(records: Iterable[Record]) -> Records:
    """Events given as objects, each with the file and line it was written at (a scenario file)."""
    given = list(records)
    return lambda errors, keep_going: iter(given)


# --- one contract ------------------------------------------------------------------------------

def _stream(contract: str, given: list[Event], errors: list[Finding], keep_going: bool,
            check: bool = True) -> Stream | None:
    """The contract's events in time order; `check` what they say together (not when already checked)."""
    ordered = sorted(given, key=lambda e: (e.time, e.seq))
    problems = _contract_problems(contract, ordered) if check else []
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
    """What the events of one contract say together that cannot all be true, each at its line."""
    named = [e for e in ordered if "agreement" in e.fields]
    problems = []
    if not named or named[0] is not ordered[0]:
        first = ordered[0]
        problems.append(Finding(first.file, first.line, f"field agreement: the first event of contract "
                                f"{contract} (in time) must name its agreement",
                                "add \"agreement\": \"smacom\" (or ts-cloudphone, abphone)"))
    if not named:
        return problems
    agreement = named[0].fields["agreement"]
    by_id: dict[str, Event] = {}
    for e in ordered:
        if e.fields.get("agreement", agreement) != agreement:
            problems.append(Finding(e.file, e.line, f"field agreement: contract {contract} is under "
                                    f"{agreement} (from {named[0].where}); an event cannot switch it to "
                                    f"{e.fields['agreement']}", "give the contract another id, or fix the agreement"))
        if e.id in by_id:
            problems.append(Finding(e.file, e.line, f"field id: {quoted(e.id)} is already the id of the "
                                    f"{by_id[e.id].type} at {by_id[e.id].where} in contract {contract}",
                                    "give every event of a contract its own id"))
        elif not e.id.startswith(f"{e.type}@"):
            by_id[e.id] = e
    ended: dict[str, Event] = {}
    for e in ordered:
        problems += _reference_problems(e, contract, by_id, ended)
        problems += _citation_problems(e, contract, agreement)
    return sorted(problems, key=lambda f: (f.file, f.line or 0))


def _reference_problems(e: Event, contract: str, by_id: dict[str, Event], ended: dict[str, Event]) -> list[Finding]:
    """A reference names an earlier event of its contract, of the right type; an end ends once."""
    out = []
    for (etype, name), target in REFERENCES.items():
        if e.type != etype:
            continue
        ref = e.fields[name]
        named = by_id.get(ref)
        if named is None or named.type != target:
            what = f"; {quoted(ref)} is the id of the {named.type} at {named.where}" if named else ""
            out.append(Finding(e.file, e.line, f"field {name}: {etype} for unknown {target} {quoted(ref)} of "
                               f"contract {contract}{what}", f"record the {target} event with \"id\": {quoted(ref)} first"))
        elif e.time < named.time:
            verb = "ends" if etype in ENDS else "names"
            out.append(Finding(e.file, e.line, f"field time: {etype} at {e.time.isoformat()} is before the {target} "
                               f"it {verb} ({named.where}, {named.time.isoformat()})",
                               f"an event cannot come before the {target} it {verb}: check both times"))
        elif etype in ENDS and ref in ended:
            out.append(Finding(e.file, e.line, f"field {name}: the {target} {quoted(ref)} already ended at "
                               f"{ended[ref].where}", f"an {target} ends once: remove one of the two"))
        elif etype in ENDS:
            ended[ref] = e
    return out


def _citation_problems(e: Event, contract: str, agreement: str, terms: Terms | None = None) -> list[Finding]:
    """A provision an event cites (a ground, an obligation) is one of its contract's agreement; with
    `terms`, one that exists."""
    out = []
    for name in _fields_of_kind("citation").get(e.type, ()):
        cited = e.fields.get(name)
        if cited is None:
            continue
        if cited.split(":", 1)[0] != agreement:
            out.append(Finding(e.file, e.line, f"field {name}: {quoted(cited)} is a provision of another agreement; "
                               f"contract {contract} is under {agreement}", f"cite {agreement}'s own provision"))
        elif terms is not None and terms.provision(cited) is None:
            out.append(Finding(e.file, e.line, f"field {name}: {quoted(cited)} is no provision of {agreement}",
                               f"see `kiyaku terms list {agreement}` for the provisions' ids"))
    return out


def unresolved_citations(stream: Stream, terms: Terms) -> list[Finding]:
    """The provisions the events of `stream` cite that are not in `terms` (checked where the terms
    are at hand: by the Judge, whatever source the stream came from)."""
    citing = _fields_of_kind("citation")  # most events cite nothing: they are passed over here
    return [f for e in stream.events if citing.get(e.type)
            for f in _citation_problems(e, stream.contract, stream.agreement, terms)]
