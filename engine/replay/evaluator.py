"""Replay each contract's events, in event time, through its agreement's compiled ruleset."""

from __future__ import annotations

import calendar
import functools
import gc
import heapq
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, time
from typing import Any, Mapping, cast

from kiyaku.replay.events import TOKYO, Event, Stream
from kiyaku.replay.inference import RuleEngine, Session
from kiyaku.rules.compiler import Compiled, compile_rules
from kiyaku.rules.model import Clock, Derivation, Ground, RuleBook
from kiyaku.terms import Terms
from kiyaku.times import read_time


@dataclass(slots=True)
class Fact:
    """What the session holds: an event, a clock that came due, or a conclusion drawn."""

    seq: int
    type: str
    time: datetime
    data: dict[str, Any]
    event: Event | None = None
    sources: tuple[int, ...] = ()

    def __init__(self, seq: int, type: str, time: datetime, data: dict[str, Any], event: Event | None = None,
                 sources: tuple[int, ...] = ()) -> None:
        # written out, not generated: compiled, dataclasses' __init__ would stay Python, at twice the
        # cost (two or three are made for each event)
        self.seq, self.type, self.time, self.data, self.event, self.sources = seq, type, time, data, event, sources

    def message(self) -> dict[str, Any]:
        return {"id": str(self.seq), "type": self.type, "t": epoch(self.time), **self.data}


_epochs: dict[datetime, int] = {}


def epoch(t: datetime) -> int:
    """Whole seconds since 1970 (what rules compare times by): remembered, since the same instants
    recur from contract to contract and working it out through the time zone is slow. (In a dict:
    asked for every message, and compiled, a call through functools' cache costs more.)"""
    found = _epochs.get(t)
    if found is None:
        if len(_epochs) > 1 << 16:
            _epochs.clear()
        found = _epochs[t] = int(t.timestamp())
    return found


@dataclass(slots=True)
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

    def __init__(self, ground: Ground, facts: tuple[Fact, ...], start: datetime, status: str,
                 missing: str | None = None, missing_ja: str | None = None) -> None:
        # written out, not generated: see Fact
        self.ground, self.facts, self.start, self.status = ground, facts, start, status
        self.missing, self.missing_ja, self.end, self.ended_by = missing, missing_ja, None, None


@dataclass
class Outcome:
    """All that happened to one contract, for rulings to be drawn from."""

    stream: Stream
    as_of: datetime
    facts: list[Fact] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    pending: bool = False  # a deadline comes due after the horizon: time alone would bring more
    _by_type: dict[str, list[Fact]] | None = field(default=None, repr=False)
    _by_field: dict[tuple[str, str], dict[Any, list[Fact]]] = field(default_factory=dict, repr=False)

    def of_type(self, type_: str) -> list[Fact]:
        """The facts of one type, in the order they were recorded. The indexes are built on first use,
        after the replay: a question about one type or one invoice does not scan the whole history."""
        if self._by_type is None:
            self._by_type = {}
            for f in self.facts:
                self._by_type.setdefault(f.type, []).append(f)
        return self._by_type.get(type_, [])

    def having(self, type_: str, name: str, value: Any) -> list[Fact]:
        """The facts of one type whose field `name` is `value`, in the order they were recorded."""
        index = self._by_field.get((type_, name))
        if index is None:
            index = self._by_field[(type_, name)] = {}
            for f in self.of_type(type_):
                key = f.data.get(name)
                if isinstance(key, (str, int)):
                    index.setdefault(key, []).append(f)
        return index.get(value, []) if isinstance(value, (str, int)) else \
            [f for f in self.of_type(type_) if f.data.get(name) == value]


# How the replay itself turns one fact into another (besides clocks and derivations, which are rules):
# payments add up per invoice, and the invoice is paid when they reach its amount.
LEDGER = {"payment": "invoice_paid"}


# A replay keeps a contract's whole history alive until the contract ends, and CPython's default (a
# full collection after every 10 of the middle generation) rescans it ever more often: a quarter of
# the time of a 30,000-event contract went there. The replay leaves almost no cycles to collect.
FULL_COLLECTION_EVERY = 1000


def _collect_less_often() -> None:
    young, middle, full = gc.get_threshold()
    if full < FULL_COLLECTION_EVERY:
        gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


