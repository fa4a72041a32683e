"""The one thread that runs the inference engine.

durable_rules is not thread-safe, and its C code never releases the GIL, so threads could not run it
side by side anyway: the server keeps one Judge (checked terms and rules, compiled rulesets, loaded
once) on one thread of its own, and every piece of work that replays a contract is handed to that
thread and waited for. Requests still read and write the store on FastAPI's threads meanwhile.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from time import perf_counter
from typing import Callable, TypeVar

from kiyaku.replay.judge import Judge
from kiyaku.server import timing

T = TypeVar("T")


class Engine:
    def __init__(self, root: Path) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiyaku-engine")
        try:
            self.judge = self._thread.submit(Judge, root).result()
        except BaseException:
            self._thread.shutdown()
            raise

    def run(self, work: Callable[[Judge], T]) -> T:
        """`work(judge)` on the engine's thread; its result (or its exception) here."""
        asked = perf_counter()
        result, busy = self._thread.submit(self._timed, work).result()
        timing.add("engine", busy)
        timing.add("queue", perf_counter() - asked - busy)
        return result

    def _timed(self, work: Callable[[Judge], T]) -> tuple[T, float]:
        began = perf_counter()
        return work(self.judge), perf_counter() - began

    def close(self) -> None:
        self._thread.submit(self.judge.close).result()
        self._thread.shutdown()
