"""One base exception, two families: a mistake in a definition, a problem in evaluated input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One problem, located: `file:line: message (hint)`."""

    file: str
    line: int | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tail = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.message}{tail}"


class KiyakuError(Exception):
    """Base of every error kiyaku reports to a user."""

    def __init__(self, findings: list[Finding] | Finding) -> None:
        self.findings = findings if isinstance(findings, list) else [findings]
        super().__init__("\n".join(str(f) for f in self.findings))


class DefinitionError(KiyakuError):
    """terms/ or rules/ are wrong: the fix is in the repository's data."""


class InputError(KiyakuError):
    """Events, times or options given to a command are wrong: the fix is in the input."""
