"""The library call behind `kiyaku evaluate`: event files in, rulings out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from functools import partial
from typing import Any, Callable, Iterable, Iterator

from kiyaku import definitions
from kiyaku.errors import Finding
from kiyaku.replay.events import Stream, streams
from kiyaku.replay.evaluator import Evaluator
from kiyaku.replay.rulings import rulings
from kiyaku.replay.state import contract_state
from kiyaku.rules.model import Ground


@dataclass
class Decision:
    """A contract as of a time: its rulings, and the state it is in (rules/shared/state.yaml)."""

    rulings: list[dict[str, Any]]
    state: list[dict[str, Any]]
    pending: bool = False  # a deadline is still to come: a later horizon could find more

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
    result = Result([])
    for found in each_contract(root, paths, result, as_of, contract, keep_going):
        result.rulings.extend(found)
    return result


class Judge:
    """The checked terms and rules of a repository and an evaluator over them: a contract's stream
    in, its rulings out. Close it (or use `with`) to free the inference engine."""

    def __init__(self, root: Path) -> None:
        self.terms, self.book = definitions.load(root)
        self.evaluator = Evaluator(self.terms, self.book)

    def rulings(self, stream: Stream, as_of: datetime | None = None,
                horizon: datetime | None = None, kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """As of `as_of` (default: the stream's last event); with a `horizon`, deadlines after
        `as_of` come due up to it (what time alone will bring). With `kinds`, only rulings of those
        kinds are drawn (the replay is the same)."""
        outcome = self.evaluator.evaluate(stream, as_of or stream.events[-1].time, horizon)
        return rulings(outcome, self.terms, self._grounds(kinds))

    def decide(self, stream: Stream, as_of: datetime, kinds: Iterable[str] | None = None) -> Decision:
        """The rulings (of `kinds`, if given) as of `as_of`, and the state the contract is in then."""
        outcome = self.evaluator.evaluate(stream, as_of)
        wanted = None if kinds is None else set(kinds) | {s.rulings["kind"] for s in self.book.states if s.rulings}
        found = rulings(outcome, self.terms, self._grounds(wanted))
        return Decision(found, contract_state(outcome, found, self.book), outcome.pending)

    def _grounds(self, kinds: Iterable[str] | None) -> list[Ground]:
        if kinds is None:
            return self.book.grounds
        kinds = frozenset(kinds)
        return [g for g in self.book.grounds if g.kind in kinds]

    def close(self) -> None:
        self.evaluator.close()

    def __enter__(self) -> Judge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def each_contract(root: Path, paths: list[Path], result: Result, as_of: datetime | None = None,
                  contract: str | None = None, keep_going: bool = False,
                  source: Source | None = None) -> Iterator[list[dict[str, Any]]]:
    """The rulings of one contract at a time, in the order the input finishes each contract, so that
    memory holds one contract, not the whole input. Errors and notes collect in `result`. The
    streams come from `paths`, or from `source` (a store) when it is given."""
    with Judge(root) as judge:
        for stream in (source or partial(streams, paths))(result.errors, keep_going):
            if contract is not None and stream.contract != contract:
                continue
            result.notes.extend(f"contract {stream.contract}: {note}" for note in notes(stream))
            yield judge.rulings(stream, as_of)


def notes(stream: Stream) -> list[str]:
    """What a reader of a contract's rulings should know about how its input was read."""
    if stream.reordered:
        return ["events were not in time order in the input; they were ordered by time (ties keep input order)"]
    return []
