"""Each contract's stream of events, from any input, in contract-id order: two passes over the input.

The first pass (`index`) reads every record once. It validates each (events.py), notes where each
contract's records lie (`Span`s: byte ranges of a JSON Lines file, positions in a YAML file or in a
list of objects), and checks what one contract's events say together as soon as the input has
passed them: a contract given as one run of consecutive records, as grouped input is, needs only
that run in memory; a contract spread over the input is checked at the end, its records read again.
Nothing is evaluated until the first pass is done, so a bad event leaves the output empty.

The second pass (`read`) takes one contract at a time, in contract-id order, from where the first
pass found it: memory holds one contract and the index (a few numbers per run of records). A list
of `Located` contracts can be read wherever the inputs can be read: in this process, in a worker
process, on a cluster (replay/bulk.py shares them out).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator, Sequence

import orjson

from kiyaku.errors import Finding, InputError
from kiyaku.replay.events import (Event, Loaded, Records, Stream, _check, _citation_problems, _contract_of,
                                  _contract_problems, _given_once, _json, _looks_like_yaml, _stream, _yaml_records)
from kiyaku.textio import STDIN, Unreadable, decode, kept_file, name_of, read_raw_lines
from kiyaku.times import read_time

if TYPE_CHECKING:
    from kiyaku.terms import Terms


@dataclass(frozen=True, slots=True)
class Span:
    """Consecutive records of one contract in one input."""

    input: int  # which input, by its place in the list given
    start: int  # a byte offset in JSON Lines; a position in other inputs
    end: int
    line: int  # the line (or position) of the first record; the others follow it one a line
    seq: int  # the first record's place in the whole input (for ties, and "given out of order")
    count: int


@dataclass(frozen=True, slots=True)
class Located:
    """A contract and where its records lie. `skip`: records refused in the first pass (only with
    keep_going), as (input, line); `checked`: what its events say together was found sound."""

    contract: str
    spans: tuple[Span, ...]
    events: int
    skip: frozenset[tuple[int, int]] = frozenset()
    checked: bool = True


# --- inputs ------------------------------------------------------------------------------------------

class JsonLines:
    """A JSON Lines file, or standard input (`-`) or a pipe, which textio keeps on first reading so
    that it can be read again; named in messages as textio names it, or by `name`."""

    def __init__(self, path: Path | str, name: str | None = None) -> None:
        self.given = str(path)
        self.name = name or name_of(path)
        # read again by its absolute path, which a worker started elsewhere (another folder) still finds
        self.path = self.given if self.given == STDIN else os.path.abspath(path)
        self.base = Path(self.name).name
        self._file: BinaryIO | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_file": None}  # an open file does not travel to a worker

    def scan(self) -> Iterator[tuple[int, int, int, Any]]:
        """(start, end, line, raw event) of every record, with its byte range."""
        try:
            for n, start, data in read_raw_lines(self.given, self.name):
                if data.strip():
                    raw = _plain(data)
                    if raw is None:
                        text = decode(data, self.name, n)
                        if not text.strip():
                            continue
                        raw = _json(text, self.name, n)
                    yield start, start + len(data), n, raw
        except Unreadable as exc:
            raise InputError(exc.finding) from None
        self.path = kept_file(self.given) or self.path  # standard input or a pipe: what was kept of it

    def read(self, span: Span) -> Iterator[tuple[int, Any]]:
        """(line, raw event) of the records of a span, read again (the file is kept open between reads)."""
        if self._file is None:
            self._file = open(self.path, "rb")  # noqa: SIM115 - closed with the input, or when it is dropped
        self._file.seek(span.start)
        data = self._file.read(span.end - span.start)
        lines = data.split(b"\n")
        if not lines[-1]:
            lines.pop()
        for n, line in enumerate(lines, span.line):
            yield n, _plain(line) or _json(decode(line, self.name, n), self.name, n)


class Listed:
    """Records already read (a YAML file, objects from a program): positions in a list."""

    def __init__(self, name: str, records: list[tuple[int, Any]]) -> None:
        self.name = name
        self.base = Path(name).name
        self.records = records

    def scan(self) -> Iterator[tuple[int, int, int, Any]]:
        for i, (line, raw) in enumerate(self.records):
            yield i, i + 1, line, raw

    def read(self, span: Span) -> Iterator[tuple[int, Any]]:
        return iter(self.records[span.start:span.end])


Input = JsonLines | Listed


def file_inputs(paths: Iterable[Path], names: Iterable[str] | None = None) -> list[Input]:
    """Event files as inputs (named in messages by `names`, or as given): YAML files are read whole
    (they are small), JSON Lines a line at a time. Standard input is YAML when it does not begin with
    `{`, as events.py reads it."""
    paths = list(paths)
    return [_YamlFile(p, n) if _is_yaml(Path(p)) else JsonLines(p, n) for p, n in zip(paths, names or [None] * len(paths))]


def _is_yaml(path: Path) -> bool:
    if path.suffix in (".yaml", ".yml"):
        return True
    try:
        return str(path) == STDIN and _looks_like_yaml(path)
    except Unreadable:
        return False  # scanning it says what is wrong


class _YamlFile(Listed):
    def __init__(self, path: Path, name: str | None = None) -> None:
        super().__init__(name or name_of(path), [])
        self.given = str(path)

    def scan(self) -> Iterator[tuple[int, int, int, Any]]:
        try:
            self.records = _yaml_records(Path(self.given), self.name)
        except Unreadable as exc:
            raise InputError(exc.finding) from None
        return super().scan()


_SPACED_COLON = re.compile(rb'"\s+:')
_INT = 1 << 63


def _plain(data: bytes) -> dict[str, Any] | None:
    """The event on a line, by the quick parser, when the line is a plain event: one flat object of
    text, whole numbers that fit in 64 bits, true/false/null, no key given twice. Anything else
    (None) goes to the full reader, which refuses what must be refused and says why.

    No key is given twice when the line holds exactly one `":` per key and no `"` before a `:` across
    white space: every key is then followed by `":`, and each one that occurs is counted."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if type(raw) is not dict or data.count(b'":') != len(raw) or _SPACED_COLON.search(data):
        return None
    for value in raw.values():
        kind = type(value)
        if kind is int:
            if not -_INT < value < _INT:
                return None
        elif kind is not str and kind is not bool and value is not None:
            return None
    return raw