class Evaluator:
    def __init__(self, terms: Terms, book: RuleBook) -> None:
        _collect_less_often()
        self.terms = terms
        self.book = book
        self.index: dict[str, dict[str, Compiled]] = {}
        # One engine per agreement, built on first use: a question about one contract needs one.
        self.engines: dict[str, RuleEngine] = {}
        self._possible: dict[tuple[str, frozenset[str]], frozenset[str]] = {}
        self._clocks: dict[str, dict[str, list[Clock]]] = {}

    def engine(self, agreement: str) -> RuleEngine:
        if agreement not in self.engines:
            rules, self.index[agreement] = compile_rules(self.book, agreement)
            # the rules were compiled when the definitions were checked (rules.compiler.compile_problems):
            # durable builds only the rules each kind of contract can fire, when one first comes
            self.engines[agreement] = RuleEngine({agreement: rules}, build=False)
        return self.engines[agreement]

    def evaluate(self, stream: Stream, as_of: datetime, horizon: datetime | None = None) -> Outcome:
        """Replay the events up to `as_of`; deadlines come due up to `horizon` (default `as_of`).
        A later horizon shows what time alone will bring, with no further event."""
        engine = self.engine(stream.agreement)
        expect = {"type": self.possible(stream.agreement, frozenset(e.type for e in stream.events))}
        with engine.session(stream.agreement, stream.contract, expect) as session:
            return _Replay(self, stream, as_of, session).run(horizon or as_of)

    def clocks(self, agreement: str) -> dict[str, list[Clock]]:
        """An agreement's clocks by the type of fact that starts them (worked out once, not per contract)."""
        found = self._clocks.get(agreement)
        if found is None:
            found = self._clocks[agreement] = {}
            for c in self.book.clocks:
                if agreement in c.agreements:
                    found.setdefault(c.on, []).append(c)
        return found

    def possible(self, agreement: str, events: frozenset[str]) -> frozenset[str]:
        """Every type of fact a contract with events of these types can come to hold: its events, the
        clocks they start (and clocks started by those), what the ledger makes of them, and what
        derivations conclude from all these. The inference engine runs only the rules such facts can
        fire, and refuses any other fact, so that this list can never silently fall short."""
        key = (agreement, events)
        kept = self._possible.get(key)
        if kept is not None:
            return kept
        found = set(events) | {made for given, made in LEDGER.items() if given in events}
        grew = True
        while grew:
            before = len(found)
            found |= {c.id.rsplit(".", 1)[1] for c in self.book.clocks if agreement in c.agreements and c.on in found}
            found |= {d.name for d in self.book.derivations
                      if agreement in d.agreements and all(p.fact in found for p in d.when)}
            grew = len(found) > before
        kept = self._possible[key] = frozenset(found)
        return kept

    def close(self) -> None:
        for engine in self.engines.values():
            engine.close()


