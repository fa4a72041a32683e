"""kiyaku report: a case report (HTML, PDF or Markdown) for the legal team, or one per contract and an index."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Callable

import click

from kiyaku.asof import now
from kiyaku.cli.common import (AsOf, Root, as_of, at_option, db_option, locate, parse_at, reported,
                               root_option, stated, store_name)
from kiyaku.cli.progress import progress

SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf", ".md": "md", ".markdown": "md"}
STDOUT = "-"


@click.command("report")
@click.argument("events", nargs=-1, type=click.Path(path_type=Path))
@click.option("--contract", default=None, help="The contract to report on (may be left out when the events hold only one).")
@click.option("--all", "every", is_flag=True,
              help="One report per contract, and an index page (index.html for PDFs), into the folder -o names.")
@at_option()
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="The report file (.html, .pdf or .md; - for standard output, Markdown unless --format "
                   "says otherwise), or with --all the folder to write into.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "md"]), default=None,
              help="Output format (default: from -o's extension; html with --all). pdf prints the HTML memo "
                   "to A4 through headless Chromium ($CHROMIUM, or chromium on the PATH).")
@click.option("--produced-at", default=None,
              help="Print this production time in the report (ISO 8601, or `now`). Left out by default, so that the same inputs and --at give a byte-identical HTML or Markdown report.")
@db_option
@root_option
def command(events: tuple[Path, ...], contract: str | None, every: bool, at: str | None, output: Path,
            fmt: str | None, produced_at: str | None, db: str | None, root: Path | None) -> None:
    """Write a case report: the contract, a timeline of its events, every ruling with the clauses
    quoted, notice duties, the arithmetic of amounts, and how the report was produced.

    The events come from EVENTS files, or without them from the case store (--db, $KIYAKU_DB, or
    kiyaku.db here).

    \b
    Example:
      kiyaku report examples/smacom/*.jsonl --contract SC-2001 -o SC-2001.html
      kiyaku report examples/*/*.jsonl --contract TS-1001 --at 2025-07-10 -o TS-1001.pdf
      kiyaku report --all examples/*/*.jsonl -o reports-out/
      kiyaku report --db kiyaku.db --contract SC-2001 -o SC-2001.html
      kiyaku report examples/smacom/*.jsonl --contract SC-2001 -o - | less
    """
    if every and contract:
        raise click.UsageError("give either --contract ID or --all, not both")
    if events and db:
        raise click.UsageError("give EVENTS files or --db, not both")
    if every and str(output) == STDOUT:
        raise click.BadParameter("with --all, -o names the folder to write into; - (standard output) takes one report",
                                 param_hint="-o")
    when = as_of(at)
    stamp = _produced_at(produced_at)
    fmt = fmt or ("html" if every else "md" if str(output) == STDOUT else _format_of(output))
    found = locate(root)
    with reported():
        streams, inputs = _source(list(events), db, None if every else contract)
        if every:
            _write_every(found, streams, inputs, when, stamp, output, fmt)
        else:
            _write_one(found, streams, inputs, when, stamp, contract, output, fmt)
    click.echo(stated(found, when), err=True)


def _source(events: list[Path], db: str | None, contract: str | None) -> tuple[dict, Callable]:
    """The contracts' streams (all, or the one named), and where each one's events came from:
    the files given, or else the store (by index)."""
    from kiyaku import report

    if events:
        return report.contracts(events), partial(report.file_inputs, events)
    from kiyaku.report.provenance import InputFile
    from kiyaku.store import open_store
    from kiyaku.store.decisions import events_sha256
    from kiyaku.store.events import contract_ids, stream

    with open_store(store_name(db)) as store:
        found = {cid: stream(store, cid) for cid in ([contract] if contract else contract_ids(store))}
        name = f"{store.name} (store)"
    inputs = {cid: (InputFile(name, events_sha256(records), len(records)),) for cid, (_, records) in found.items()}
    return {cid: s for cid, (s, _) in found.items()}, lambda s: inputs[s.contract]


def _write_one(found: Root, streams: dict, inputs: Callable, when: AsOf, stamp: datetime | None,
               contract: str | None, output: Path, fmt: str) -> None:
    from kiyaku import report
    from kiyaku.output import write_files

    to_stdout = str(output) == STDOUT
    if not to_stdout and not output.parent.is_dir():
        raise click.BadParameter(f"folder {output.parent} does not exist", param_hint="-o")
    contract = contract or _only_contract(streams)
    case, = report.each_case(found.path, streams, inputs, when.time, contract, stamp, found)
    _echo_notes([case])
    content = report.render_case(found.path, case, fmt)
    if to_stdout:
        click.echo(content, nl=False)
        return
    write_files({output: content})
    click.echo(f"wrote {output}", err=True)


def _write_every(found: Root, streams: dict, inputs: Callable, when: AsOf, stamp: datetime | None,
                 output: Path, fmt: str) -> None:
    from kiyaku import report
    from kiyaku.output import write_files

    if output.exists() and not output.is_dir():
        raise click.BadParameter(f"{output} is a file; with --all, -o names a folder", param_hint="-o")
    if not output.parent.is_dir():
        raise click.BadParameter(f"folder {output.parent} does not exist", param_hint="-o")
    names = report.file_names(list(streams), fmt)
    cases = []
    # Everything is rendered before anything is written, so a template error writes nothing; a new
    # folder appears only once every report in it is written.
    files: dict[Path, str | bytes] = {}
    for case in progress(report.each_case(found.path, streams, inputs, when.time, None, stamp, found),
                         desc="reports", unit="contract", total=len(streams)):
        files[output / names[case.contract]] = report.render_case(found.path, case, fmt)
        cases.append(case)
    _echo_notes(cases)
    index = report.index_name(fmt)
    files[output / index] = report.render_index(found.path, cases, names, fmt)
    write_files(files, folder=output)
    click.echo(f"wrote {len(cases)} report(s) and {index} to {output}", err=True)


def _format_of(output: Path) -> str:
    fmt = SUFFIXES.get(output.suffix.lower())
    if fmt is None:
        raise click.BadParameter(f"cannot tell the format from {output.name!r}: name a .html, .pdf or .md file, "
                                 "or give --format html|pdf|md", param_hint="-o")
    return fmt


def _produced_at(value: str | None) -> datetime | None:
    # Opt-in only: a wall-clock time in every report would make two runs on the same inputs differ.
    if value is None:
        return None
    if value == "now":
        return now().time
    try:
        stamp = parse_at(value)
    except click.BadParameter:
        stamp = None
    if stamp is None:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time or `now`", param_hint="--produced-at")
    return stamp


def _only_contract(streams: dict) -> str:
    contracts = list(streams)
    if len(contracts) != 1:
        raise click.UsageError(f"the events hold {len(contracts)} contracts ({', '.join(contracts)}): "
                               "name one with --contract ID, or use --all")
    return contracts[0]


def _echo_notes(cases) -> None:
    for case in cases:
        for note in case.notes:
            click.echo(f"note: contract {case.contract}: {note}", err=True)
