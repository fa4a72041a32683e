"""The progress bar on a terminal: drawn without a thread of its own, so that the command's worker
processes can still be forked (replay/bulk.py forks only from a process with one thread)."""

from __future__ import annotations

import io
import sys
import threading

import pytest

from kiyaku.cli.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_on_a_terminal_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    before = set(threading.enumerate())
    seen = []
    for item in progress(range(3), desc="checking", unit="event"):
        seen.append(item)
        assert set(threading.enumerate()) == before
    assert seen == [0, 1, 2]
