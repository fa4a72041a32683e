"""The answer to a support agent's question, as typed objects with one JSON form.

Every renderer (the terminal, `--format json`, the web page) shows this and nothing else: the
verdict, the state the contract is in, why, what was looked at and not met, what must happen first,
what is missing and how to record it, the clauses, the amount and its arithmetic. Texts are carried in
English and Japanese (`Text`); a renderer picks one. Nothing here decides anything: the verdict and
the state come from the rulings the engine made, and the words from rules/ and phrases.py.
The JSON form is described by engine/schemas/answer.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Text:
    """A text in English and in Japanese (None where no Japanese is written)."""

    en: str
    ja: str | None = None

    def get(self, lang: str) -> str:
        return self.ja if lang == "ja" and self.ja else self.en

    def as_json(self) -> dict[str, Any]:
        return {"en": self.en, "ja": self.ja}


@dataclass(frozen=True)
class StateItem:
    """A state the contract is in at the time asked (suspended since…, a notice owed and missing)."""

    state: str
    since: str
    citations: tuple[str, ...]
    text: Text
    detail: Text | None = None  # for a state a ruling found: that ruling's own summary

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "since": self.since, "citations": list(self.citations),
                "text": self.text.as_json(), "detail": self.detail.as_json() if self.detail else None}


@dataclass(frozen=True)
class Step:
    """One step of an amount's arithmetic."""

    label: Text
    expression: str
    value: str
    cites: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label.as_json(), "expression": self.expression, "value": self.value,
                "cites": list(self.cites)}


@dataclass(frozen=True)
class Reason:
    """A ground that holds, and what it means (the answer's "why")."""

    ground: str
    outcome: str
    modality: str
    since: str
    citations: tuple[str, ...]
    summary: Text
    consequence: Text
    amount: int | None = None
    arithmetic: tuple[Step, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"ground": self.ground, "outcome": self.outcome, "modality": self.modality, "since": self.since,
                "citations": list(self.citations), "summary": self.summary.as_json(),
                "consequence": self.consequence.as_json(), "amount": self.amount,
                "arithmetic": [s.as_json() for s in self.arithmetic]}


@dataclass(frozen=True)
class MissingFact:
    """A fact not recorded that decides a ground, and how to record it. `field`, `event` and
    `holds_if` are given when the rule names the field and the value that makes its ground hold."""

    text: Text
    field: str | None = None
    event: str | None = None
    holds_if: Any = None

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text.as_json(), "field": self.field, "event": self.event, "holds_if": self.holds_if}


@dataclass(frozen=True)
class Condition:
    """An undetermined ground: what would follow if the missing facts were recorded as it needs."""

    ground: str
    outcome: str
    modality: str
    citations: tuple[str, ...]
    consequence: Text
    missing: tuple[MissingFact, ...]

    def as_json(self) -> dict[str, Any]:
        return {"ground": self.ground, "outcome": self.outcome, "modality": self.modality,
                "citations": list(self.citations), "consequence": self.consequence.as_json(),
                "missing": [m.as_json() for m in self.missing]}


@dataclass(frozen=True)
class NotMet:
    """A ground looked at that does not hold, and what it lacks (the answer's "why not")."""

    ground: str
    citations: tuple[str, ...]
    lacks: Text
    was_met: tuple[dict[str, Any], ...] = ()  # from, until: times it held and no longer does
    not_in_force: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"ground": self.ground, "citations": list(self.citations), "lacks": self.lacks.as_json(),
                "was_met": list(self.was_met), "not_in_force": list(self.not_in_force)}


@dataclass(frozen=True)
class Requirement:
    """What must happen before the measure: a prior notice, or the period the measure may last.
    `missed_since` is set when the measure was already taken without the notice (from the state)."""

    kind: str  # notice | no_notice (none is needed, and why) | period
    text: Text
    citations: tuple[str, ...] = ()
    missed_since: str | None = None

    def plain(self) -> str:
        """One line of English, as `requires` has always held it."""
        return f"period: {self.text.en}" if self.kind == "period" else \
            self.text.en + (f" — {', '.join(self.citations)}" if self.citations else "")

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text.as_json(), "citations": list(self.citations),
                "missed_since": self.missed_since}


@dataclass(frozen=True)
class NotYet:
    """A ground time alone will meet: from when, if nothing else happens, and what holds now."""

    at: str
    ground: str
    citations: tuple[str, ...]
    consequence: Text
    lacks: Text  # what the ground needs, not yet met at the time asked
    now: tuple[Step, ...] = ()  # the arithmetic as it stands at the time asked

    def as_json(self) -> dict[str, Any]:
        return {"from": self.at, "ground": self.ground, "citations": list(self.citations),
                "consequence": self.consequence.as_json(), "lacks": self.lacks.as_json(),
                "now": [s.as_json() for s in self.now]}


@dataclass(frozen=True)
class Clause:
    """A provision cited, as in force at the time asked: its Japanese name and text, English summary."""

    citation: str
    name_ja: str
    text_ja: str | None  # None: its wording is not in the corpus
    quote_ja: str | None  # its first sentence
    summary_en: str

    def as_json(self) -> dict[str, Any]:
        return {"citation": self.citation, "name_ja": self.name_ja, "text_ja": self.text_ja,
                "quote_ja": self.quote_ja, "summary_en": self.summary_en}


@dataclass(frozen=True)
class Answer:
    question: str
    title: Text
    contract: str
    agreement: str
    version: str
    as_of: str
    verdict: str  # yes | no | undetermined
    monetary: bool
    amount: int | None = None
    state: tuple[StateItem, ...] = ()
    why: tuple[Reason, ...] = ()
    conditions: tuple[Condition, ...] = ()
    why_not: tuple[NotMet, ...] = ()
    first: tuple[Requirement, ...] = ()
    not_yet: NotYet | None = None
    missing: tuple[MissingFact, ...] = ()
    clauses: tuple[Clause, ...] = ()
    citations: tuple[str, ...] = ()
    none_recorded: tuple[str, ...] = ()  # a no with no ground looked at: the events its grounds look for
    rulings: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    def as_json(self) -> dict[str, Any]:
        """The spec's fields (answer, amount, citations, rulings, missing, not_yet, requires) and the
        rest of the model beside them."""
        out: dict[str, Any] = {"question": self.question, "contract": self.contract, "agreement": self.agreement,
                               "version": self.version, "as_of": self.as_of, "answer": self.verdict}
        if self.monetary:
            out["amount"] = self.amount
        if self.not_yet:
            out["not_yet"] = self.not_yet.as_json()
        out |= {
            "citations": list(self.citations),
            "rulings": list(self.rulings),
            "missing": [m.text.en for m in self.missing],
            "requires": [r.plain() for r in self.first if r.kind != "no_notice"],
            "title": self.title.as_json(),
            "state": [s.as_json() for s in self.state],
            "why": [r.as_json() for r in self.why],
            "conditions": [c.as_json() for c in self.conditions],
            "why_not": [n.as_json() for n in self.why_not],
            "first": [r.as_json() for r in self.first],
            "missing_facts": [m.as_json() for m in self.missing],
            "none_recorded": list(self.none_recorded),
            "clauses": [c.as_json() for c in self.clauses],
        }
        return out
