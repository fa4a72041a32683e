"""kiyaku terms: read the agreements."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kiyaku.cli.common import load_terms_at, parse_day, reported, root_option


@click.group("terms")
def command() -> None:
    """Read the agreements: list provisions, show one with its text and summary."""


@command.command("show")
@click.argument("citation")
@click.option("--at", "at", default=None, help="Show the version in force on this date (YYYY-MM-DD; default: today in Asia/Tokyo).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@root_option
def show_command(citation: str, at: str | None, fmt: str, root: Path | None) -> None:
    """Print one provision: Japanese text, English summary, parents' headings, version in force.

    \b
    Example:
      kiyaku terms show smacom:17.1.1
      kiyaku terms show abphone:23.1.B --at 2015-06-01 --format json
    """
    from kiyaku.terms import show

    when = parse_day(at)
    with reported():
        v = show.view(load_terms_at(root), citation, when)
    click.echo(json.dumps(v, ensure_ascii=False, indent=2) if fmt == "json" else show.render(v))


@command.command("list")
@click.argument("agreement")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@root_option
def list_command(agreement: str, fmt: str, root: Path | None) -> None:
    """List every provision of an agreement, in document order.

    \b
    Example:
      kiyaku terms list ts-cloudphone
    """
    from kiyaku.terms import show

    with reported():
        rows = show.listing(load_terms_at(root), agreement)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        heading = f"（{row['heading_ja']}）" if row["heading_ja"] else ""
        click.echo(f"{'  ' * row['depth']}{row['id']:<28} {row['name_ja']}{heading}  {row['summary_en']}")