# --- the first pass -------------------------------------------------------------------------------------

class _Report:
    """Where problems go: raised at once, or (keep_going) collected."""

    def __init__(self, errors: list[Finding], keep_going: bool) -> None:
        self.errors, self.keep_going = errors, keep_going

    def __call__(self, problems: list[Finding]) -> None:
        if not self.keep_going:
            raise InputError(problems)
        self.errors.extend(problems)


def index(inputs: list[Input], errors: list[Finding], keep_going: bool = False, only: str | None = None,
          watch: Callable[[Iterator[Any]], Iterable[Any]] = lambda records: records,
          terms: Terms | None = None) -> list[Located]:
    """Every contract of the inputs (or only the contract `only`), by contract id, with where its
    records lie. Problems raise InputError, or with keep_going go to `errors` (and the records
    refused are left out when the contract is read). `watch` wraps each input's records as they are
    read (a progress bar). With `terms`, a provision an event cites must exist in them too (the
    judge checks it again, for streams from other sources)."""
    report = _Report(errors, keep_going)
    spans: dict[str, list[list[int]]] = {}  # input, start, end, line, seq, count: Spans once all are read
    skip: dict[str, set[tuple[int, int]]] = {}
    ran: set[str] = set()  # contracts whose run of records has ended
    found_in_run: dict[str, list[Finding]] = {}  # what a contract's one run said (when it said anything)
    scattered: set[str] = set()  # contracts given in more than one run: checked at the end
    run: list[Any] = [None, []]  # the contract of the current run of records, and its events
    seq = 0

    def end_run() -> None:
        contract, events = run
        if contract is None:
            return
        if contract in ran:
            found_in_run.pop(contract, None)
            scattered.add(contract)
        else:
            ran.add(contract)
            problems = _problems(contract, events, terms)
            if problems:
                found_in_run[contract] = problems

    given: dict[Any, Path] = {}
    for number, source in enumerate(inputs):
        try:
            if hasattr(source, "given"):
                _given_once(Path(source.given), given)  # the same file twice would count its events twice
            for start, end, line, raw in watch(source.scan()):
                problems = _check(raw, source.name, line)
                contract = _contract_of(raw)
                if problems:
                    report(problems)
                if contract is None or (only is not None and contract != only):
                    seq += 1
                    continue
                if problems:
                    skip.setdefault(contract, set()).add((number, line))
                _note(spans.setdefault(contract, []), number, start, end, line, seq)
                if contract != run[0]:
                    end_run()
                    run[:] = [contract, []]
                if not problems:
                    run[1].append(_event(raw, source, line, seq))
                seq += 1
        except InputError as exc:
            report(exc.findings)
    end_run()
    found = []
    for contract in sorted(spans):
        where = tuple(Span(*span) for span in spans.pop(contract))
        refused = frozenset(skip.get(contract, ()))
        if contract in scattered:
            problems = _problems(contract, list(_events(inputs, Located(contract, where, 0, refused))), terms)
        else:
            problems = found_in_run.get(contract, [])
        if problems:
            report(problems)
        found.append(Located(contract, where, sum(s.count for s in where), refused, not problems and not refused))
    return found


