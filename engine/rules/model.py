"""Rules as loaded from rules/: clocks, derivations and grounds, each with its file and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A parameter's values for the rules: (effective from, as a fact time in seconds, value), ascending.
Windows = tuple[tuple[int, Any], ...]


@dataclass(frozen=True)
class Pattern:
    fact: str
    alias: str
    where: dict[str, Any]


@dataclass(frozen=True)
class Clock:
    """A deadline: when an `on` event arrives, a fact named `id` is fed in at the time `at` gives."""

    id: str
    description: str
    on: str
    at: dict[str, str]
    agreements: tuple[str, ...]
    file: str
    line: int


@dataclass(frozen=True)
class Derivation:
    """A conclusion the engine draws from facts (an invoice overdue), itself a fact for other rules."""

    id: str
    name: str
    description: str
    when: tuple[Pattern, ...]
    absent: tuple[Pattern, ...]
    keep: dict[str, str]
    agreements: tuple[str, ...]
    file: str
    line: int
    unrecorded: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ground:
    """A clause's ground: when its facts hold, it yields an outcome with a modality and citations."""

    id: str
    kind: str
    outcome: str
    modality: str
    summary: str
    requires: str
    cites: dict[str, tuple[str, ...]]
    when: tuple[Pattern, ...]
    absent: tuple[Pattern, ...]
    until: tuple[Pattern, ...]
    unknown: dict[str, str]
    period: dict[str, str]
    notice: dict[str, Any]
    decisions: tuple[str, ...]
    agreements: tuple[str, ...]
    considered_if: tuple[str, ...]
    file: str
    line: int
    amount: dict[str, str] = field(default_factory=dict)  # compute: a calculator, of: the alias it reads
    # The same texts in Japanese, in the agreement's own words: summary, requires, unknown (by field).
    ja: dict[str, Any] = field(default_factory=dict)
    # What an optional field left unrecorded means where it is not `unknown` (absent, until patterns).
    unrecorded: dict[str, str] = field(default_factory=dict)
    term: str | None = None  # the agreement's own word for the measure: 利用停止, 利用中止, 提供の中止…
    cites_from: tuple[str, ...] = ()  # alias.field of facts whose citation a met ruling cites too


@dataclass(frozen=True)
class State:
    """A state a contract can be in (suspended, an outage going on, a notice owed and missing), told
    before any advice. Either an event begins it (`since`) and a later one may end it (`until`), or
    it is a ruling found active (`rulings`: a kind and, if given, its outcomes)."""

    id: str
    summary: str
    since: str | None  # the event type that begins it; `until` patterns name it $since
    until: tuple[Pattern, ...]
    cite: str | None  # the field of the `since` event naming the provision relied on
    rulings: dict[str, Any]
    agreements: tuple[str, ...]
    file: str
    line: int
    ja: dict[str, Any] = field(default_factory=dict)


@dataclass
class RuleBook:
    clocks: list[Clock] = field(default_factory=list)
    derivations: list[Derivation] = field(default_factory=list)
    grounds: list[Ground] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    # agreement -> parameter -> its values, for where-tests that name a parameter ({param: name}).
    parameters: dict[str, dict[str, Windows]] = field(default_factory=dict)

    def for_agreement(self, agreement: str) -> "RuleBook":
        return RuleBook([c for c in self.clocks if agreement in c.agreements],
                        [d for d in self.derivations if agreement in d.agreements],
                        [g for g in self.grounds if agreement in g.agreements],
                        [s for s in self.states if agreement in s.agreements],
                        {agreement: self.parameters.get(agreement, {})})
