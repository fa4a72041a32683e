"""kiyaku terms: read the agreements."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kiyaku.cli.common import as_of, at_option, locate, reported, root_option, stated


@click.group("terms")
def command() -> None:
    """Read the agreements: list provisions, show one with its text and summary."""


@command.command("show")
@click.argument("citation")
@at_option("Show the version in force at this time")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@root_option
def show_command(citation: str, at: str | None, fmt: str, root: Path | None) -> None:
    """Print one provision: Japanese text, English summary, parents' headings, version in force.

    \b
    Example:
      kiyaku terms show smacom:17.1.1
      kiyaku terms show abphone:23.1.B --at 2015-06-01 --format json
    """
    from kiyaku.terms import load_terms, show

    when = as_of(at)
    found = locate(root)
    with reported():
        v = show.view(load_terms(found.path / "terms"), citation, when.day)
    if fmt == "json":
        click.echo(json.dumps(v | when.to_json() | {"root": found.to_json()}, ensure_ascii=False, indent=2))
    else:
        click.echo(show.render(v) + "\n\n" + stated(found, when))


@command.command("list")
@click.argument("agreement")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@root_option
def list_command(agreement: str, fmt: str, root: Path | None) -> None:
    """List every provision of an agreement (every version's), in document order.

    \b
    Example:
      kiyaku terms list ts-cloudphone
    """
    from kiyaku.terms import load_terms, show

    found = locate(root)
    with reported():
        rows = show.listing(load_terms(found.path / "terms"), agreement)
    if fmt == "json":
        click.echo(json.dumps({"root": found.to_json(), "provisions": rows}, ensure_ascii=False, indent=2))
        return
    for row in rows:
        heading = f"（{row['heading_ja']}）" if row["heading_ja"] else ""
        click.echo(f"{'  ' * row['depth']}{row['id']:<28} {row['name_ja']}{heading}  {row['summary_en']}")
    click.echo("\n" + stated(found))
