"""kiyaku evaluate: event streams in, rulings out."""

from __future__ import annotations

import shutil
import sys
import tempfile
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import click

from kiyaku.cli.common import db_option, parse_at, repo_root, reported, root_option, store_name

if TYPE_CHECKING:
    from kiyaku.replay.judge import Source


@click.command("evaluate")
@click.argument("events", nargs=-1, type=click.Path(path_type=Path))
@click.option("--at", "at", default=None, help="Evaluate as of this time (ISO 8601, Asia/Tokyo unless an offset is given; default: each contract's last event).")
@click.option("--contract", default=None, help="Only this contract.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl"]), default="table", show_default=True)
@click.option("--keep-going", is_flag=True, help="Report every bad event and evaluate the rest.")
@db_option
@root_option
def command(events: tuple[Path, ...], at: str | None, contract: str | None, fmt: str, keep_going: bool,
            db: str | None, root: Path | None) -> None:
    """Replay contract event streams through the rules and print rulings with citations.

    The events come from EVENTS files, or without them from the case store (--db, $KIYAKU_DB, or
    kiyaku.db here), one contract at a time in contract id order.

    \b
    Example:
      kiyaku evaluate examples/ts-cloudphone/unpaid-after-demand.jsonl
      kiyaku evaluate examples/*/*.jsonl --at 2025-07-01 --format json
      kiyaku evaluate --db kiyaku.db --contract SC-2001
    """
    from kiyaku.replay.judge import Result, each_contract
    from kiyaku.answers.table import write

    if events and db:
        raise click.UsageError("give EVENTS files or --db, not both")
    when = parse_at(at)
    result = Result([])
    # Output is spooled and only printed once every contract is done: a bad event found late
    # leaves nothing half-written on stdout.
    with tempfile.SpooledTemporaryFile(max_size=1 << 23, mode="w+", encoding="utf-8", newline="") as spool:
        with reported(), _source(events, db, contract) as source:
            chunks = each_contract(repo_root(root), list(events), result, when, contract, keep_going, source)
            write(spool, chunks, fmt, lambda: result.notes)
        for finding in result.errors:
            click.echo(str(finding), err=True)
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        spool.seek(0)
        shutil.copyfileobj(spool, sys.stdout)
    if result.errors:
        sys.exit(1)


@contextmanager
def _source(events: tuple[Path, ...], db: str | None, contract: str | None) -> Iterator[Source | None]:
    """The store's streams when no EVENTS are given (None: read the files)."""
    if events:
        yield None
        return
    from kiyaku.store import open_store
    from kiyaku.store.events import streams

    with open_store(store_name(db)) as store:
        yield partial(streams, store, contract=contract)
