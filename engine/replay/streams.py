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

import functools
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator, Sequence

import orjson
from mypy_extensions import mypyc_attr

from kiyaku.errors import Finding, InputError
from kiyaku.replay.events import (Event, Loaded, Records, Stream, _check, _citation_problems, _contract_of,
                                  _contract_problems, _given_once, _json, _looks_like_yaml, _stream, _yaml_records)
from kiyaku.textio import STDIN, Unreadable, decode, kept_file, line_starts, name_of, read_raw_lines
from kiyaku.times import read_time

if TYPE_CHECKING:
    from kiyaku.replay.bulk import Workers
    from kiyaku.terms import Terms


# Compiled (tools/compile.py), a class sent to worker processes stays a Python class: pickle rebuilds a
# frozen native class by setting its fields, which freezing forbids.
@mypyc_attr(native_class=False)
@dataclass(frozen=True, slots=True)
class Span:
    """Consecutive records of one contract in one input."""

    input: int  # which input, by its place in the list given
    start: int  # a byte offset in JSON Lines; a position in other inputs
    end: int
    line: int  # the line (or position) of the first record; the others follow it one a line
    seq: int  # the first record's place in the whole input (for ties, and "given out of order")
    count: int


@mypyc_attr(native_class=False)  # sent to workers: see Span
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

@mypyc_attr(native_class=False)  # sent to workers: see Span
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

    def scan(self, offset: int = 0, stop: int | None = None, line: int = 1) -> Iterator[tuple[int, int, int, Any]]:
        """(start, end, line, raw event) of every record, with its byte range; of a piece of the file
        only, from byte `offset` (where line `line` begins) to byte `stop`."""
        try:
            # by its absolute path, which a worker started in another folder finds too
            for n, start, data in read_raw_lines(self.path, self.name, offset, stop, line):
                if data.strip():
                    raw: Any = _plain(data)  # or any JSON at all, which the checks refuse
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
            # Each line read again passed the first pass's checks (or is skipped): the quick parser's
            # own checks need not be made again. One that orjson cannot read goes to the full reader.
            try:
                raw = orjson.loads(line)
            except orjson.JSONDecodeError:
                raw = _json(decode(line, self.name, n), self.name, n)
            yield n, raw


@mypyc_attr(native_class=False)  # sent to workers: see Span
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
    named: Iterable[str | None] = names or [None] * len(paths)
    return [_YamlFile(p, n) if _is_yaml(Path(p)) else JsonLines(p, n) for p, n in zip(paths, named)]


def _is_yaml(path: Path) -> bool:
    if path.suffix in (".yaml", ".yml"):
        return True
    try:
        return str(path) == STDIN and _looks_like_yaml(path)
    except Unreadable:
        return False  # scanning it says what is wrong


@mypyc_attr(native_class=False)  # sent to workers: see Span
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


_JSON_SPACE = b" \t\n\r"  # the white space JSON allows between tokens
_INT = 1 << 63


