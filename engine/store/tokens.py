"""API tokens: who may use `kiyaku serve`, and as whom their questions are recorded.

A token is shown once, when it is made: `kiyaku_<id>_<secret>`. The store keeps its public id, its
user and role, and the SHA-256 digest of the secret (256 random bits: nothing a slow hash would
protect better). Tokens are never changed or deleted: revoking one records a revocation beside it,
and the database refuses an UPDATE or DELETE of either, as of decisions.

What each role may do is the server's to decide (kiyaku.server.auth); the store only knows the names.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import sqlalchemy as sa

from kiyaku.errors import Finding, InputError
from kiyaku.store.connect import Missing, Store
from kiyaku.store.schema import token_revocations, tokens

ROLES = ("agent", "legal", "ingest")
PREFIX = "kiyaku_"
SHAPE = re.compile(r"kiyaku_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
USER = re.compile(r"[^\x00-\x1f\x7f]{1,100}")


@dataclass(frozen=True)
class Token:
    id: str
    user: str
    role: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"id": self.id, "user": self.user, "role": self.role, "created_at": self.created_at.isoformat(),
                "created_by": self.created_by, "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def token_id(presented: str) -> str | None:
    """The public id of a token as presented, when it has a token's shape (nothing is looked up)."""
    m = SHAPE.fullmatch(presented)
    return m[1] if m else None


def create(store: Store, user: str, role: str, created_by: str) -> tuple[Token, str]:
    """A new token for `user` in `role`, and its secret form (shown once, kept nowhere)."""
    if role not in ROLES:
        raise InputError(Finding("--role", None, f"unknown role {role!r}", f"roles: {', '.join(ROLES)}"))
    if not USER.fullmatch(user):
        raise InputError(Finding("--user", None, f"{user!r} is not a user name",
                                 "1 to 100 characters, no control characters"))
    tid, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = Token(tid, user, role, datetime.now(timezone.utc), created_by)
    with store.transaction(write=True) as conn:
        conn.execute(tokens.insert(), {"id": tid, "user": user, "role": role, "secret_sha256": _digest(secret),
                                       "created_at": token.created_at, "created_by": created_by})
    return token, f"{PREFIX}{tid}_{secret}"


def verify(store: Store, presented: str) -> Token | None:
    """The token `presented` names, when its secret is right and it is not revoked; else None."""
    m = SHAPE.fullmatch(presented)
    if m is None:
        return None
    with store.transaction() as conn:
        row = conn.execute(_query().where(tokens.c.id == m[1])).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_sha256, _digest(m[2])):
        return None
    return _token(row)


def get(store: Store, tid: str) -> Token | None:
    """The token with public id `tid`, revoked or not (a signed session names its token so)."""
    with store.transaction() as conn:
        row = conn.execute(_query().where(tokens.c.id == tid)).first()
    return None if row is None else _token(row)


def listing(store: Store) -> list[Token]:
    """Every token ever made, revoked ones too, oldest first."""
    with store.transaction() as conn:
        return [_token(row) for row in conn.execute(_query().order_by(tokens.c.created_at, tokens.c.id))]


def revoke(store: Store, tid: str, revoked_by: str) -> Token:
    """Revoke token `tid`: from now on it is refused. Revoking it again is refused."""
    with store.transaction(write=True) as conn:
        row = conn.execute(_query().where(tokens.c.id == tid)).first()
        if row is None:
            raise Missing(Finding(store.name, None, f"no token {tid!r} in the store", "list them with `kiyaku token list`"))
        if row.revoked_at is not None:
            raise InputError(Finding(store.name, None, f"token {tid} was revoked already, at {row.revoked_at.isoformat()}"))
        now = datetime.now(timezone.utc)
        conn.execute(token_revocations.insert(), {"token": tid, "revoked_at": now, "revoked_by": revoked_by})
    return replace(_token(row), revoked_at=now)


def _query() -> sa.Select:
    return sa.select(tokens, token_revocations.c.revoked_at).outerjoin(
        token_revocations, token_revocations.c.token == tokens.c.id)


def _token(row: sa.Row) -> Token:
    return Token(row.id, row.user, row.role, _utc(row.created_at), row.created_by,
                 _utc(row.revoked_at) if row.revoked_at else None)


def _utc(when: datetime) -> datetime:
    # SQLite hands back naive times (stored in UTC); PostgreSQL aware ones.
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
