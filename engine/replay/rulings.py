"""From what happened to a contract to rulings: one per ground considered, in the spec's shape."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from kiyaku.replay.evaluator import Fact, Instance, Outcome, param_at
from kiyaku.rules.model import Ground
from kiyaku.terms import Terms


def iso(t: datetime) -> str:
    """ISO 8601 text of a time: remembered, since the same instants recur in many rulings and
    isoformat goes through the time zone each time."""
    return _iso(t, t.tzinfo)


@functools.lru_cache(maxsize=1 << 16)
def _iso(t: datetime, zone: Any) -> str:
    # keyed by the zone too: the same instant in another zone is equal, and is written otherwise
    return t.isoformat()


def fact_reason(fact: Fact, facts: list[Fact]) -> dict[str, Any]:
    """A fact relied on, pointing at the events it came from."""
    if fact.event is not None:
        e = fact.event
        return {"fact": e.type, "event": e.id, "time": iso(e.time), "source": e.where}
    events = _events_behind(fact, facts)
    return {"fact": fact.type, "time": iso(fact.time),
            "from_events": [{"event": e.id, "type": e.type, "source": e.where} for e in events]}


def _events_behind(fact: Fact, facts: list[Fact]) -> list[Any]:
    out, seen = [], set()
    todo = list(fact.sources)
    while todo:
        f = facts[todo.pop(0)]
        if f.event is not None and f.event.id not in seen:
            seen.add(f.event.id)
            out.append(f.event)
        todo.extend(f.sources)
    return sorted(out, key=lambda e: e.seq)


def rulings(outcome: Outcome, terms: Terms, grounds: list[Ground], lazy: bool = False) -> list[Any]:
    """One ruling per ground considered, in the order of the rule book. With `lazy`, the ruling of a
    ground never met (most of them) is left as an `Unmet`, which a writer can print without building it."""
    stream = outcome.stream
    agreement = terms.agreements[stream.agreement]
    now = (agreement.version_at(outcome.as_of.date()), iso(outcome.as_of))
    by_ground: dict[int, list[Instance]] = {}
    for i in outcome.instances:
        by_ground.setdefault(id(i.ground), []).append(i)
    out: list[Any] = []
    for g in _considered(grounds, stream.agreement, frozenset([f.type for f in outcome.facts])):
        mine = by_ground.get(id(g))
        if not mine:
            unmet = Unmet(g, agreement, now[0], stream.contract, outcome.as_of, now[1], stream.reordered)
            out.append(unmet if lazy else unmet.as_dict())
        elif g.amount:
            # Each outage, each overdue invoice is its own sum (and its own missing facts).
            groups: dict[tuple[int, ...], list[Instance]] = {}
            for i in mine:
                groups.setdefault(tuple(f.seq for f in i.facts), []).append(i)
            out.extend(_with_amount(_ruling(outcome, agreement, g, group), group[0], g, outcome, terms)
                       for group in groups.values())
        else:
            out.append(_ruling(outcome, agreement, g, mine))
    return out


# The grounds considered for a contract, in the rule book's order: those of its agreement, less those
# considered only for facts the contract does not hold. Every contract asks, most grounds are another
# agreement's, and the kinds of facts contracts hold are few. (Keyed by id, holding the list itself,
# so that an id is never taken for a later list's; the lists are few: the book's and a question's.)
_CONSIDERED: dict[tuple[int, str, frozenset[str]], tuple[list[Ground], list[Ground]]] = {}


def _considered(grounds: list[Ground], agreement: str, seen: frozenset[str]) -> list[Ground]:
    key = (id(grounds), agreement, seen)
    found = _CONSIDERED.get(key)
    if found is None or found[0] is not grounds:
        if len(_CONSIDERED) > 4096:
            _CONSIDERED.clear()
        found = _CONSIDERED[key] = (grounds, [g for g in grounds if agreement in g.agreements and not (
            g.considered_if and seen.isdisjoint(g.considered_if))])
    return found[1]


class Unmet:
    """The ruling of a ground never met, not yet built: the most common ruling of all, the same for
    every contract but for its contract and time, so a writer can print it from a template."""

    __slots__ = ("ground", "agreement", "version", "contract", "as_of", "at", "reordered")
    outcome = "not_grounds"

    def __init__(self, ground: Ground, agreement: Any, version: Any, contract: str, as_of: datetime, at: str,
                 reordered: bool) -> None:
        self.ground, self.agreement, self.version = ground, agreement, version
        self.contract, self.as_of, self.at, self.reordered = contract, as_of, at, reordered

    def as_dict(self, contract: str | None = None, at: str | None = None) -> dict[str, Any]:
        """The ruling (with another contract id or time in their places, for a template)."""
        return _assemble(contract or self.contract, self.reordered, self.agreement, self.ground, self.version,
                         self.as_of, {"outcome": "not_grounds", "at": at or self.at,
                                      "reasons": [{"not_met": self.ground.requires}], "missing": [],
                                      "missing_ja": []})

    def shape(self) -> tuple[Any, ...]:
        """What, besides the contract and the time, the ruling is made of: rulings of the same shape
        differ only in those two."""
        g = self.ground
        period = tuple(_period(g, self.agreement, self.as_of).items()) if g.period else ()
        return id(g), self.agreement.id, self.version.id if self.version else None, self.reordered, period


def _with_amount(ruling: dict[str, Any], inst: Instance, g: Ground, outcome: Outcome, terms: Terms) -> dict[str, Any]:
    if ruling["outcome"] != g.outcome:
        return ruling
    from kiyaku.replay import amounts  # the money machinery, only when a sum is to be worked out

    fact = inst.facts[[p.alias for p in g.when].index(g.amount["of"])]
    ctx = amounts.Context(terms.agreements[outcome.stream.agreement], terms, outcome.facts, outcome.as_of, outcome)
    try:
        done = amounts.compute(g.amount["compute"], fact, ctx)
    except amounts.Missing as missing:
        return ruling | {"outcome": "undetermined", "missing": [str(missing)], "missing_ja": [missing.ja]}
    return ruling | {
        "amount": done.amount,
        "arithmetic": [s.as_json() for s in done.steps],
        "citations": list(dict.fromkeys(ruling["citations"] + list(done.cites))),
        "decisions": list(dict.fromkeys(ruling.get("decisions", []) + list(done.decisions))),
    }


def _ruling(outcome: Outcome, agreement: Any, g: Ground, mine: list[Instance]) -> dict[str, Any]:
    active: list[dict[str, Any]] = []
    unknown: list[dict[str, Any]] = []
    ended: list[dict[str, Any]] = []
    outside: list[dict[str, Any]] = []
    by_status = {"active": active, "undetermined": unknown, "ended": ended, "not_in_version": outside}
    for i in mine:
        j = _judge(i, agreement, g)
        kept = by_status.get(j["status"])
        if kept is not None:
            kept.append(j)
    live = active or unknown  # the instances a ruling that applies, or may, rests on: the first one
    at = (live or ended)[0]["at"] if live or ended else outcome.as_of
    if live:
        reasons = [fact_reason(f, outcome.facts) for f in live[0]["inst"].facts]
    elif ended:
        reasons = [{"not_met": g.requires, "was_met": {
            "from": iso(j["at"]), "until": iso(j["inst"].end),
            "ended_by": fact_reason(j["inst"].ended_by, outcome.facts) if j["inst"].ended_by else None}}
            for j in ended]
    elif outside:
        reasons = [{"not_met": g.requires, "not_in_force": j["missing"]} for j in outside]
    else:
        reasons = [{"not_met": g.requires}]
    version = agreement.version_at(at.date())
    body = {
        "outcome": g.outcome if active else "undetermined" if unknown else "not_grounds",
        "at": iso(at),
        "reasons": reasons,
        "missing": [j["missing"] for j in unknown] if unknown and not active else [],
        "missing_ja": [j["missing_ja"] for j in unknown] if unknown and not active else [],
    }
    if g.cites_from and live:
        body["citations"] = _with_cited_facts(g, agreement, live[0]["inst"])
    return _assemble(outcome.stream.contract, outcome.stream.reordered, agreement, g, version, at, body)


def _with_cited_facts(g: Ground, agreement: Any, inst: Instance) -> list[str]:
    """The ground's citations and, after them, the provisions its facts name (`cites_from`: the
    obligation breached, the ground a suspension was made on), when they resolve."""
    out = list(g.cites[agreement.id])
    if len(inst.facts) == len(g.when):
        facts = {p.alias: f for p, f in zip(g.when, inst.facts)}
        for ref in g.cites_from:
            alias, field = ref.split(".", 1)
            named = facts[alias].data.get(field)
            if isinstance(named, str) and named in agreement.provisions:
                out += [ref for ref in (named, *_given_force_by(agreement, named)) if ref not in out]
    return out


def _given_force_by(agreement: Any, ref: str) -> list[str]:
    """The provisions that give `ref` (or one above it) its force: their `see_also`."""
    found = list(agreement.provisions[ref].see_also)
    for above in agreement.ancestors(ref):
        found += above.see_also
    return found


def _assemble(contract: str, reordered: bool, agreement: Any, g: Ground, version: Any, at: datetime,
              body: dict[str, Any]) -> dict[str, Any]:
    """A ruling in the spec's field order: what the ground shares, then this contract's `body`."""
    head, tail = _shared(g, agreement, version)
    ruling: dict[str, Any] = {"contract": contract}
    ruling.update(head)  # updated in place: each `|` would build a whole new dict
    ruling.update(body)
    if g.period:
        ruling["period"] = _period(g, agreement, at)
    ruling.update(tail)
    if reordered:
        ruling["input_reordered"] = True
    return ruling


# What a ground's rulings share, by ground, agreement and version: built once, not once a contract.
# (Keyed by id, holding the ground itself, so that an id is never taken for a later ground's.)
_SHARED: dict[tuple[int, str, str | None], tuple[Ground, dict[str, Any], dict[str, Any]]] = {}


def _shared(g: Ground, agreement: Any, version: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    key = (id(g), agreement.id, version.id if version else None)
    found = _SHARED.get(key)
    if found is None or found[0] is not g:
        # Before the first version in force no version is named: none applied.
        head = {"agreement": agreement.id, "version": version.effective.isoformat() if version else None,
                "version_label": version.label if version else None,
                "kind": g.kind, "ground": g.id, "outcome": None, "modality": g.modality, "at": None,
                "amount": None, "citations": list(g.cites[agreement.id]), "summary": g.summary}
        if g.term:
            head["term"] = g.term
        tail: dict[str, Any] = {}
        if g.notice:
            tail["notice"] = {k: v for k, v in g.notice.items() if k != "cites"} | (
                {"citations": list(g.notice["cites"].get(agreement.id, []))} if "cites" in g.notice else {})
        if g.decisions:
            tail["decisions"] = list(g.decisions)
        found = _SHARED[key] = (g, head, tail)
    return found[1], found[2]


def _judge(inst: Instance, agreement: Any, g: Ground) -> dict[str, Any]:
    """An instance seen through the version of the terms in force when it arose."""
    # The reasons are drawn for the one instance a ruling shows, not for every instance judged.
    base = {"status": inst.status, "at": inst.start, "missing": inst.missing, "missing_ja": inst.missing_ja,
            "inst": inst}
    day = inst.start.date()
    version = agreement.version_at(day)
    found = _unheld(agreement, version, day) if version is None or not version.has_text else \
        _in_version(g, agreement, version, inst.status == "ended")
    if found is not None:
        base.update(found)
    return base


_kept_unheld: dict[tuple[int, Any], tuple[Any, dict[str, str]]] = {}


def _unheld(agreement: Any, version: Any, day: Any) -> dict[str, str]:
    """Why no ground can be decided on a day whose terms we do not hold: worked out once per day."""
    key = (id(agreement), day)
    found = _kept_unheld.get(key)
    if found is not None and found[0] is agreement:
        return found[1]
    first = next(v for v in agreement.versions if v.has_text).effective
    if version is None:
        verdict = {"status": "undetermined", "missing": (
            f"no version of {agreement.id} was in force on {day}; the first takes effect {first}"),
            "missing_ja": f"{day} に効力を有していた {agreement.id} の約款はありません。最初の版は {first} から効力を生じます"}
    else:
        verdict = {"status": "undetermined", "missing": (
            f"the text of {agreement.id} in force on {day} ({version.label}) is not in the corpus; "
            f"the first version held takes effect {first}"), "missing_ja": (
            f"{day} に効力を有していた {agreement.id} の約款（{version.label}）の本文は収録されていません。"
            f"収録されている最初の版は {first} から効力を生じます")}
    if len(_kept_unheld) > 1 << 14:
        _kept_unheld.clear()
    _kept_unheld[key] = (agreement, verdict)
    return verdict


_kept_verdicts: dict[tuple[int, int, str, bool], tuple[Ground, dict[str, str] | None]] = {}


def _in_version(g: Ground, agreement: Any, version: Any, ended: bool) -> dict[str, str] | None:
    """What a version of the terms makes of a ground's provisions (a status and why), if anything:
    worked out once per ground and version, not once per instance."""
    key = (id(g), id(agreement), version.id, ended)
    found = _kept_verdicts.get(key)
    if found is not None and found[0] is g:
        return found[1]
    verdict = None
    for ref in g.cites[agreement.id]:
        p = agreement.provisions[ref]
        if not p.in_version(version):
            verdict = {"status": "not_in_version", "missing": f"{ref} is not in force in {version.label}"}
            break
        if not p.text_in_corpus and not ended:
            known = ", ".join(c.reference or "" for c in version.changes if c.provision == ref)
            verdict = {"status": "undetermined", "missing": (
                f"the wording of {ref} in {version.label} is not in the corpus ({known or p.summary_en.rstrip('.')}): "
                "whether this ground applies cannot be decided from the terms we hold"), "missing_ja": (
                f"{version.label} における {ref} の文言は収録されていません（{known or p.heading_ja or ref}）。"
                "収録されている約款からは、この事由に当たるかどうかを判断できません")}
    _kept_verdicts[key] = (g, verdict)
    return verdict


def _period(g: Ground, agreement: Any, at: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "until" in g.period:
        out["until"] = g.period["until"]
    if "until_ja" in g.period:
        out["until_ja"] = g.period["until_ja"]
    if "max_months" in g.period:
        value = param_at(agreement, g.period["max_months"], at.date())
        if value:
            out["max_months"] = value[1]
    return out
