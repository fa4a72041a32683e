"""What every request passes through before the application and every response on its way out: the
rate of one client bounded, the size of a request body bounded, and on every response kiyaku's version
and the digests of the terms and rules it answers under, a strict Content-Security-Policy, and where
the request's time went (Server-Timing).

Plain ASGI, outermost, so that even the response to an unexpected error carries the headers.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from time import monotonic, perf_counter
from typing import Any, Awaitable, Callable

import orjson
from starlette.exceptions import HTTPException

from kiyaku.server import timing
from kiyaku.store.tokens import token_id

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# The page: its own stylesheet, its own forms, no script at all, never framed.
POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
          "frame-ancestors 'none'; base-uri 'none'")
SECURITY = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"))


def report_policy(html: str) -> str:
    """A case memo's policy: its inline stylesheets, by digest, and nothing else (no script, no fetch)."""
    digests = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"
                       for css in re.findall(r"<style>(.*?)</style>", html, flags=re.S))
    return (f"default-src 'none'; style-src {digests or repr('none')}; img-src data:; "
            "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


class Buckets:
    """A token bucket per client: `rate` requests a second on average, `burst` at once."""

    MAX_CLIENTS = 10_000

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._held: dict[str, tuple[float, float]] = {}

    def take(self, client: str) -> float:
        """0 when the request may go on; else the seconds to wait for it."""
        if self.rate <= 0:
            return 0.0
        now = monotonic()
        tokens, then = self._held.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens < 1:
            self._held[client] = (tokens, now)
            return (1 - tokens) / self.rate
        if len(self._held) >= self.MAX_CLIENTS:
            self._forget(now)
        self._held[client] = (tokens - 1, now)
        return 0.0

    def _forget(self, now: float) -> None:
        """Drop the clients whose buckets have filled up again (they are as if never seen)."""
        self._held = {c: (t, then) for c, (t, then) in self._held.items()
                      if t + (now - then) * self.rate < self.burst}


class BodyTooLarge(HTTPException):
    """Raised while the application reads a body past the limit; an HTTPException so that FastAPI,
    which turns other errors met reading a body into a 400, lets it through as the 413 it is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"at most {limit} bytes; send fewer events at a time")


class Guard:
    def __init__(self, app: Callable, headers: dict[str, str], max_body: int, buckets: Buckets,
                 proxy_user: str | None) -> None:
        self.app, self.max_body, self.buckets = app, max_body, buckets
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        self.proxy_user = proxy_user.lower().encode() if proxy_user else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = perf_counter()
        spent = timing.start()
        started = False

        async def send_headed(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = self._headed(list(message.get("headers", [])), spent, perf_counter() - began)
            await send(message)

        wait = self.buckets.take(self._client(scope))
        if wait:
            await self._problem(send_headed, 429, "Too many requests", "this client's requests are limited; "
                                "wait and try again", {"retry-after": str(math.ceil(wait))})
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await self._too_large(send_headed)
            return
        try:
            await self.app(scope, self._bounded(receive), send_headed)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(send_headed)

    def _client(self, scope: Scope) -> str:
        """Whom the rate limit counts: the token presented, the user the proxy names, else the address."""
        headers = dict(scope.get("headers", []))
        scheme, _, presented = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        tid = token_id(presented.strip()) if scheme.lower() == "bearer" else None
        if tid:
            return f"token:{tid}"
        if self.proxy_user and headers.get(self.proxy_user):
            return "proxy:" + headers[self.proxy_user].decode("latin-1")
        return "address:" + (scope.get("client") or ("?", 0))[0]

    def _bounded(self, receive: Receive) -> Receive:
        read = 0

        async def bounded() -> dict[str, Any]:
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > self.max_body:
                raise BodyTooLarge(self.max_body)
            return message
        return bounded

    def _headed(self, headers: list[tuple[bytes, bytes]], spent: dict[str, float],
                total: float) -> list[tuple[bytes, bytes]]:
        names = {k.lower() for k, _ in headers}
        extra = list(self.headers) + [(k, v) for k, v in SECURITY if k not in names]
        if b"content-security-policy" not in names:
            extra.append((b"content-security-policy", POLICY.encode()))
        if b"cache-control" not in names:
            extra.append((b"cache-control", b"no-store"))
        extra.append((b"server-timing", timing.header(spent, total).encode()))
        return headers + extra

    async def _too_large(self, send: Send) -> None:
        await self._problem(send, 413, "The request body is too large",
                            f"at most {self.max_body} bytes; send fewer events at a time")

    @staticmethod
    async def _problem(send: Send, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        body = orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
            *((k.encode(), v.encode()) for k, v in (headers or {}).items())]})
        await send({"type": "http.response.body", "body": body})
