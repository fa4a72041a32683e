"""Replay each contract's events, in event time, through its agreement's compiled ruleset."""

from __future__ import annotations

import calendar
import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta, time
from typing import Any, Iterator

from kiyaku.replay.events import TOKYO, Event, Stream, parse_time
from kiyaku.replay.inference import RuleEngine, Session
from kiyaku.rules.compiler import Compiled, compile_rules
from kiyaku.rules.model import Clock, Ground, RuleBook
from kiyaku.terms import Terms


@dataclass
class Fact:
    """What the session holds: an event, a clock that came due, or a conclusion drawn."""

    seq: int
    type: str
    time: datetime
    data: dict[str, Any]
    event: Event | None = None
    sources: tuple[int, ...] = ()

    def message(self) -> dict[str, Any]:
        return {"id": str(self.seq), "type": self.type, "t": int(self.time.timestamp()), **self.data}


@dataclass
class Instance:
    """One way a ground was met: the facts that met it, from when, until when."""

    ground: Ground
    facts: tuple[Fact, ...]
    start: datetime
    status: str  # active | undetermined | ended
    missing: str | None = None
    missing_ja: str | None = None
    end: datetime | None = None
    ended_by: Fact | None = None


@dataclass
class Outcome:
    """All that happened to one contract, for rulings to be drawn from."""

    stream: Stream
    as_of: datetime
    facts: list[Fact] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    pending: bool = False  # a deadline comes due after the horizon: time alone would bring more


class Evaluator:
    def __init__(self, terms: Terms, book: RuleBook) -> None:
        self.terms = terms
        self.book = book
        self.index: dict[str, dict[str, Compiled]] = {}
        # One engine per agreement, built on first use: a question about one contract needs one.
        self.engines: dict[str, RuleEngine] = {}

    def engine(self, agreement: str) -> RuleEngine:
        if agreement not in self.engines:
            rules, self.index[agreement] = compile_rules(self.book, agreement)
            self.engines[agreement] = RuleEngine({agreement: rules})
        return self.engines[agreement]

    def evaluate(self, stream: Stream, as_of: datetime, horizon: datetime | None = None) -> Outcome:
        """Replay the events up to `as_of`; deadlines come due up to `horizon` (default `as_of`).
        A later horizon shows what time alone will bring, with no further event."""
        with self.engine(stream.agreement).session(stream.agreement, stream.contract) as session:
            return _Replay(self, stream, as_of, session).run(horizon or as_of)

    def close(self) -> None:
        for engine in self.engines.values():
            engine.close()


