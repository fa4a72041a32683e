"""The library call behind `kiyaku evaluate`: events in (files, or objects from a program), rulings out.

    from kiyaku import Judge

    with Judge() as judge:
        rulings = judge.evaluate([{"contract": "C-1", "agreement": "smacom", "time": "2025-06-01",
                                   "type": "service_started"}], at="2025-07-01")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from kiyaku import definitions
from kiyaku.errors import Finding, InputError, quoted
from kiyaku.replay.events import Records, Stream, dict_records, file_records, unresolved_citations
from kiyaku.replay.evaluator import Evaluator, Outcome
from kiyaku.replay.rulings import Unmet, rulings
from kiyaku.replay.streams import streams, streams_of
from kiyaku.replay.state import contract_state
from kiyaku.rules.model import Ground
from kiyaku.textio import forget_kept
from kiyaku.times import TIME_HINT, TOKYO, read_time


@dataclass
class Decision:
    """A contract as of a time: its rulings, and the state it is in (rules/shared/state.yaml)."""

    rulings: list[dict[str, Any]]
    state: list[dict[str, Any]]
    pending: bool = False  # a deadline is still to come: a later horizon could find more


@dataclass
class Evaluated:
    """One contract's rulings, and what a writer says of the contract besides them."""

    contract: str
    agreement: str
    version_label: str | None  # of the terms in force at the as-of time (None: none was yet)
    rulings: list[dict[str, Any] | Unmet]


# Where streams come from besides files: called with the error list and keep_going.
Source = Callable[[list[Finding], bool], Iterator[Stream]]


@dataclass
class Result:
    rulings: list[dict[str, Any]]
    errors: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def evaluate(root: Path, paths: list[Path], as_of: datetime | None = None, contract: str | None = None,
             keep_going: bool = False) -> Result:
    """Rulings for every contract in `paths` (or one), as of `as_of` (default: the last event)."""
    return evaluate_records(root, file_records(paths), as_of, contract, keep_going)


def evaluate_records(root: Path, records: Records, as_of: datetime | None = None, contract: str | None = None,
                     keep_going: bool = False) -> Result:
    """As `evaluate`, for records from any source (kiyaku.replay.events)."""
    result = Result([])
    with Judge(root) as judge:
        for found in judge._each(streams_of(records, result.errors, keep_going), result, as_of, contract, keep_going):
            result.rulings.extend(found)
    return result


