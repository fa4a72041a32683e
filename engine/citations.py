"""Canonical citation ids: `<agreement>:<article>[.<paragraph>[.<item>[.<sub-item>]]]`."""

from __future__ import annotations

import re
from dataclasses import dataclass

ARTICLE = r"(?:\d+(?:-\d+)?|appendix-\d+|tariff-general|tariff-\d+-\d+|tariff|annex-\d+|supplementary|unnumbered-\d+)"
SEGMENT = r"(?:\d+|[A-Z]|[ア-ン]|note-\d+)"
CITATION = re.compile(rf"^(?P<agreement>[a-z][a-z0-9-]*):(?P<path>{ARTICLE}(?:\.{SEGMENT}){{0,3}})$")


@dataclass(frozen=True)
class Citation:
    agreement: str
    parts: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.agreement}:{'.'.join(self.parts)}"

    @property
    def parent(self) -> str | None:
        return Citation(self.agreement, self.parts[:-1]).id if len(self.parts) > 1 else None


def parse(text: str) -> Citation | None:
    """The citation `text` names, or None when it is not well formed."""
    m = CITATION.match(text)
    if not m:
        return None
    return Citation(m["agreement"], tuple(m["path"].split(".")))


def describe_form() -> str:
    return ("<agreement>:<article>[.<paragraph>[.<item>[.<sub-item>]]], e.g. smacom:17.1.1, "
            "abphone:11.2.F, smacom:tariff-general.11 (terms/README.md)")
