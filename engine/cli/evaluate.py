"""kiyaku evaluate: event streams in, rulings out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kiyaku.cli.common import as_of, at_option, db_option, locate, reported, root_option, stated, store_name
from kiyaku.cli.progress import progress

FORMATS = ("table", "json", "jsonl", "csv")  # what answers/table.py renders


@click.command("evaluate")
@click.argument("events", nargs=-1, type=click.Path(path_type=Path))
@at_option("Evaluate as of this time")
@click.option("--contract", default=None, help="Only this contract.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table for people; json, jsonl and csv (one row per ruling) for programs.")
@click.option("--all-grounds", is_flag=True,
              help="In the table, also the grounds that do not apply (json, jsonl and csv always hold every ground considered).")
@click.option("--keep-going", is_flag=True, help="Report every bad event and evaluate the rest.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: every core, or one for a small input). The output is the same for any number.")
@click.option("--scheduler", envvar="KIYAKU_SCHEDULER", default=None, metavar="tcp://HOST:8786",
              help="Evaluate on this Dask cluster (default: $KIYAKU_SCHEDULER); every worker must read the event files or reach the store.")
@db_option
@root_option
def command(events: tuple[Path, ...], at: str | None, contract: str | None, fmt: str, all_grounds: bool,
            keep_going: bool, jobs: int | None, scheduler: str | None, db: str | None, root: Path | None) -> None:
    """Replay contract event streams through the rules and print rulings with citations.

    The events come from EVENTS files, or without them from the case store (--db, $KIYAKU_DB, or
    kiyaku.db here). Contracts come in contract-id order, as of --at (default: now, stated at the
    end: under the table, on standard error with json, jsonl and csv). Files are read twice: first every event
    is checked (nothing is printed if one is bad), then one contract at a time is evaluated and
    printed.

    \b
    Example:
      kiyaku evaluate examples/ts-cloudphone/unpaid-after-demand.jsonl
      kiyaku evaluate examples/*/*.jsonl --at 2025-07-01 --format json
      kiyaku evaluate big.jsonl --format jsonl --jobs 8 > rulings.jsonl
      kiyaku evaluate --db kiyaku.db --contract SC-2001
    """
    from kiyaku import definitions
    from kiyaku.answers.table import Rendering, Sink
    from kiyaku.errors import Finding
    from kiyaku.replay import bulk

    if events and db:
        raise click.UsageError("give EVENTS files or --db, not both")
    when = as_of(at)
    found_root = locate(root)
    errors: list[Finding] = []
    notes: list[str] = []
    with reported():
        shipped = definitions.load(found_root.path)
        with bulk.Workers(shipped, jobs, scheduler) as workers:
            source, contracts = (_files(events, contract, keep_going, errors, workers) if events else
                                 _stored(db, contract))
            here = bulk.workers(jobs, sum(c.events for c in contracts)) == 1  # too small to share out
            work = list(bulk.parts(source, contracts, 1 if here else workers.jobs))
            results = workers.run(work, Rendering(fmt, all_grounds, when.time, keep_going), here)
            sink = Sink(sys.stdout.buffer, fmt)
            for part, (body, found, bad) in progress(zip(work, results), desc="evaluating", unit="contract",
                                                     total=len(contracts), size=lambda done: len(done[0].contracts)):
                sink.part(body)
                notes.extend(found)
                errors.extend(bad)
                for finding in bad:
                    click.echo(str(finding), err=True)
        if not contracts and not errors:
            notes.append("no events in the input")
        sink.close(notes)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    # Which terms and which as-of time: under the table, on standard error beside a program's format.
    click.echo(stated(found_root, when), err=fmt != "table")
    if errors:
        sys.exit(1)


def _files(events: tuple[Path, ...], contract: str | None, keep_going: bool, errors: list[Any],
           workers: Any) -> tuple[Any, list[Any]]:
    """Event files, read once to check every event and find each contract (problems go to stderr)."""
    from kiyaku.errors import Finding, InputError, quoted
    from kiyaku.replay import bulk
    from kiyaku.replay.streams import Files, file_inputs, index

    inputs = file_inputs(list(events))
    located = index(inputs, errors, keep_going, only=contract, terms=workers.shipped[0], workers=workers,
                    watch=lambda items, size=None: progress(items, desc="checking", unit="event", size=size))
    if contract is not None and not located:
        valid = " valid" if errors else ""
        missing = Finding("--contract", None, f"no{valid} events for contract {quoted(contract)} in the input",
                          "check --contract against the `contract` field of the events")
        if not keep_going:
            raise InputError(errors + [missing])
        errors.append(missing)
    for finding in errors:
        click.echo(str(finding), err=True)
    if workers.scheduler:
        bulk.readable_everywhere(inputs)
    return Files(tuple(inputs)), located


def _stored(db: str | None, contract: str | None) -> tuple[Any, list[Any]]:
    """The case store's contracts (all, or one), each read by the worker that evaluates it."""
    from kiyaku.store import open_store
    from kiyaku.store.events import Stored, sizes

    name = store_name(db)
    with open_store(name) as store:
        return Stored.named(name), sizes(store, contract)