class Judge:
    """The checked terms and rules of a repository and an evaluator over them: events in, rulings
    out. Close it (or use `with`) to free the inference engine.

    `root` is the folder holding terms/ and rules/ (default: as the command line finds it). Bad
    events raise `kiyaku.InputError`, whose `findings` say where and what; terms or rules that do
    not check raise `kiyaku.DefinitionError`.
    """

    def __init__(self, root: Path | str | None = None) -> None:
        from kiyaku.paths import find_root

        self.root = Path(root) if root is not None else find_root().path
        self.terms, self.book = definitions.load(self.root)
        self.evaluator = Evaluator(self.terms, self.book)

    @classmethod
    def of(cls, terms: Any, book: Any) -> Judge:
        """A judge over terms and rules already checked (sent to a worker, for one)."""
        judge = cls.__new__(cls)
        judge.root, judge.terms, judge.book = None, terms, book
        judge.evaluator = Evaluator(terms, book)
        return judge

    def evaluate(self, events: Iterable[Mapping[str, Any] | str | Path], at: datetime | str | None = None,
                 contract: str | None = None) -> list[dict[str, Any]]:
        """The rulings of every contract in `events` (or of `contract` alone), as of `at` (ISO 8601
        text or an aware datetime; default: each contract's last event). `events` are event objects
        (dicts, as in docs/events.md) or paths of event files (`-`: standard input), not both."""
        given = list(events)
        when = _instant(at)
        forget_kept()  # a pipe or standard input is read afresh by each call
        result = Result([])
        for found in self._each(streams_of(_records(given), result.errors), result, when, contract, False):
            result.rulings.extend(found)
        return result.rulings

    def rulings(self, stream: Stream, as_of: datetime | None = None,
                horizon: datetime | None = None, kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """One stream's rulings as of `as_of` (default: the stream's last event); with a `horizon`,
        deadlines after `as_of` come due up to it (what time alone will bring). With `kinds`, only
        rulings of those kinds are drawn (the replay is the same)."""
        outcome = self._replay(stream, as_of or stream.events[-1].time, horizon)
        return rulings(outcome, self.terms, self._grounds(kinds))

    def evaluated(self, stream: Stream, as_of: datetime | None = None) -> Evaluated:
        """A contract's rulings for a writer, the rulings of grounds never met left unbuilt (`Unmet`)."""
        when = as_of or stream.events[-1].time
        outcome = self._replay(stream, when)
        version = self.terms.agreements[stream.agreement].version_at(when.date())
        return Evaluated(stream.contract, stream.agreement, version.label if version else None,
                         rulings(outcome, self.terms, self.book.grounds, lazy=True))

    def decide(self, stream: Stream, as_of: datetime, kinds: Iterable[str] | None = None) -> Decision:
        """The rulings (of `kinds`, if given) as of `as_of`, and the state the contract is in then."""
        outcome = self._replay(stream, as_of)
        wanted = None if kinds is None else set(kinds) | {s.rulings["kind"] for s in self.book.states if s.rulings}
        found = rulings(outcome, self.terms, self._grounds(wanted))
        return Decision(found, contract_state(outcome, found, self.book), outcome.pending)

    def _replay(self, stream: Stream, as_of: datetime, horizon: datetime | None = None) -> Outcome:
        problems = unresolved_citations(stream, self.terms)  # whatever source the stream came from
        if problems:
            raise InputError(problems)
        return self.evaluator.evaluate(stream, as_of, horizon)

    def _grounds(self, kinds: Iterable[str] | None) -> list[Ground]:
        if kinds is None:
            return self.book.grounds
        kinds = frozenset(kinds)
        return [g for g in self.book.grounds if g.kind in kinds]

    def _each(self, found: Iterator[Stream], result: Result, as_of: datetime | None, contract: str | None,
              keep_going: bool) -> Iterator[list[dict[str, Any]]]:
        seen = any_stream = False
        for stream in found:
            any_stream = True
            if contract is not None and stream.contract != contract:
                continue
            seen = True
            try:
                found_rulings = self.rulings(stream, as_of)
            except InputError as exc:
                if not keep_going:
                    raise
                result.errors.extend(exc.findings)
                continue
            result.notes.extend(f"contract {stream.contract}: {note}" for note in notes(stream))
            yield found_rulings
        if not any_stream and not result.errors:
            result.notes.append("no events in the input")
        if contract is not None and not seen:
            valid = " valid" if result.errors else ""
            missing = Finding("--contract", None, f"no{valid} events for contract {quoted(contract)} in the input",
                              "check --contract against the `contract` field of the events")
            if not keep_going:
                raise InputError(missing)
            result.errors.append(missing)

    def close(self) -> None:
        self.evaluator.close()

    def __enter__(self) -> Judge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def each_contract(root: Path, paths: list[Path], result: Result, as_of: datetime | None = None,
                  contract: str | None = None, keep_going: bool = False,
                  source: Source | None = None) -> Iterator[list[dict[str, Any]]]:
    """The rulings of one contract at a time, in contract-id order, so that memory holds one contract,
    not the whole input. Errors and notes collect in `result`. The streams come from `paths`, or from
    `source` (a store) when it is given."""
    with Judge(root) as judge:
        found = (source or partial(streams, paths, only=contract))(result.errors, keep_going)
        yield from judge._each(found, result, as_of, contract, keep_going)


def _records(given: list[Any]) -> Records:
    if all(isinstance(e, (str, Path)) for e in given) and given:
        return file_records([Path(e) for e in given])
    if any(isinstance(e, (str, Path)) for e in given):
        raise InputError(Finding("<events>", None, "events are either event objects or file paths, not both",
                                 "read the files first, or pass only paths"))
    return dict_records(given)


def _instant(at: datetime | str | None) -> datetime | None:
    """`at` as the command line reads `--at`: a datetime must say its zone; it is taken in Asia/Tokyo."""
    if at is None:
        return None
    try:
        if isinstance(at, datetime):
            if at.tzinfo is None:
                raise ValueError("a datetime without a time zone is ambiguous")
            return read_time(at.astimezone(TOKYO).replace(tzinfo=None).isoformat())
        return read_time(at)
    except ValueError as exc:
        raise InputError(Finding("at", None, str(exc), TIME_HINT)) from None


def notes(stream: Stream) -> list[str]:
    """What a reader of a contract's rulings should know about how its input was read."""
    if stream.reordered:
        return ["events were not in time order in the input; they were ordered by time (ties keep input order)"]
    return []
