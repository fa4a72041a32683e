"""Where a request's time went, sent back as a Server-Timing header (`db`, `engine`, `queue`: waiting
for the engine's thread), so that a benchmark or a browser's developer tools can read it."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from time import perf_counter
from typing import Iterator

_spent: ContextVar[dict[str, float] | None] = ContextVar("kiyaku_timing", default=None)


def start() -> dict[str, float]:
    """A fresh account for the request now starting. Threads the request's work runs on (FastAPI's
    pool) get a copy of the context, and so the same account."""
    spent: dict[str, float] = {}
    _spent.set(spent)
    return spent


def add(name: str, seconds: float) -> None:
    spent = _spent.get()
    if spent is not None:
        spent[name] = spent.get(name, 0.0) + seconds


@contextmanager
def timed(name: str) -> Iterator[None]:
    began = perf_counter()
    try:
        yield
    finally:
        add(name, perf_counter() - began)


def header(spent: dict[str, float], total: float) -> str:
    parts = [f"{name};dur={seconds * 1000:.2f}" for name, seconds in sorted(spent.items())]
    return ", ".join(parts + [f"total;dur={total * 1000:.2f}"])
