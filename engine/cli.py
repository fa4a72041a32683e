"""The kiyaku command line: parses options, calls the library, turns domain errors into messages."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import click

from engine.errors import DefinitionError, KiyakuError

TOKYO = ZoneInfo("Asia/Tokyo")


def _fail(exc: KiyakuError, code: int) -> None:
    for finding in exc.findings:
        click.echo(str(finding), err=True)
    sys.exit(code)


@contextmanager
def _reported() -> Iterator[None]:
    """Domain errors become located messages: exit 1 for terms/rules, 2 for the input given."""
    try:
        yield
    except DefinitionError as exc:
        _fail(exc, 1)
    except KiyakuError as exc:
        _fail(exc, 2)


root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Repository holding terms/ and rules/ (default: $KIYAKU_ROOT, then the nearest parent folder with terms/).")


def _terms(root: Path | None):
    from engine.paths import find_root
    from engine.terms import load_terms

    return load_terms(find_root(root) / "terms")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """kiyaku (規約): what your terms of service say about a case, with the clause that says so."""


@main.command()
@root_option
def check(root: Path | None) -> None:
    """Validate terms/ (and rules/): prints nothing and exits 0 when clean, lists findings and exits 1.

    \b
    Example:
      kiyaku check
    """
    from engine.paths import find_root
    from engine.rules.loader import load_rules

    with _reported():
        terms = _terms(root)
        rules = find_root(root) / "rules"
        if rules.is_dir():
            load_rules(rules, terms)


@main.command()
@click.argument("events", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--at", "at", default=None, help="Evaluate as of this time (ISO 8601, Asia/Tokyo unless an offset is given; default: each contract's last event).")
@click.option("--contract", default=None, help="Only this contract.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl"]), default="table", show_default=True)
@click.option("--keep-going", is_flag=True, help="Report every bad event and evaluate the rest.")
@root_option
def evaluate(events: tuple[Path, ...], at: str | None, contract: str | None, fmt: str, keep_going: bool,
             root: Path | None) -> None:
    """Replay contract event streams through the rules and print rulings with citations.

    \b
    Example:
      kiyaku evaluate examples/ts-cloudphone/unpaid-after-demand.jsonl
      kiyaku evaluate examples/*.jsonl --at 2025-07-01 --format json
    """
    from engine.evaluate import evaluate as run
    from engine.events import parse_time
    from engine.output import render
    from engine.paths import find_root

    when = None
    if at is not None:
        when = parse_time(at)
        if when is None:
            raise click.BadParameter(f"{at!r} is not an ISO 8601 time", param_hint="--at")
    with _reported():
        result = run(find_root(root), list(events), when, contract, keep_going)
    for finding in result.errors:
        click.echo(str(finding), err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(render(result.rulings, fmt, result.notes), nl=False)
    if result.errors:
        sys.exit(1)


@main.group()
def terms() -> None:
    """Read the agreements: list provisions, show one with its text and summary."""


def _parse_day(value: str | None) -> date:
    if value is None:
        return datetime.now(TOKYO).date()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD", param_hint="--at") from None


@terms.command("show")
@click.argument("citation")
@click.option("--at", "at", default=None, help="Show the version in force on this date (YYYY-MM-DD; default: today in Asia/Tokyo).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@root_option
def terms_show(citation: str, at: str | None, fmt: str, root: Path | None) -> None:
    """Print one provision: Japanese text, English summary, parents' headings, version in force.

    \b
    Example:
      kiyaku terms show smacom:17.1.1
      kiyaku terms show abphone:23.1.B --at 2015-06-01 --format json
    """
    from engine.terms import show

    when = _parse_day(at)
    with _reported():
        v = show.view(_terms(root), citation, when)
    click.echo(json.dumps(v, ensure_ascii=False, indent=2) if fmt == "json" else show.render(v))


@terms.command("list")
@click.argument("agreement")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@root_option
def terms_list(agreement: str, fmt: str, root: Path | None) -> None:
    """List every provision of an agreement, in document order.

    \b
    Example:
      kiyaku terms list ts-cloudphone
    """
    from engine.terms import show

    with _reported():
        rows = show.listing(_terms(root), agreement)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        heading = f"（{row['heading_ja']}）" if row["heading_ja"] else ""
        click.echo(f"{'  ' * row['depth']}{row['id']:<28} {row['name_ja']}{heading}  {row['summary_en']}")