class _Replay:
    def __init__(self, ev: Evaluator, stream: Stream, as_of: datetime, session: Session) -> None:
        self.index = ev.index[stream.agreement]
        self.clocks = ev.clocks(stream.agreement)
        self.agreement = ev.terms.agreements[stream.agreement]
        self.out = Outcome(stream, as_of)
        self.session = session
        self.queue: list[tuple[datetime, int, int, Fact]] = []  # clocks not yet due
        self.paid: dict[str, int] = {}
        self.invoices: dict[str, Fact] = {}  # by event id, for the ledger
        self.open: dict[tuple[int, tuple[int, ...]], list[Instance]] = {}  # a ground's instances, by its facts

    def run(self, horizon: datetime) -> Outcome:
        # The events (in time order, ties in input order) merged with the clocks as they come due.
        # A deadline due at the same instant as an event comes before it: a period ends at the start of
        # its last instant's successor (00:00 of the next day, the hour the threshold is reached), so an
        # event at that instant is outside it — a payment at 00:00 of the 11th day is not within 10 days,
        # an outage that ends when it reaches 8 hours has lasted 8 hours (「以上」).
        events = self.out.stream.events
        as_of, queue = self.out.as_of, self.queue
        i, n = 0, len(events)
        while True:
            if i < n and events[i].time <= as_of and not (queue and queue[0][0] <= events[i].time):
                event = events[i]
                i += 1
                if event.time > horizon:
                    self.out.pending = True
                    break
                self._assert(self._record(self._fact(event)))
            elif queue:
                if queue[0][0] > horizon:
                    self.out.pending = True
                    break
                self._assert(self._record(heapq.heappop(queue)[3]))
            else:
                break
        return self.out

    @staticmethod
    def _fact(e: Event) -> Fact:
        data = {k: v for k, v in e.fields.items() if k != "agreement" and k != "note"}
        data["eid"] = e.id
        return Fact(-1, e.type, e.time, data, event=e)

    def _record(self, fact: Fact) -> Fact:
        """Number a fact by its place in the contract's history, which the session's ids point to."""
        fact.seq = len(self.out.facts)
        self.out.facts.append(fact)
        if fact.type == "invoice":
            self.invoices.setdefault(fact.data["eid"], fact)
        return fact

    def _assert(self, fact: Fact) -> None:
        clocks = self.clocks.get(fact.type)
        if clocks:
            for clock in clocks:
                self._schedule(clock, fact)
        # the session and the handler called as methods, not bound to locals: compiled, that is a
        # direct call, where a bound method goes through Python's argument parsing
        session = self.session
        pending = [fact]
        for current in pending:  # first in, first out: what a fact leads to is asserted after it, in order
            for rule, matched in session.assert_fact(current.message()):
                pending.extend(self._handle(rule, matched, current.time))
            if current.type in LEDGER:
                paid = self._ledger(current)
                if paid is not None:
                    pending.append(paid)

    def _ledger(self, fact: Fact) -> Fact | None:
        """Payments add up per invoice; the invoice is paid (the fact returned) when they reach its amount."""
        invoice = self.invoices[fact.data["invoice"]]
        before = self.paid.get(fact.data["invoice"], 0)
        self.paid[fact.data["invoice"]] = before + fact.data["amount"]
        if before < invoice.data["amount"] <= before + fact.data["amount"]:
            return self._record(Fact(-1, LEDGER[fact.type], fact.time, {"invoice": fact.data["invoice"]},
                                     sources=(invoice.seq, fact.seq)))
        return None

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
        # A deadline due at the same instant as an event comes before it (see `run`). Deadlines due at
        # the same instant come by the size of the history and queue when each was set, then in the
        # order they were set (the counter): the order main's replay has always used, kept so that no
        # ruling moves.
        heapq.heappush(self.queue, (at, len(self.out.facts) + len(self.queue), next(_ticket), due))

    def _handle(self, rule: str, matched: Mapping[str, Mapping[str, Any]], now: datetime) -> list[Fact]:
        compiled: Compiled = self.index[rule]
        recorded = self.out.facts
        facts = tuple([recorded[int(m["id"])] for m in matched.values()])
        # A conclusion holds from when the last of its facts is there: a deadline that had already
        # passed when the event starting it arrived is asserted at its own (earlier) time.
        for f in facts:
            if f.time > now:
                now = f.time
        role = compiled.role
        if role == "derive":
            d = cast(Derivation, compiled.rule)
            data = {k: _pick(v, matched) for k, v in d.keep.items()}
            return [self._record(Fact(-1, d.name, now, data, sources=tuple([f.seq for f in facts])))]
        g = cast(Ground, compiled.rule)
        when = facts[: len(g.when)]
        if role == "start":
            self._open(Instance(g, when, now, "active"))
        elif role == "unknown":  # one instance for each fact missing (detail: a+b)
            for ref in compiled.detail.split("+"):
                self._open(Instance(g, when, now, "undetermined", missing=g.unknown[ref],
                                    missing_ja=g.ja["unknown"].get(ref)))
        elif role == "end":
            for inst in self.open.get((id(g), tuple([f.seq for f in when])), ()):
                if inst.status != "ended":
                    inst.status, inst.end, inst.ended_by = "ended", now, facts[-1]
        elif role == "resolve":  # the fact that was not recorded at all now is
            missing = g.unknown[compiled.detail]
            key = (id(g), tuple(f.seq for f in facts[:-1]))
            gone = [i for i in self.open.get(key, ()) if i.status == "undetermined" and i.missing == missing]
            if gone:
                drop = {id(i) for i in gone}
                self.open[key] = [i for i in self.open[key] if id(i) not in drop]
                self.out.instances = [i for i in self.out.instances if id(i) not in drop]
        return []

    def _open(self, inst: Instance) -> None:
        self.out.instances.append(inst)
        self.open.setdefault((id(inst.ground), tuple([f.seq for f in inst.facts])), []).append(inst)


