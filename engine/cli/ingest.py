"""kiyaku ingest: event files into the case store, validated, in one transaction."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiyaku.cli.common import db_option, reported, store_name

STDIN = "<stdin>"


@click.command("ingest")
@click.argument("events", nargs=-1, required=True)
@db_option
def command(events: tuple[str, ...], db: str | None) -> None:
    """Store the events of EVENTS (JSON Lines or YAML files, or - for standard input) in the case
    store. Everything is validated first, as `kiyaku evaluate` validates it, and written in one
    transaction: a bad event anywhere writes nothing. Events already stored are skipped; an event
    whose id is stored with other content is refused (corrections are new events).

    \b
    Example:
      kiyaku ingest examples/*/*.jsonl
      kiyaku ingest --db postgresql://kiyaku@db.example/kiyaku today.jsonl
      produce-events | kiyaku ingest -
    """
    from kiyaku.cli.progress import progress
    from kiyaku.store import open_store
    from kiyaku.store.events import ingest

    name = store_name(db)
    with reported():
        records = _records(list(events))
        with open_store(name, create=True) as store:
            try:
                done = ingest(store, records, watch=progress, writing=lambda plan: click.echo(
                    f"writing {plan.new} new event(s) to {store.name}…", err=True) if plan.new else None)
            except KeyboardInterrupt:
                click.echo(f"interrupted: nothing was written to {store.name}", err=True)
                sys.exit(130)
    click.echo(f"{done.new} new event(s) stored, {done.events - done.new} already there; "
               f"{done.contracts} contract(s), {done.new_contracts} new", err=True)


def _records(given: list[str]):
    """The records of the files given, and of standard input at its place among them (read once)."""
    from kiyaku.replay.events import dict_records, file_records

    if given.count("-") > 1:
        raise click.UsageError("- (standard input) can be given once")
    sources = [_stdin() if name == "-" else file_records([Path(name)]) for name in given]
    return lambda errors, keep_going: (r for source in sources for r in source(errors, keep_going))


def _stdin():
    """Standard input's JSON Lines, held in memory so that they can be read twice."""
    import json

    from kiyaku.errors import Finding, InputError
    from kiyaku.replay.events import Record

    records: list[Record] = []
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            records.append((STDIN, n, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(Finding(STDIN, n, f"not valid JSON: {exc.msg} (column {exc.colno})",
                                     "JSON Lines: one event object per line")) from None
    return lambda errors, keep_going: iter(records)
