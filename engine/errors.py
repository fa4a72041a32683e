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
        tail = f" ({self.hint})" if self.hint else ""
        return f"{location(self.file, self.line)}: {self.message}{tail}"


def location(file: str, line: int | None) -> str:
    """`file:line`, or the file alone when no line applies."""
    return f"{file}:{line}" if line else file


class KiyakuError(Exception):
    """Base of every error kiyaku reports to a user."""

    def __init__(self, findings: list[Finding] | Finding) -> None:
        self.findings = findings if isinstance(findings, list) else [findings]
        super().__init__("\n".join(str(f) for f in self.findings))


class DefinitionError(KiyakuError):
    """terms/ or rules/ are wrong: the fix is in the repository's data."""


class InputError(KiyakuError):
    """Events, times or options given to a command are wrong: the fix is in the input."""


def quoted(value: object, limit: int = 60) -> str:
    """A value quoted in a message, cut short: an input value can be megabytes long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 3]}..."
