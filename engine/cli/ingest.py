"""kiyaku ingest: event files into the case store, validated, in one transaction."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiyaku.cli.common import db_option, reported, store_name

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
    """The records of the files given, standard input (`-`) among them: read by the one loader."""
    from kiyaku.replay.events import file_records

    return file_records([Path(name) for name in given])
