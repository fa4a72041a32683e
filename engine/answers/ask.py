"""A support agent's question ("can we suspend?") answered from the rulings of one contract.

The answer is drawn from the same rulings `kiyaku evaluate` gives, twice: as of the time asked,
and with deadlines run on into the future (no further event), which is how "not yet, from DATE"
is known — a ground that time alone will meet. It is assembled into the answer model
(answers/model.py): the verdict follows from the rulings' outcomes, the state from the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kiyaku.answers.model import Answer

if TYPE_CHECKING:
    from kiyaku.replay.events import Stream
    from kiyaku.replay.judge import Judge


@dataclass(frozen=True)
class Question:
    name: str
    kinds: tuple[str, ...]
    yes: tuple[str, ...]  # outcomes that answer yes
    monetary: bool
    en: str
    ja: str


QUESTIONS = {q.name: q for q in (
    # Every power that stops the service: 利用停止 (suspension) and 利用中止 / 提供の中止 (interruption),
    # each ruling labelled with its own term.
    Question("can-suspend", ("suspension", "interruption"), ("may_suspend", "must_suspend", "may_interrupt"), False,
             "Can we suspend the service?", "利用停止できますか"),
    Question("can-terminate", ("termination",), ("may_terminate", "must_terminate", "terminated"), False,
             "Can we terminate the contract?", "契約を解除できますか"),
    Question("can-refuse", ("acceptance",), ("may_refuse",), False,
             "Can we refuse the application?", "申込みを承諾しないことができますか"),
    Question("liability", ("liability_cap",), ("capped", "uncapped"), True,
             "Are we liable for the outage, and up to how much?", "損害賠償の責任と上限額は"),
    Question("surcharge", ("surcharge",), ("payable",), True,
             "Is a surcharge (割増金) owed, and how much?", "割増金はいくらですか"),
    Question("late-interest", ("late_interest",), ("payable",), True,
             "Is late interest (延滞利息) owed, and how much?", "延滞利息はいくらですか"),
)}

FAR = datetime(9999, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo"))


def ask(root: Path, question: str, contract: str, paths: list[Path], as_of: datetime,
        judge: Judge | None = None) -> Answer:
    """The answer model; `.as_json()` is the spec's JSON object (answer, amount, citations, rulings,
    missing, not_yet, requires) with the rest of the model beside it. A long-lived caller (a server)
    passes its own `judge`, so that a question costs the replay of one contract and nothing more."""
    return ask_stream(root, question, contract_stream(paths, contract), as_of, judge)


def ask_stream(root: Path, question: str, stream: Stream, as_of: datetime, judge: Judge | None = None) -> Answer:
    """The answer about the contract of `stream` (from files, a store, a recorded decision)."""
    from kiyaku.replay.judge import Judge

    if judge is None:
        with Judge(root) as own:
            return answer(QUESTIONS[question], own, stream, as_of)
    return answer(QUESTIONS[question], judge, stream, as_of)


def answer(q: Question, judge: Judge, stream: Stream, as_of: datetime) -> Answer:
    """The answer to `q` about one contract's stream, as of `as_of`."""
    from kiyaku.answers import build

    decision = judge.decide(stream, as_of, q.kinds)
    now = _of_kind(decision.rulings, q)
    yes = [r for r in now if r["outcome"] in q.yes]
    undetermined = [r for r in now if r["outcome"] == "undetermined"]
    # The forward replay, with deadlines run on, is needed only when nothing applies or is open now,
    # and a deadline is still to come (without one, time alone brings nothing).
    coming = [] if yes or undetermined or not decision.pending else \
        [r for r in judge.rulings(stream, as_of, FAR, q.kinds) if r["outcome"] in q.yes]
    return build.answer(q, judge, stream, as_of, decision.state, now, coming)


def contract_stream(paths: list[Path], contract: str) -> Stream:
    """The contract's events, read once for both replays."""
    from kiyaku.errors import Finding, InputError, quoted
    from kiyaku.replay.streams import streams

    found = next(streams(paths, [], only=contract), None)
    if found is None:
        raise InputError(Finding(", ".join(map(str, paths)), None, f"no events for contract {quoted(contract)}",
                                 "check --contract against the `contract` field of the events"))
    return found


def _of_kind(rulings: list[dict[str, Any]], q: Question) -> list[dict[str, Any]]:
    return [r for r in rulings if r["kind"] in q.kinds]