_ticket = itertools.count()


def _pick(value: str, matched: Mapping[str, Mapping[str, Any]]) -> Any:
    alias, field = value[1:].split(".", 1)
    return matched[alias][field]


def due_time(clock: Clock, fact: Fact, agreement: Any) -> datetime | None:
    """When a clock started by `fact` comes due, in event time."""
    at = clock.at
    field = at.get("day_after")
    if field is not None and at.keys() <= _DAY_AFTER and type(fact.data.get(field)) is str:
        # a day (a due date) and the terms alone say when: remembered, as every invoice starts such
        # clocks and the same due dates recur from contract to contract
        key = (id(clock), id(agreement), fact.data[field])
        found = _kept_dues.get(key)
        if found is None or found[0] is not clock or found[1] is not agreement:
            if len(_kept_dues) > 1 << 14:
                _kept_dues.clear()
            found = _kept_dues[key] = (clock, agreement, _due_time(clock, fact, agreement))
        return found[2]
    return _due_time(clock, fact, agreement)


_DAY_AFTER = frozenset({"day_after", "days"})
_kept_dues: dict[tuple[int, int, str], tuple[Clock, Any, datetime | None]] = {}


def _due_time(clock: Clock, fact: Fact, agreement: Any) -> datetime | None:
    at = clock.at
    named = [at[k] for k in ("days_before", "day_after", "months_of") if k in at]
    if any(name not in fact.data for name in named):
        return None  # the event does not give the date or number the clock counts from
    if "months_of" in at:  # a number of months the event itself gives (a suspension's period)
        return _add_months(fact.time, int(fact.data[at["months_of"]]))
    if "days_before" in at:  # 「N日前までに」: due at 00:00 of the first of the N whole days before the date
        value = param_at(agreement, at["days"], fact.time.date())
        day = _day(fact.data[at["days_before"]])
        return _midnight(day - timedelta(days=int(value[1]))) if value else None
    if "day_after" in at:
        day = _day(fact.data[at["day_after"]]) + ONE_DAY
        if "days" in at:  # a period of N days counted from that day has passed
            value = param_at(agreement, at["days"], day)
            if not value:
                return None
            day += timedelta(days=int(value[1]))
        return _midnight(day)
    counted_from = at["hours_after"] if "hours_after" in at else at["months_after"]
    start = fact.time if counted_from == "time" else read_time(fact.data[counted_from])
    if "hours" in at:
        value = param_at(agreement, at["hours"], start.date())
        return start + timedelta(hours=int(value[1])) if value else None
    value = param_at(agreement, at["months"], start.date())
    return _add_months(start, int(value[1])) if value else None


ONE_DAY = timedelta(days=1)
@functools.lru_cache(maxsize=1 << 16)
def _day(text: str) -> date:
    """The day of a date an event gives (a due date), remembered: the same dates recur from contract to
    contract, and every invoice's clocks read its due date again."""
    return datetime.fromisoformat(text).date()


@functools.lru_cache(maxsize=1 << 16)
def _midnight(day: date) -> datetime:
    """00:00 of a day in Tokyo, one object per day: a datetime keeps its hash once worked out, and
    working it out goes through the time zone (every fact's time is looked up in `epoch`)."""
    return datetime.combine(day, time(), TOKYO)


_kept_values: dict[tuple[int, str, date], tuple[Any, Any]] = {}


def param_at(agreement: Any, name: str, day: date) -> tuple[date, Any] | None:
    """A parameter's (effective date, value) in force on a day, remembered: every clock asks."""
    key = (id(agreement), name, day)
    found = _kept_values.get(key)
    if found is None or found[0] is not agreement:
        if len(_kept_values) > 1 << 14:
            _kept_values.clear()
        found = _kept_values[key] = (agreement, agreement.parameters[name].at(day))
    return found[1]


def _add_months(start: datetime, months: int) -> datetime:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)