def _note(spans: list[list[int]], number: int, start: int, end: int, line: int, seq: int) -> None:
    """Add a record to a contract's spans: to the last one when it follows it directly."""
    last = spans[-1] if spans else None
    # (in JSON Lines, records whose bytes touch are on consecutive lines)
    if last is not None and last[0] == number and last[2] == start and last[4] + last[5] == seq:
        last[2] = end
        last[5] += 1
    else:
        spans.append([number, start, end, line, seq, 1])


def _problems(contract: str, events: list[Event], terms: Terms | None) -> list[Finding]:
    """What a contract's events say together that cannot be (and, with terms, the provisions they cite
    that the terms do not hold)."""
    if not events:
        return []
    ordered = sorted(events, key=lambda e: (e.time, e.seq))
    found = _contract_problems(contract, ordered)
    agreement = next((e.fields["agreement"] for e in ordered if "agreement" in e.fields), None)
    if terms is not None and agreement is not None:
        found += [f for e in ordered for f in _citation_problems(e, contract, agreement, terms) if f not in found]
    return found


def _event(raw: dict[str, Any], source: Input, line: int, seq: int) -> Event:
    fields = {f: v for f, v in raw.items() if f != "contract" and f != "time" and f != "type" and f != "id"}
    return Event(raw["contract"], _time(raw["time"]), raw["type"],
                 raw.get("id") or f"{raw['type']}@{source.base}:{line}", fields, source.name, line, seq)


_times: dict[str, Any] = {}


def _time(text: str) -> Any:
    """read_time, remembered: the same times (days, most often) recur all through a large input."""
    found = _times.get(text)
    if found is None:
        if len(_times) > 1 << 16:
            _times.clear()
        found = _times[text] = read_time(text)
    return found


# --- the second pass ------------------------------------------------------------------------------------

def _events(inputs: Sequence[Input], located: Located) -> Iterator[Event]:
    for span in located.spans:
        source = inputs[span.input]
        for n, (line, raw) in enumerate(source.read(span)):
            if (span.input, line) not in located.skip:
                yield _event(raw, source, line, span.seq + n)


def read(inputs: Sequence[Input], located: Located) -> Stream | None:
    """A contract's stream, read again from where the first pass found it (None when none of its
    events could be kept)."""
    events = list(_events(inputs, located))
    if not events:
        return None
    return _stream(located.contract, events, [], True, check=not located.checked)


@dataclass(frozen=True)
class Files:
    """Inputs as a source a worker can read contracts from again (replay/bulk.py's parts): each
    contract from where the first pass found it."""

    inputs: tuple[Input, ...]

    def streams(self, contracts: Sequence[Located], errors: list[Finding], keep_going: bool) -> Iterator[Stream]:
        for located in contracts:
            stream = read(self.inputs, located)
            if stream is not None:
                yield stream


def streams(paths: list[Path], errors: list[Finding], keep_going: bool = False,
            only: str | None = None) -> Iterator[Stream]:
    """Each contract's stream in event files, in contract-id order (see `index`)."""
    return streams_in(file_inputs(paths), errors, keep_going, only)


def streams_in(inputs: list[Input], errors: list[Finding], keep_going: bool = False,
               only: str | None = None) -> Iterator[Stream]:
    for located in index(inputs, errors, keep_going, only):
        stream = read(inputs, located)
        if stream is not None:
            yield stream


def streams_of(records: Records, errors: list[Finding], keep_going: bool = False) -> Iterator[Stream]:
    """Each contract's stream in records given by a program, in contract-id order."""
    found: dict[str, list[tuple[int, Any]]] = {}
    for source, line, raw in records(errors, keep_going):
        found.setdefault(source, []).append((line, raw))
    return streams_in([Listed(name, given) for name, given in found.items()], errors, keep_going)


def load(paths: list[Path], keep_going: bool = False) -> Loaded:
    """Every contract's stream at once, by contract id (for callers that want them all)."""
    errors: list[Finding] = []
    found = {s.contract: s for s in streams(paths, errors, keep_going)}
    return Loaded(found, errors)


__all__ = ["Files", "Input", "JsonLines", "Listed", "Located", "Span", "file_inputs", "index", "load", "read", "streams",
           "streams_in", "streams_of"]
