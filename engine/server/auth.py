"""Who asks, and what they may do.

API clients present a token (`Authorization: Bearer kiyaku_…`, made by `kiyaku token create`). The
page signs in with the same tokens and then carries a session cookie, signed with the server's secret,
that names the token (never its secret): the token is looked up again on every request, so revoking
it signs the page out. Behind the provider's proxy (`--trust-proxy-user HEADER`) the page takes the
user the proxy names in that header instead, as an agent.

What each role may do:

| right       | what                                                    | agent | legal | ingest |
|-------------|---------------------------------------------------------|-------|-------|--------|
| `ask`       | ask a question (POST /v1/ask, the page)                 | yes   | yes   |        |
| `read`      | contracts, their rulings and reports, the terms          | yes   | yes   |        |
| `decisions` | list and read decisions, replay one                     |       | yes   |        |
| `write`     | add events to a contract (POST /v1/contracts/{id}/events) |       |       | yes    |
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from kiyaku.store import Store, tokens

RIGHTS = {"agent": frozenset({"ask", "read"}), "legal": frozenset({"ask", "read", "decisions"}),
          "ingest": frozenset({"write"})}
WHO_MAY = {right: [role for role, rights in RIGHTS.items() if right in rights] for right in ("ask", "read", "decisions", "write")}


@dataclass(frozen=True)
class Principal:
    user: str  # recorded as asked_by in every decision they ask for
    role: str
    key: str  # what identifies this sign-in: a token id, or the proxy's user

    def may(self, right: str) -> bool:
        return right in RIGHTS[self.role]


def by_token(store: Store, presented: str) -> Principal | None:
    token = tokens.verify(store, presented)
    return None if token is None else Principal(token.user, token.role, f"token:{token.id}")


def by_proxy(user: str) -> Principal | None:
    user = user.strip()
    return Principal(user, "agent", f"proxy:{user}") if tokens.USER.fullmatch(user) else None


class Sessions:
    """The page's session: a signed cookie holding a token id and a random nonce, for so many hours."""

    COOKIE = "kiyaku_session"

    def __init__(self, secret: bytes | None, hours: float) -> None:
        self.secret = secret or secrets.token_bytes(32)
        self.seconds = int(hours * 3600)
        self._signer = URLSafeTimedSerializer(self.secret, salt="kiyaku-session")

    def cookie(self, token_id: str) -> str:
        return self._signer.dumps({"t": token_id, "n": secrets.token_hex(8)})

    def principal(self, store: Store, cookie: str | None) -> Principal | None:
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=self.seconds)
        except BadSignature:
            return None
        token = tokens.get(store, str(data.get("t")))
        if token is None or token.revoked_at is not None:
            return None
        return Principal(token.user, token.role, f"token:{token.id}:{data.get('n')}")

    def csrf(self, who: Principal) -> str:
        """The value the page's forms carry, which only this server could have made for this sign-in."""
        return hmac.new(self.secret, f"csrf:{who.key}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, who: Principal, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf(who), given)
