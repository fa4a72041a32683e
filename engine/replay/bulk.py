"""Many contracts at once: the contracts of a first pass shared out in parts over worker processes or
a Dask cluster, the results brought back in contract-id order.

durable's C extension never releases the GIL, so threads give nothing and processes do. A `Part` is
a run of contracts, in id order, with the inputs to read them from; a task turns a part into a result
(rendered output, the rulings a change of terms moves) wherever the inputs can be read. Results come
back in the order of the parts, so what is written is the same, byte for byte, however many workers
there were; and only a few parts per worker are in flight at a time, so memory stays bounded
whatever the size of the input.

Sources other than files fit the same way: a part names its contracts, and a task reads them from
whatever source the part carries (see `Part.inputs`).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from kiyaku.errors import Finding, InputError, KiyakuError
from kiyaku.replay.streams import STDIN, Input, JsonLines, Located

T = TypeVar("T")

PART_EVENTS = 4_000  # events a part holds, about: enough to make a task worth sending, small to keep in flight
IN_FLIGHT = 2  # parts per worker sent ahead, so that no worker waits while the next part is sent
ALONE = 20_000  # events below which one process does it all: starting workers would cost more


@dataclass(frozen=True)
class Part:
    """Contracts to evaluate together, and the inputs their records are read from."""

    inputs: tuple[Input, ...]
    contracts: tuple[Located, ...]


def parts(inputs: Iterable[Input], located: Iterable[Located], size: int = PART_EVENTS) -> Iterator[Part]:
    """The contracts in runs of about `size` events, in the order given."""
    inputs = tuple(inputs)
    batch: list[Located] = []
    events = 0
    for one in located:
        batch.append(one)
        events += one.events
        if events >= size:
            yield Part(inputs, tuple(batch))
            batch, events = [], 0
    if batch:
        yield Part(inputs, tuple(batch))


def workers(jobs: int | None, events: int) -> int:
    """How many processes to use: `jobs` (default: every core this process may run on), but one when
    the input is too small to be worth sharing out."""
    if jobs is None:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return 1 if events < ALONE else max(1, jobs)


def run(work: Iterable[Part], task: Callable[..., T], jobs: int = 1, scheduler: str | None = None) -> Iterator[T]:
    """`task(part)` for every part, in order: here (one job), in `jobs` worker processes, or on the
    Dask cluster whose scheduler is at `scheduler` (`tcp://host:8786`)."""
    if scheduler:
        return _on_cluster(work, task, scheduler)
    if jobs <= 1:
        return (task(p) for p in work)
    return _in_processes(work, task, jobs)


def _in_processes(work: Iterable[Part], task: Callable[..., T], jobs: int) -> Iterator[T]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: a worker starts from a clean interpreter (no inherited durable state or threads)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield from _in_order(lambda p: pool.submit(_Guarded(task), p), work, IN_FLIGHT * jobs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _on_cluster(work: Iterable[Part], task: Callable[..., T], scheduler: str) -> Iterator[T]:
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
        # What the task needs besides its part (the checked terms and rules) goes to every worker once:
        # workers need only kiyaku installed, not the terms repository.
        definitions = client.scatter(task.definitions(), broadcast=True, hash=False)
        ahead = IN_FLIGHT * max(1, len(client.scheduler_info().get("workers", {})))
        guarded = _Guarded(task)
        yield from _in_order(lambda p: client.submit(guarded, p, definitions, pure=False), work, ahead)
    finally:
        client.close()


def _in_order(submit: Callable[[Part], Any], work: Iterable[Part], ahead: int) -> Iterator[Any]:
    waiting: deque[Any] = deque()
    for part in work:
        waiting.append(submit(part))
        if len(waiting) >= ahead:
            yield _unwrap(waiting.popleft().result())
    while waiting:
        yield _unwrap(waiting.popleft().result())


class _Guarded:
    """Runs a task in a worker and hands a domain error back as data (its findings are rebuilt on this
    side: they do not survive pickling as an exception)."""

    def __init__(self, task: Callable[..., Any]) -> None:
        self.task = task

    def __call__(self, part: Part, definitions: Any = None) -> tuple[str, Any]:
        try:
            return "ok", self.task(part, definitions)
        except KiyakuError as exc:
            return type(exc).__name__, exc.findings


def _unwrap(result: tuple[str, Any]) -> Any:
    kind, value = result
    if kind == "ok":
        return value
    from kiyaku import errors

    raise getattr(errors, kind)(value)


def readable_everywhere(inputs: Iterable[Input]) -> None:
    """Inputs a cluster's workers can read: files, by their absolute paths, not standard input."""
    for i in inputs:
        if isinstance(i, JsonLines) and i.name == STDIN:
            raise InputError(Finding("<stdin>", None, "a cluster's workers cannot read this standard input",
                                     "write the events to a file every worker can read, and name it"))


# --- in a worker ------------------------------------------------------------------------------------------

_local = threading.local()  # one judge per thread: durable is not thread-safe


def judge(root: str, definitions: Any = None) -> Any:
    """The judge of this worker (built on its first task, kept for the next): over the definitions
    sent to it (terms and rules), or those of the repository at `root`."""
    from kiyaku.replay.judge import Judge

    kept = getattr(_local, "judges", None)
    if kept is None:
        kept = _local.judges = {}
    key = (root, id(definitions))
    found = kept.get(key)
    if found is None or found[0] is not definitions:
        found = kept[key] = (definitions, Judge.of(*definitions) if definitions else Judge(Path(root)))
    return found[1]


__all__ = ["Part", "judge", "parts", "readable_everywhere", "run", "workers"]