def _plain(data: bytes) -> dict[str, Any] | None:
    """The event on a line, by the quick parser, when the line is a plain event: one flat object of
    text, whole numbers that fit in 64 bits, true/false/null, no key given twice. Anything else
    (None) goes to the full reader, which refuses what must be refused and says why.

    No key is given twice when, white space taken out, the line holds exactly one `":` per key: every
    key that occurs is then followed by `":` and counted (a text holding `":` only adds to the count)."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if type(raw) is not dict or data.translate(None, _JSON_SPACE).count(b'":') != len(raw):
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

CHUNK = 16 << 20  # bytes of a JSON Lines file a worker checks at a time in the first pass, at most
SHARED = 4 << 20  # a file smaller than this is checked here: sending it out would cost more than it saves


class _Report:
    """Where problems go: raised at once, or (keep_going) collected."""

    def __init__(self, errors: list[Finding], keep_going: bool) -> None:
        self.errors, self.keep_going = errors, keep_going

    def __call__(self, problems: list[Finding]) -> None:
        if not self.keep_going:
            raise InputError(problems)
        self.errors.extend(problems)


def index(inputs: list[Input], errors: list[Finding], keep_going: bool = False, only: str | None = None,
          watch: Callable[..., Iterable[Any]] = lambda items, size=None: items,
          terms: Terms | None = None, workers: Workers | None = None) -> list[Located]:
    """Every contract of the inputs (or only the contract `only`), by contract id, with where its
    records lie. Problems raise InputError, or with keep_going go to `errors` (and the records
    refused are left out when the contract is read). `watch` wraps the records of each input as they
    are read, or the pieces of it (with their `size` in records): a progress bar. With `terms`, a
    provision an event cites must exist in them too (the judge checks it again, for streams from
    other sources). With `workers` that share work out, a large JSON Lines file is cut between lines
    into pieces, checked side by side: the same contracts, spans and problems as when read here."""
    found = _Found(inputs, _Report(errors, keep_going), terms)
    given: dict[Any, Path] = {}
    for number, source in enumerate(inputs):
        try:
            if hasattr(source, "given"):
                _given_once(Path(source.given), given)  # the same file twice would count its events twice
        except InputError as exc:
            found.report(exc.findings)
            continue
        pieces = _cut(number, source, workers)
        if pieces and workers is not None:
            done = workers.run(pieces, _Checking(only, keep_going, terms))
            for piece in watch(done, size=lambda piece: piece.records):
                found.add(piece.items)
                found.passed(piece.records)
                if piece.ended:
                    break  # as when read here: what follows a part that cannot be read is not read
        else:
            scanner = _Scanner(number, source, only, terms)
            found.add(scanner.items(watch(source.scan())))
            found.passed(scanner.records)
    return found.located()


@mypyc_attr(native_class=False)  # sent to workers: see Span
@dataclass(frozen=True, slots=True)
class _Run:
    """Consecutive records of one contract, as one piece of the input holds them."""

    contract: str
    spans: list[list[int]]  # input, start, end, line, seq (counted within the piece), count
    refused: list[tuple[int, int]]  # (input, line) of the records refused
    problems: list[Finding]  # what its events say together


class _Scanner:
    """The records of one input, or of one piece of it, checked one by one; a contract's run of
    consecutive records is checked as a whole as soon as it ends. Yields each record's problems (a list
    of findings) and each run, in input order; `records` counts what was read, `ended` says that the
    input could not be read on."""

    def __init__(self, number: int, source: Input, only: str | None, terms: Terms | None) -> None:
        self.number, self.source, self.only, self.terms = number, source, only, terms
        self.records, self.ended = 0, False

    def items(self, records: Iterable[tuple[int, int, int, Any]]) -> Iterator[_Run | list[Finding]]:
        run: _Run | None = None
        events: list[Event] = []
        try:
            for start, end, line, raw in records:
                seq = self.records
                self.records += 1
                problems = _check(raw, self.source.name, line)
                contract = _contract_of(raw)
                if problems:
                    yield problems
                if contract is None or (self.only is not None and contract != self.only):
                    continue
                if run is None or contract != run.contract:
                    if run is not None:
                        yield self._ended(run, events)
                    run, events = _Run(contract, [], [], []), []
                if problems:
                    run.refused.append((self.number, line))
                else:
                    events.append(_event(raw, self.source, line, seq))
                _join(run.spans, [self.number, start, end, line, seq, 1])
        except InputError as exc:
            self.ended = True
            yield exc.findings
        if run is not None:
            yield self._ended(run, events)

    def _ended(self, run: _Run, events: list[Event]) -> _Run:
        run.problems.extend(_problems(run.contract, events, self.terms))
        return run


@mypyc_attr(native_class=False)  # sent to workers: see Span
@dataclass(frozen=True, slots=True)
class _Piece:
    """Part of a JSON Lines file, cut between lines: from byte `start` (line `line`) to byte `end`."""

    number: int
    source: JsonLines
    start: int
    end: int
    line: int


@mypyc_attr(native_class=False)  # sent to workers: see Span
@dataclass(frozen=True, slots=True)
class _Checked:
    """What a worker found in a piece: its runs and problems in order (up to the first problem, unless
    keep_going), how many records it holds, whether the input could be read past it."""

    items: list[_Run | list[Finding]]
    records: int
    ended: bool


@mypyc_attr(native_class=False)  # sent to workers: see Span
@dataclass(frozen=True)
class _Checking:
    """The task of the first pass in a worker (replay/bulk.py): a piece, checked."""

    only: str | None
    keep_going: bool
    terms: Terms | None

    def __call__(self, piece: _Piece, shipped: Any) -> _Checked:
        scanner = _Scanner(piece.number, piece.source, self.only, self.terms)
        items = []
        for item in scanner.items(piece.source.scan(piece.start, piece.end, piece.line)):
            items.append(item)
            if isinstance(item, list) and not self.keep_going:
                break  # the first problem ends the command: what follows it would not be looked at
        return _Checked(items, scanner.records, scanner.ended)


def _cut(number: int, source: Input, workers: Workers | None) -> list[_Piece]:
    """A large JSON Lines file cut into pieces for `workers` to check side by side (none for an input
    read here: small, a kept standard input or pipe, or no one to share with)."""
    if workers is None or not workers.shared or not isinstance(source, JsonLines) or source.given == STDIN:
        return []
    try:
        found = os.stat(source.given)
        size = found.st_size
        if size < SHARED or not stat.S_ISREG(found.st_mode):
            return []
        count = max(4 * workers.jobs, -(-size // CHUNK))
        cuts = line_starts(source.given, source.name, [size * n // count for n in range(1, count)])
    except (OSError, Unreadable):
        return []  # reading it here says what is wrong
    bounds = [(0, 1), *cuts, (size, 0)]
    return [_Piece(number, source, a, b, line) for (a, line), (b, _) in zip(bounds, bounds[1:]) if a < b]


class _Found:
    """The index, as records, runs and problems come in input order from pieces checked here or in
    workers. A contract given in one run keeps what its run said; one given in several runs (spread over
    the input, or cut between pieces) is checked at the end, its records read again."""

    def __init__(self, inputs: list[Input], report: _Report, terms: Terms | None) -> None:
        self.inputs, self.report, self.terms = inputs, report, terms
        self.spans: dict[str, list[list[int]]] = {}
        self.refused: dict[str, set[tuple[int, int]]] = {}
        self.said: dict[str, list[Finding]] = {}  # what a contract's one run said (when it said anything)
        self.again: set[str] = set()  # contracts checked at the end
        self.records = 0  # records before the items being added (seq)

    def add(self, items: Iterable[_Run | list[Finding]]) -> None:
        """The items of one input or piece, in order (its runs' seq counted from its first record)."""
        for item in items:
            if isinstance(item, list):
                self.report(item)
                continue
            spans = self.spans.setdefault(item.contract, [])
            if spans:  # a run after another of the same contract: spread, or cut between pieces
                self.again.add(item.contract)
            elif item.problems:
                self.said[item.contract] = item.problems
            for span in item.spans:
                _join(spans, [*span[:4], span[4] + self.records, span[5]])
            self.refused.setdefault(item.contract, set()).update(item.refused)

    def passed(self, records: int) -> None:
        """The input or piece just added held this many records: the next one's seq starts after them."""
        self.records += records

    def located(self) -> list[Located]:
        found = []
        for contract in sorted(self.spans):
            where = tuple(Span(*span) for span in self.spans.pop(contract))
            refused = frozenset(self.refused.get(contract, ()))
            if contract in self.again:
                problems = _problems(contract, list(_events(self.inputs, Located(contract, where, 0, refused))),
                                     self.terms)
            else:
                problems = self.said.get(contract, [])
            if problems:
                self.report(problems)
            found.append(Located(contract, where, sum(s.count for s in where), refused,
                                 not problems and not refused))
        return found


def _join(spans: list[list[int]], span: list[int]) -> None:
    """Add records to a contract's spans: to the last span when they follow it directly."""
    last = spans[-1] if spans else None
    # (in JSON Lines, records whose bytes touch are on consecutive lines)
    if last is not None and last[0] == span[0] and last[2] == span[1] and last[4] + last[5] == span[4]:
        last[2] = span[2]
        last[5] += span[5]
    else:
        spans.append(span)


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


# read_time, remembered: the same times (days, most often) recur all through a large input
_time = functools.lru_cache(maxsize=1 << 16)(read_time)


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


@mypyc_attr(native_class=False)  # sent to workers: see Span
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
