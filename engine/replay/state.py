"""The state a contract is in at the time asked, as rules/ defines its states: what the provider did
and has not undone (suspended since…), what is still going on (an outage), and the rulings that say
a duty was not met or the contract ended. Decided here, so that no answer has to work it out."""

from __future__ import annotations

from typing import Any

from kiyaku.replay.evaluator import Fact, Outcome
from kiyaku.replay.rulings import fact_reason, iso
from kiyaku.rules.model import Pattern, RuleBook, State


def contract_state(outcome: Outcome, rulings: list[dict[str, Any]], book: RuleBook) -> list[dict[str, Any]]:
    """Each state that holds at the outcome's as-of time, in the order rules/ lists the states, each
    with when it began, the provisions relied on and the events it rests on."""
    agreement = outcome.stream.agreement
    out: list[dict[str, Any]] = []
    for st in book.states:
        if agreement not in st.agreements:
            continue
        if st.since:
            out.extend(_from_events(st, outcome))
        else:
            out.extend(_from_rulings(st, rulings))
    return out


def _from_events(st: State, outcome: Outcome) -> list[dict[str, Any]]:
    facts = [f for f in outcome.facts if f.time <= outcome.as_of]
    found = []
    for i, begun in enumerate(facts):
        if begun.type != st.since or any(_ends(p, begun, later) for later in facts[i + 1:] for p in st.until):
            continue
        cited = begun.data.get(st.cite) if st.cite else None
        found.append(_entry(st, iso(begun.time), [cited] if cited else [], [fact_reason(begun, outcome.facts)]))
    return found


def _ends(p: Pattern, begun: Fact, later: Fact) -> bool:
    if later.type != p.fact:
        return False
    for field, want in p.where.items():
        if isinstance(want, str) and want.startswith("$since."):
            want = begun.data.get(want.split(".", 1)[1])
        if later.data.get(field) != want:
            return False
    return True


def _from_rulings(st: State, rulings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    outcomes = st.rulings.get("outcomes")
    return [_entry(st, r["at"], list(r["citations"]), r["reasons"], ruling=r)
            for r in rulings
            if r["kind"] == st.rulings["kind"] and r["outcome"] not in ("not_grounds", "undetermined")
            and (outcomes is None or r["outcome"] in outcomes)]


def _entry(st: State, since: str, citations: list[str], reasons: list[Any],
           ruling: dict[str, Any] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"state": st.id.rsplit(".", 1)[1], "since": since, "citations": citations,
                             "summary": st.summary, "summary_ja": st.ja.get("summary"), "reasons": reasons}
    if ruling is not None:
        entry |= {"ground": ruling["ground"], "outcome": ruling["outcome"]}
    return entry
