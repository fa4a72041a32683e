"""Every failure as one thing a client can read: an RFC 9457 problem (application/problem+json for the
API, an HTML page for the agent's page), with the offending field or event named, never a stack trace.

kiyaku's own errors map onto HTTP statuses by family: a bad input 422, a thing not in the store 404,
a store that cannot be used 503 (try again later), broken terms or rules 500.
"""

from __future__ import annotations

from typing import Any

from kiyaku.errors import DefinitionError, Finding, KiyakuError
from kiyaku.server.auth import WHO_MAY, Principal
from kiyaku.store.connect import Missing, StoreFailure

INLINE = "events"  # the source name of events given in a request body: event n is events:n


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str | None = None, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or []
        self.headers = headers or {}

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "about:blank", "title": self.title, "status": self.status}
        if self.detail:
            out["detail"] = self.detail
        if self.errors:
            out["errors"] = self.errors
        return out


def of_error(exc: KiyakuError) -> Problem:
    if isinstance(exc, StoreFailure):
        # The store's name (a file, or a URL without its password) stays in the server's log.
        return Problem(503, "The case store is unavailable", "; ".join(f.message + (f" ({f.hint})" if f.hint else "")
                                                                      for f in exc.findings),
                       headers={"Retry-After": "5"})
    if isinstance(exc, Missing):
        return Problem(404, "Not found", "; ".join(f.message for f in exc.findings))
    if isinstance(exc, DefinitionError):
        return Problem(500, "The terms or rules are broken", "; ".join(str(f) for f in exc.findings))
    return Problem(422, "The input is not valid", "; ".join(_said(f) for f in exc.findings),
                   [finding(f) for f in exc.findings])


def finding(f: Finding) -> dict[str, Any]:
    """A located finding as a problem's error: an event given in the request by its JSON pointer."""
    out: dict[str, Any] = {"message": f.message}
    if f.file == INLINE and f.line:
        out["pointer"] = f"/events/{f.line - 1}"
        out["event"] = f.line
    elif f.line:
        out["source"], out["line"] = f.file, f.line
    else:
        out["field"] = f.file
    if f.hint:
        out["hint"] = f.hint
    return out


def _said(f: Finding) -> str:
    return f"event {f.line}: {f.message}" if f.file == INLINE and f.line else str(f)


def forbidden(who: Principal, right: str) -> Problem:
    return Problem(403, f"A token of role {who.role} may not do this",
                   f"it needs a token of role {' or '.join(WHO_MAY[right])}")


def invalid(field: str, message: str, hint: str | None = None) -> Problem:
    """A request field that is not valid, named as pydantic names fields (body.at, query.at, path.id)."""
    error = {"field": field, "message": message} | ({"hint": hint} if hint else {})
    return Problem(422, "The input is not valid", f"{field}: {message}", [error])
