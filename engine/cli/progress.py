"""Progress on standard error for work longer than a couple of seconds, only when standard error is
a terminal: a pipe, a file or CI sees nothing (tqdm draws the bar; `delay` keeps short runs silent)."""

from __future__ import annotations

import sys
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], *, desc: str, unit: str, total: int | None = None,
             size: Callable[[T], int] | None = None) -> Iterator[T]:
    """`items`, with a bar on a terminal's standard error once they take more than two seconds. With
    `size`, an item counts for that many units (a part of the input for the contracts in it)."""
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    # The bar draws with control characters, which the command's guarded stderr would show escaped.
    raw = getattr(sys.stderr, "stream", sys.stderr)
    # No monitor thread: worker processes are forked only from a process with one thread (replay/bulk.py).
    tqdm.monitor_interval = 0
    with tqdm(None if size else items, desc=desc, unit=f" {unit}", total=total, file=raw, leave=False,
              delay=2.0, dynamic_ncols=True) as bar:
        if size is None:
            yield from bar
            return
        for item in items:
            yield item
            bar.update(size(item))
