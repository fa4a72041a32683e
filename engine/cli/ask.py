"""kiyaku ask: a support agent's question, a plain answer."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from kiyaku.cli.common import TOKYO, parse_at, repo_root, reported, root_option

QUESTIONS = ["can-suspend", "can-terminate", "can-refuse", "liability", "surcharge", "late-interest"]


@click.command("ask")
@click.argument("question", type=click.Choice(QUESTIONS))
@click.argument("events", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--contract", required=True, help="The contract asked about.")
@click.option("--at", "at", default=None, help="As of this time (ISO 8601, Asia/Tokyo unless an offset is given; default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "ja"]), default="en", show_default=True,
              help="ja adds Japanese labels (the clause text is always Japanese).")
@root_option
def command(question: str, events: tuple[Path, ...], contract: str, at: str | None, fmt: str, lang: str,
            root: Path | None) -> None:
    """Answer QUESTION about one contract: yes / no (or not yet, from when) / undetermined, why, what
    must happen first, what fact is missing, and the clauses that say so.

    \b
    Example:
      kiyaku ask can-suspend examples/smacom/*.jsonl --contract SC-2001 --at 2025-07-10
      kiyaku ask late-interest examples/ts-cloudphone/*.jsonl --contract TS-1001 --format json
    """
    from kiyaku import definitions
    from kiyaku.answers.text import render
    from kiyaku.answers.ask import ask

    when = parse_at(at) or datetime.now(TOKYO).replace(microsecond=0)
    with reported():
        base = repo_root(root)
        answer = ask(base, question, contract, list(events), when)
        text = json.dumps(answer, ensure_ascii=False, indent=2) if fmt == "json" else \
            render(answer, definitions.load(base)[0], lang)
    click.echo(text, nl=False if text.endswith("\n") else True)
