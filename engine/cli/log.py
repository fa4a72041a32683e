"""kiyaku log: the decision log of a store — list decisions, show one as it was given, replay one
under today's terms and rules."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from kiyaku.cli.common import TOKYO, db_option, parse_at, repo_root, reported, root_option, store_name

COLUMNS = ("id", "asked_at", "asked_by", "question", "contract", "as_of", "answer", "amount", "citations",
           "kiyaku_version", "terms_sha256", "rules_sha256", "events_sha256")


@click.group("log", invoke_without_command=True)
@click.option("--contract", default=None, help="Only the decisions about this contract.")
@click.option("--since", default=None, help="Only decisions given from this time on (ISO 8601, Asia/Tokyo unless an offset is given).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@db_option
@click.pass_context
def command(ctx: click.Context, contract: str | None, since: str | None, fmt: str, db: str | None) -> None:
    """List the decisions recorded in the store (every answer `kiyaku ask` gave from it), oldest first.

    \b
    Example:
      kiyaku log --contract SC-2001
      kiyaku log --since 2025-07-01 --format csv > decisions.csv
      kiyaku log show 2be71d47
      kiyaku log replay 2be71d47
    """
    ctx.obj = db
    if ctx.invoked_subcommand is not None:
        return
    from kiyaku.store import open_store
    from kiyaku.store.decisions import listing

    when = parse_at(since)
    with reported(), open_store(store_name(db)) as store:
        _print(listing(store, contract, when), fmt)


def _print(found, fmt: str) -> None:
    out = sys.stdout
    if fmt == "json":
        out.write("[")
        for n, d in enumerate(found):
            out.write(("," if n else "") + "\n  " + json.dumps(_local(d.summary()), ensure_ascii=False))
        out.write("\n]\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for d in found:
            row = _local(d.summary())
            writer.writerow(row | {"citations": " ".join(row["citations"])})
    else:
        out.write(f"{'decision':<8}  {'asked at':<19}  {'by':<10}  {'question':<13}  {'contract':<10}  "
                  f"{'as of':<23}  {'answer':<12}  {'amount':>9}  citations\n")
        for d in found:
            amount = "" if d.amount is None else f"{d.amount:,}"
            asked = d.asked_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")
            out.write(f"{d.id[:8]:<8}  {asked:<19}  {d.asked_by:<10}  {d.question:<13}  {d.contract:<10}  "
                      f"{_when(d.as_of):<23}  {d.answer or '—':<12}  {amount:>9}  {', '.join(d.citations)}\n")


def _when(value: str | None) -> str:
    from kiyaku.report.case import when

    return when(value) if value else ""


def _local(summary: dict) -> dict:
    """The time asked in Asia/Tokyo, like every other time kiyaku prints."""
    from datetime import datetime

    return summary | {"asked_at": datetime.fromisoformat(summary["asked_at"]).astimezone(TOKYO).isoformat()}


@command.command("show")
@click.argument("decision_id")
@click.option("--format", "fmt", type=click.Choice(["given", "json"]), default="given", show_default=True,
              help="given: the answer exactly as it was shown; json: the whole record (answer JSON, events, digests).")
@db_option
@click.pass_obj
def show(parent_db: str | None, decision_id: str, fmt: str, db: str | None) -> None:
    """Print decision DECISION_ID (or a unique prefix of it) as it was given.

    \b
    Example:
      kiyaku log show 2be71d47
      kiyaku log show 2be71d47 --format json
    """
    from kiyaku.store import open_store
    from kiyaku.store.decisions import get

    with reported(), open_store(store_name(db or parent_db)) as store:
        d = get(store, decision_id)
    if fmt == "json":
        click.echo(json.dumps(_local(d.as_json()), ensure_ascii=False, indent=2))
    else:
        click.echo(d.given, nl=not d.given.endswith("\n"))


@command.command("replay")
@click.argument("decision_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@db_option
@root_option
@click.pass_obj
def replay(parent_db: str | None, decision_id: str, fmt: str, db: str | None, root: Path | None) -> None:
    """Replay decision DECISION_ID from the events it recorded under today's terms and rules: the
    same answer or not, and if not, the change of which provisions moved it (as `kiyaku diff`
    attributes it, against the terms and rules the decision was given under).

    \b
    Example:
      kiyaku log replay 2be71d47
      kiyaku log replay 2be71d47 --format json
    """
    from kiyaku.change.recheck import recheck, render_json, render_text
    from kiyaku.store import open_store
    from kiyaku.store.decisions import archive, get

    with reported():
        with open_store(store_name(db or parent_db)) as store:
            d = get(store, decision_id)
            kept = archive(store, d)
        result = recheck(repo_root(root), d, kept)
        click.echo((render_json if fmt == "json" else render_text)(result), nl=False)
