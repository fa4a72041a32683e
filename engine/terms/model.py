"""The agreements as loaded from terms/: provisions, versions, parameters, tax rates."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Provision:
    id: str
    agreement: str
    label: str | None
    heading_ja: str | None
    heading_en: str | None
    chapter_ja: str | None
    text_ja: str | None
    summary_en: str
    parent: str | None
    children: tuple[str, ...]
    versions: tuple[str, ...] | None  # None: every version whose text we hold
    text_in_corpus: bool
    file: str
    line: int
    # Provisions that give this one its force (別記4 binds through 第31条第4項): a ruling citing this
    # one, or a provision below it, cites them too.
    see_also: tuple[str, ...] = ()

    def in_version(self, version: "Version") -> bool:
        if self.versions is not None:
            return version.id in self.versions
        return version.text != "not_in_corpus"


@dataclass(frozen=True)
class VersionChange:
    provision: str
    change: str
    reference: str | None
    note: str | None


@dataclass(frozen=True)
class Version:
    id: str
    effective: date
    label: str
    text: str  # corpus | derived | not_in_corpus
    derived_from: str | None
    changes: tuple[VersionChange, ...]
    reference: str | None
    note: str | None

    @property
    def has_text(self) -> bool:
        return self.text != "not_in_corpus"


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str | None
    references: tuple[str, ...]
    values: tuple[tuple[date, Any], ...]  # ascending by date
    file: str
    line: int
    for_reference: str | None = None  # kept for the record, used by no rule: why

    def at(self, when: date) -> tuple[date, Any] | None:
        """The (effective date, value) in force on `when`, or None before the first."""
        i = bisect_right([d for d, _ in self.values], when)
        return self.values[i - 1] if i else None


@dataclass
class Agreement:
    id: str
    title_ja: str
    title_en: str
    provider: str
    source: str
    governing_law: dict | None
    court: dict | None
    versions: tuple[Version, ...]
    provisions: dict[str, Provision] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    parameters: dict[str, Parameter] = field(default_factory=dict)

    @cached_property
    def effective_dates(self) -> list[date]:
        return [v.effective for v in self.versions]

    def version_at(self, when: date) -> Version | None:
        """The version in force on `when`; None before the first version."""
        i = bisect_right(self.effective_dates, when)
        return self.versions[i - 1] if i else None

    def version(self, version_id: str) -> Version:
        return next(v for v in self.versions if v.id == version_id)

    def ancestors(self, provision_id: str) -> list[Provision]:
        out = []
        parent = self.provisions[provision_id].parent
        while parent:
            out.append(self.provisions[parent])
            parent = self.provisions[parent].parent
        return list(reversed(out))

    def walk(self) -> list[Provision]:
        """Every provision in document order."""
        out: list[Provision] = []

        def visit(pid: str) -> None:
            out.append(self.provisions[pid])
            for child in self.provisions[pid].children:
                visit(child)

        for root in self.roots:
            visit(root)
        return out


@dataclass
class Terms:
    agreements: dict[str, Agreement]
    tax_rates: tuple[tuple[date, Decimal], ...]
    tax_sources: tuple[str, ...]

    def provision(self, citation: str) -> Provision | None:
        agreement = self.agreements.get(citation.split(":", 1)[0])
        return agreement.provisions.get(citation) if agreement else None

    def tax_rate(self, when: date) -> Decimal:
        """Consumption-tax rate (percent) in force on `when`."""
        i = bisect_right([d for d, _ in self.tax_rates], when)
        if not i:
            raise ValueError(f"no consumption-tax rate before {self.tax_rates[0][0]}")
        return self.tax_rates[i - 1][1]
