"""What `kiyaku serve` is told: where the store is, where to listen, whom to trust, what to bound."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    db: str | None = None  # a file or URL; None: kiyaku.db in the working directory (--demo: a temporary one)
    host: str = "127.0.0.1"
    port: int = 8080
    root: Path | None = None  # the terms repository (--root); found as every command finds it
    # A header the provider's proxy sets to the signed-in user's name; None: the page signs in with tokens.
    trust_proxy_user: str | None = None
    rate: float = 20.0  # requests a second one client may make, on average (0: no limit)
    burst: int = 40  # and at once
    max_body: int = 1 << 20  # bytes a request body may hold
    secret: bytes | None = None  # signs the page's session cookie; None: a new one each start
    session_hours: float = 12.0