class _Replay:
    def __init__(self, ev: Evaluator, stream: Stream, as_of: datetime, session: Session) -> None:
        self.index = ev.index[stream.agreement]
        self.clocks = [c for c in ev.book.clocks if stream.agreement in c.agreements]
        self.agreement = ev.terms.agreements[stream.agreement]
        self.out = Outcome(stream, as_of)
        self.session = session
        self.queue: list[tuple[datetime, int, str, Fact | Event]] = []
        self.paid: dict[str, int] = {}

    def run(self, horizon: datetime) -> Outcome:
        for e in self.out.stream.events:
            if e.time <= self.out.as_of:
                heapq.heappush(self.queue, (e.time, e.seq, "event", e))
        while self.queue:
            when, _, kind, item = heapq.heappop(self.queue)
            if when > horizon:
                self.out.pending = True
                break
            self._assert(self._record(self._fact(item) if kind == "event" else item))
        return self.out

    @staticmethod
    def _fact(e: Event) -> Fact:
        data = {k: v for k, v in e.fields.items() if k not in ("agreement", "note")}
        data["eid"] = e.id
        return Fact(-1, e.type, e.time, data, event=e)

    def _record(self, fact: Fact) -> Fact:
        """Number a fact by its place in the contract's history, which the session's ids point to."""
        fact.seq = len(self.out.facts)
        self.out.facts.append(fact)
        return fact

    def _assert(self, fact: Fact) -> None:
        for clock in self.clocks:
            if clock.on == fact.type:
                self._schedule(clock, fact)
        pending = [fact]
        while pending:
            current = pending.pop(0)
            for firing in self.session.assert_fact(current.message()):
                pending.extend(self._handle(firing.rule, firing.matched, current.time))
            pending.extend(self._ledger(current))

    def _ledger(self, fact: Fact) -> Iterator[Fact]:
        """Payments add up per invoice; the invoice is paid when they reach its amount."""
        if fact.type != "payment":
            return
        invoice = next(f for f in self.out.facts if f.type == "invoice" and f.data["eid"] == fact.data["invoice"])
        before = self.paid.get(fact.data["invoice"], 0)
        self.paid[fact.data["invoice"]] = before + fact.data["amount"]
        if before < invoice.data["amount"] <= before + fact.data["amount"]:
            yield self._record(Fact(-1, "invoice_paid", fact.time, {"invoice": fact.data["invoice"]},
                                    sources=(invoice.seq, fact.seq)))

    def _schedule(self, clock: Clock, fact: Fact) -> None:
        at = due_time(clock, fact, self.agreement)
        if at is None:
            version = self.agreement.version_at(fact.time.date())
            if version is not None and version.has_text:
                return
            # Terms whose text we do not hold give no number to count with: the deadline is taken as
            # come, so that the grounds it opens are judged — undetermined, by the version in force.
            at = fact.time
        name = clock.id.rsplit(".", 1)[1]
        due = Fact(-1, name, at, {"of": fact.data["eid"]}, sources=(fact.seq,))
        # A deadline due at the same instant as an event comes before it: a period ends at the start of
        # its last instant's successor (00:00 of the next day, the hour the threshold is reached), so an
        # event at that instant is outside it — a payment at 00:00 of the 11th day is not within 10 days,
        # an outage that ends when it reaches 8 hours has lasted 8 hours (「以上」).
        heapq.heappush(self.queue, (at, -10**9 + len(self.out.facts) + len(self.queue), "clock", due))

    def _handle(self, rule: str, matched: dict[str, dict], now: datetime) -> list[Fact]:
        compiled: Compiled = self.index[rule]
        facts = tuple(self.out.facts[int(m["id"])] for m in matched.values())
        # A conclusion holds from when the last of its facts is there: a deadline that had already
        # passed when the event starting it arrived is asserted at its own (earlier) time.
        now = max([now, *(f.time for f in facts)])
        if compiled.role == "derive":
            d = compiled.rule
            data = {k: _pick(v, matched) for k, v in d.keep.items()}
            return [self._record(Fact(-1, d.name, now, data, sources=tuple(f.seq for f in facts)))]
        g = compiled.rule
        key = tuple(f.seq for f in facts[: len(g.when)])
        if compiled.role == "start":
            self.out.instances.append(Instance(g, facts[: len(g.when)], now, "active"))
        elif compiled.role == "unknown":  # one instance for each fact missing (detail: a+b)
            self.out.instances.extend(Instance(g, facts[: len(g.when)], now, "undetermined", missing=g.unknown[ref],
                                               missing_ja=g.ja["unknown"].get(ref))
                                      for ref in compiled.detail.split("+"))
        elif compiled.role == "end":
            for inst in self.out.instances:
                if inst.ground is g and tuple(f.seq for f in inst.facts) == key and inst.status != "ended":
                    inst.status, inst.end, inst.ended_by = "ended", now, facts[-1]
        elif compiled.role == "resolve":  # the fact that was not recorded at all now is
            others = tuple(f.seq for f in facts[:-1])
            missing = g.unknown[compiled.detail]
            self.out.instances = [i for i in self.out.instances if not (
                i.ground is g and i.status == "undetermined" and i.missing == missing
                and tuple(f.seq for f in i.facts) == others)]
        return []


def _pick(value: str, matched: dict[str, dict]) -> Any:
    alias, field = value[1:].split(".", 1)
    return matched[alias][field]


def due_time(clock: Clock, fact: Fact, agreement: Any) -> datetime | None:
    """When a clock started by `fact` comes due, in event time."""
    at = clock.at
    named = [at[k] for k in ("days_before", "day_after", "months_of") if k in at]
    if any(name not in fact.data for name in named):
        return None  # the event does not give the date or number the clock counts from
    if "months_of" in at:  # a number of months the event itself gives (a suspension's period)
        return _add_months(fact.time, int(fact.data[at["months_of"]]))
    if "days_before" in at:  # 「N日前までに」: due at 00:00 of the first of the N whole days before the date
        value = agreement.parameters[at["days"]].at(fact.time.date())
        day = datetime.fromisoformat(fact.data[at["days_before"]]).date()
        return datetime.combine(day - timedelta(days=int(value[1])), time(), TOKYO) if value else None
    if "day_after" in at:
        day = datetime.fromisoformat(fact.data[at["day_after"]]).date() + timedelta(days=1)
        if "days" in at:  # a period of N days counted from that day has passed
            value = agreement.parameters[at["days"]].at(day)
            if not value:
                return None
            day += timedelta(days=int(value[1]))
        return datetime.combine(day, time(), TOKYO)
    start = fact.time if at.get("hours_after", at.get("months_after")) == "time" else \
        parse_time(fact.data[at.get("hours_after") or at.get("months_after")])
    if "hours" in at:
        value = agreement.parameters[at["hours"]].at(start.date())
        return start + timedelta(hours=int(value[1])) if value else None
    value = agreement.parameters[at["months"]].at(start.date())
    return _add_months(start, int(value[1])) if value else None


def _add_months(start: datetime, months: int) -> datetime:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)
