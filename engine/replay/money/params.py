"""The parameters a calculator reads: one agreement's values in force on one date, with citations.

Values come from terms/<agreement>/parameters.yaml (`Params.of`) or are given directly
(`Params.from_values`), so the arithmetic can be used and tested without loading terms/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, Sequence

from kiyaku.errors import DefinitionError, Finding
from kiyaku.terms.model import Agreement


@dataclass(frozen=True)
class Cited:
    """A parameter's value, the provisions it comes from, and where it is defined."""

    value: Any
    cites: tuple[str, ...]
    file: str
    line: int | None = None


class Params:
    """The parameters of agreement `agreement` in force on `on`."""

    def __init__(self, agreement: str, on: date, entries: Mapping[str, Cited], file: str) -> None:
        self.agreement = agreement
        self.on = on
        self._entries = dict(entries)
        self._file = file

    @classmethod
    def of(cls, agreement: Agreement, on: date) -> Params:
        """The values of `agreement`'s parameters in force on `on` (those with none then are left out)."""
        entries = {}
        for name, p in agreement.parameters.items():
            found = p.at(on)
            if found is not None:
                entries[name] = Cited(found[1], p.references, p.file, p.line)
        return cls(agreement.id, on, entries, f"terms/{agreement.id}/parameters.yaml")

    @classmethod
    def from_values(cls, agreement: str, on: date,
                    values: Mapping[str, tuple[Any, str | Sequence[str]]]) -> Params:
        """Parameters given directly: name → (value, citation or citations)."""
        return cls(agreement, on, _cited(values, "given values"), "given values")

    def with_values(self, values: Mapping[str, tuple[Any, str | Sequence[str]]]) -> Params:
        """These parameters with some added or replaced: name → (value, citation or citations)."""
        return Params(self.agreement, self.on, {**self._entries, **_cited(values, "given values")},
                      self._file)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def get(self, name: str) -> Cited:
        """The parameter `name`; DefinitionError when the agreement has no value for it then."""
        try:
            return self._entries[name]
        except KeyError:
            raise DefinitionError(Finding(
                self._file, None, f"{self.agreement} has no parameter {name} in force on {self.on}",
                f"add {name} to {self._file}, citing the provision it comes from")) from None

    def choice(self, name: str, allowed: Sequence[str]) -> Cited:
        """A parameter whose value must be one of `allowed`."""
        cited = self.get(name)
        if cited.value not in allowed:
            raise DefinitionError(Finding(
                cited.file, cited.line, f"{self.agreement} parameter {name} is {cited.value!r}",
                "the money calculators know " + ", ".join(allowed)))
        return cited


def _cited(values: Mapping[str, tuple[Any, str | Sequence[str]]], file: str) -> dict[str, Cited]:
    return {name: Cited(value, (refs,) if isinstance(refs, str) else tuple(refs), file)
            for name, (value, refs) in values.items()}
