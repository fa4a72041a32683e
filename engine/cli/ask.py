"""kiyaku ask: a support agent's question, a plain answer."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from kiyaku.answers.ask import QUESTIONS
from kiyaku.cli.common import TOKYO, parse_at, repo_root, reported, root_option

# --exit-status: what a script can branch on without reading JSON (bad input is 2 in any case).
EXIT_STATUS = {"yes": 0, "no": 1, "undetermined": 3}


@click.command("ask")
@click.argument("question", type=click.Choice(list(QUESTIONS)))
@click.argument("events", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--contract", required=True, help="The contract asked about.")
@click.option("--at", "at", default=None, help="As of this time (ISO 8601, Asia/Tokyo unless an offset is given; default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "ja"]), default="en", show_default=True,
              help="ja: the whole answer in Japanese (the clauses are quoted in Japanese in either).")
@click.option("--full", is_flag=True, help="Every ground looked at and every clause in full, not one screen.")
@click.option("--width", type=click.IntRange(40), default=None,
              help="Columns to fit (default: the terminal's width; 80 when not a terminal).")
@click.option("--exit-status", is_flag=True,
              help="Exit 0 for yes, 1 for no (not yet included), 3 for undetermined; 2 stays bad input.")
@root_option
def command(question: str, events: tuple[Path, ...], contract: str, at: str | None, fmt: str, lang: str,
            full: bool, width: int | None, exit_status: bool, root: Path | None) -> None:
    """Answer QUESTION about one contract: the state it is in, yes / no (or not yet, from when) /
    undetermined, why, what must happen first, what fact is missing and how to record it, and the
    clauses that say so.

    \b
    Example:
      kiyaku ask can-suspend examples/smacom/*.jsonl --contract SC-2001 --at 2025-07-10
      kiyaku ask late-interest examples/ts-cloudphone/*.jsonl --contract TS-1001 --format json
      kiyaku ask can-refuse examples/abphone/*.jsonl --contract AB-3101 --exit-status || echo "not a yes"
    """
    from kiyaku.answers.ask import ask

    when = parse_at(at) or datetime.now(TOKYO).replace(microsecond=0)
    with reported():
        answer = ask(repo_root(root), question, contract, list(events), when)
    if fmt == "json":
        import orjson

        text = orjson.dumps(answer.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        from kiyaku.answers.fit import terminal_width
        from kiyaku.answers.text import render

        text = render(answer, lang, width or terminal_width(sys.stdout), full)
    click.echo(text, nl=False)
    if exit_status:
        sys.exit(EXIT_STATUS[answer.verdict])
