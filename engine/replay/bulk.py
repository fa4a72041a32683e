"""Many contracts at once: the contracts of a first pass shared out in parts over worker processes or
a Dask cluster, the results brought back in contract-id order.

durable's C extension never releases the GIL, so threads give nothing and processes do. A `Part` is
a run of contracts, in id order, with the inputs to read them from; a task turns a part into a result
(rendered output, the rulings a change of terms moves) wherever the inputs can be read. Results come
back in the order of the parts, so what is written is the same, byte for byte, however many workers
there were; and only a few parts per worker are in flight at a time, so memory stays bounded
whatever the size of the input.

A part carries its source (files, by where the first pass found each contract; a store, by name)
and the contracts it reads from it, each with its number of events; anything with a
`streams(contracts, errors, keep_going)` method fits. The same `Workers` run other work given in
pieces too: the first pass over a large file (replay/streams.py) before the evaluation.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence, TypeVar

from kiyaku.errors import Finding, InputError, KiyakuError
from kiyaku.replay.events import Stream
from kiyaku.replay.streams import STDIN, Input, JsonLines

T = TypeVar("T")
W = TypeVar("W")  # a piece of work: a Part, or a piece of a file to check

PART_EVENTS = 4_000  # events a part holds at most, about: worth sending, small enough to keep a few in flight
LAST_PART_EVENTS = 250  # the least a part shrinks to toward the end of the input (30 ms or so of work)
IN_FLIGHT = 2  # parts per worker sent ahead, so that no worker waits while the next part is sent
ALONE = 20_000  # events below which one process does it all by default: starting workers would cost more
KEPT_JUDGES = 2  # judges a process keeps (both sides of a diff)


class Source(Protocol):
    def streams(self, contracts: Sequence[Any], errors: list[Finding], keep_going: bool) -> Iterator[Stream]: ...


@dataclass(frozen=True)
class Part:
    """Contracts to evaluate together (each with its `events`, a number), and where to read them."""

    source: Source
    contracts: tuple[Any, ...]

    def streams(self, errors: list[Finding], keep_going: bool = False) -> Iterator[Stream]:
        return self.source.streams(self.contracts, errors, keep_going)


def parts(source: Source, contracts: list[Any], jobs: int = 1) -> Iterator[Part]:
    """The contracts in runs of about PART_EVENTS events, in the order given; smaller for a small input,
    so that each of `jobs` workers gets several parts to do; and, shared out, smaller and smaller
    toward the end, so that no worker is left finishing a whole part while the others wait."""
    left = sum(one.events for one in contracts)
    size = min(PART_EVENTS, max(1, left // (4 * jobs)))
    batch: list[Any] = []
    events = 0
    for one in contracts:
        batch.append(one)
        events += one.events
        if events >= size:
            yield Part(source, tuple(batch))
            left -= events
            batch, events = [], 0
            if jobs > 1:
                size = min(size, max(LAST_PART_EVENTS, left // (2 * jobs)))
    if batch:
        yield Part(source, tuple(batch))


def workers(jobs: int | None, events: int | None = None) -> int:
    """How many processes to use: `jobs`; by default every core this process may run on, or one when
    the input (of `events` events) is too small to be worth sharing out."""
    if jobs is not None:
        return max(1, jobs)
    if events is not None and events < ALONE:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Workers:
    """Where the parts of a command's work run: here, in `jobs` worker processes (by default one per
    core), or on the Dask cluster whose scheduler is at `scheduler` (`tcp://host:8786`). `shipped` is
    what every task needs besides its part (checked terms and rules), sent to each worker once: a
    worker needs kiyaku installed and the inputs readable, not the terms repository. The processes (or
    the cluster's client) start when first needed and serve every later run of the command: the first
    pass over the input, then the evaluation."""

    def __init__(self, shipped: Any, jobs: int | None = None, scheduler: str | None = None) -> None:
        self.shipped, self.scheduler = shipped, scheduler
        self.jobs = workers(jobs)
        self._started: Any = None  # the process pool, or the cluster's client and what was sent to it

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def shared(self) -> bool:
        """Whether work given to `run` is shared out (not done here, one part after another)."""
        return bool(self.scheduler) or self.jobs > 1

    def run(self, work: Iterable[W], task: Callable[[W, Any], T], here: bool = False) -> Iterator[T]:
        """`task(part, shipped)` for every part, the results in the order of the parts; `here`: in this
        process, however many workers there are (a job too small to be worth sending)."""
        if self.scheduler:
            return self._on_cluster(work, task)
        if here or self.jobs <= 1:
            _for_bulk_work()
            return (task(p, self.shipped) for p in work)
        return self._in_processes(work, task)

    def close(self) -> None:
        if self._started is not None:
            started, self._started = self._started, None
            if self.scheduler:
                started[0].close()
            else:
                started.shutdown(wait=True, cancel_futures=True)

    def _in_processes(self, work: Iterable[W], task: Callable[[W, Any], T]) -> Iterator[T]:
        if self._started is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._started = ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context(_start()),
                                                initializer=_receive, initargs=(self.shipped,))
        pool, guarded = self._started, _Guarded(task)
        return _surviving(_in_order(lambda p: pool.submit(guarded, p), work, IN_FLIGHT * self.jobs))

    def _on_cluster(self, work: Iterable[W], task: Callable[[W, Any], T]) -> Iterator[T]:
        if self._started is None:
            self._started = _connect(self.scheduler, self.shipped)
        client, sent = self._started
        ahead = IN_FLIGHT * max(1, len(client.scheduler_info().get("workers", {})))
        guarded = _Guarded(task)
        return _in_order(lambda p: client.submit(guarded, p, sent, pure=False), work, ahead)


def _start() -> str:
    """How to start worker processes. Forked, a worker has kiyaku imported and the checked terms and
    rules at hand at once, where a spawned one starts an interpreter, imports kiyaku and unpickles
    them (a third of a second of the first pass's critical path, 0.88 of the time of a run on 10,000
    contracts over two). Fork only on Linux (macOS's system libraries are not safe to fork, which is
    why Python spawns there), and only from a process with no other thread: a lock another thread
    holds at the moment of forking would stay held in the worker for good. (What this process had
    not yet written, multiprocessing flushes before it forks: a worker's copy of it is empty.)"""
    return "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"


def _for_bulk_work() -> None:
    """Tune this process's garbage collector for evaluating many contracts: what is loaded by now (the
    terms and rules, modules) is never scanned again, and a collection waits for 50,000 new objects
    instead of 700. A replay makes many small objects and almost no reference cycles, so that the
    default collector spends a sixth of the time walking a contract's facts; once per process."""
    global _tuned
    if not _tuned:
        _tuned = True
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)


_tuned = False


def _connect(scheduler: str, shipped: Any) -> tuple[Any, Any]:
    """A client of the cluster, and `shipped` scattered to its workers."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(Finding("--scheduler", None, "Dask is not installed",
                                 "pip install 'kiyaku[dask]' here and on every worker")) from None
    try:
        client = Client(scheduler, timeout="30s")
    except OSError as exc:
        raise InputError(Finding("--scheduler", None, f"no Dask scheduler answers at {scheduler}: {exc}",
                                 "start one (dask scheduler) and its workers, or check the address")) from None
    try:
        return client, client.scatter(_Shipped(uuid.uuid4().hex, shipped), broadcast=True, hash=False)
    except BaseException:
        client.close()
        raise


def _in_order(submit: Callable[[W], Any], work: Iterable[W], ahead: int) -> Iterator[Any]:
    waiting: deque[Any] = deque()
    for part in work:
        waiting.append(submit(part))
        if len(waiting) >= ahead:
            yield _unwrap(waiting.popleft().result())
    while waiting:
        yield _unwrap(waiting.popleft().result())


def _surviving(results: Iterator[T]) -> Iterator[T]:
    """The results, or a located error when a worker process dies (killed, most often by the kernel
    for want of memory): the rest of the work cannot be done; what was written before stays."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield from results
    except BrokenProcessPool:
        raise InputError(Finding("--jobs", None, "a worker process ended abruptly (killed, perhaps for want of "
                                 "memory), and the command could not finish",
                                 "run it again, with fewer --jobs if memory is short")) from None


_received: list[Any] = []  # in a worker process: what the task needs besides its parts


def _receive(shipped: Any) -> None:
    _received[:] = [shipped]
    _for_bulk_work()


@dataclass(frozen=True)
class _Shipped:
    """What a cluster's tasks share, with a token of this run. A Dask worker may hand each task its own
    copy of a scattered value, and a judge is kept per object: without the token, every part built a
    new judge (and durable's rulesets with it), and a worker's memory grew with the parts it did."""

    token: str
    value: Any

    def here(self) -> Any:
        """The first copy of the value that reached this process, kept for the run's later tasks."""
        found = _arrived.get(self.token)
        if found is None:
            while len(_arrived) >= KEPT_JUDGES:  # a long-lived worker serves many runs: the oldest goes
                _arrived.pop(next(iter(_arrived)))
            found = _arrived[self.token] = self.value
        return found


_arrived: dict[str, Any] = {}


class _Guarded:
    """Runs a task in a worker and hands a domain error back as data (its findings are rebuilt on this
    side: they do not survive pickling as an exception)."""

    def __init__(self, task: Callable[[Any, Any], Any]) -> None:
        self.task = task

    def __call__(self, part: Any, shipped: Any = None) -> tuple[str, Any]:
        _for_bulk_work()  # a Dask worker's first task (a process pool's workers did it on starting)
        if isinstance(shipped, _Shipped):
            shipped = shipped.here()
        try:
            return "ok", self.task(part, shipped if shipped is not None else _received[0])
        except KiyakuError as exc:
            return type(exc).__name__, exc.findings


def _unwrap(result: tuple[str, Any]) -> Any:
    kind, value = result
    if kind == "ok":
        return value
    from kiyaku import errors

    raise getattr(errors, kind)(value)


def readable_everywhere(inputs: Iterable[Input]) -> None:
    """Inputs a cluster's workers can read: files, by their absolute paths; not standard input or a
    pipe, which only this machine kept (after the first pass, such an input reads from its copy)."""
    for i in inputs:
        if isinstance(i, JsonLines) and (i.given == STDIN or i.path != os.path.abspath(i.given)):
            raise InputError(Finding(i.name, None, "a cluster's workers cannot read what was given on standard "
                                     "input or through a pipe", "write the events to a file every worker can read, "
                                     "and name it"))


# --- in a worker ------------------------------------------------------------------------------------------

_local = threading.local()  # one judge per thread: durable is not thread-safe


def judge(definitions: tuple[Any, Any]) -> Any:
    """The judge over these checked terms and rules in this worker (built on its first task, kept for
    the next)."""
    from kiyaku.replay.judge import Judge

    kept = getattr(_local, "judges", None)
    if kept is None:
        kept = _local.judges = {}
    found = kept.get(id(definitions))
    if found is None or found[0] is not definitions:
        while len(kept) >= KEPT_JUDGES:  # the oldest goes (a long-lived process meets many definitions)
            kept.pop(next(iter(kept)))[1].close()
        found = kept[id(definitions)] = (definitions, Judge.of(*definitions))
    return found[1]


__all__ = ["Part", "Workers", "judge", "parts", "readable_everywhere", "workers"]
