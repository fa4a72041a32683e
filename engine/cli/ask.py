"""kiyaku ask: a support agent's question, a plain answer; recorded in the decision log when a store
is in use."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiyaku.answers.ask import QUESTIONS
from kiyaku.cli.common import as_of, at_option, db_option, login_name, repo_root, reported, root_option, store_name

# --exit-status: what a script can branch on without reading JSON (bad input is 2 in any case).
EXIT_STATUS = {"yes": 0, "no": 1, "undetermined": 3}


@click.command("ask")
@click.argument("question", type=click.Choice(list(QUESTIONS)))
@click.argument("events", nargs=-1, type=click.Path(path_type=Path))
@click.option("--contract", required=True, help="The contract asked about.")
@at_option("As of this time")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "ja"]), default="en", show_default=True,
              help="ja: the whole answer in Japanese (the clauses are quoted in Japanese in either).")
@click.option("--full", is_flag=True, help="Every ground looked at and every clause in full, not one screen.")
@click.option("--width", type=click.IntRange(40), default=None,
              help="Columns to fit (default: the terminal's width; 80 when not a terminal).")
@click.option("--exit-status", is_flag=True,
              help="Exit 0 for yes, 1 for no (not yet included), 3 for undetermined; 2 stays bad input.")
@db_option
@click.option("--user", envvar="KIYAKU_USER", default=None,
              help="Who asks, for the decision log (default: $KIYAKU_USER, then the login name).")
@click.option("--no-log", is_flag=True, help="A dry question: record nothing in the decision log.")
@root_option
def command(question: str, events: tuple[Path, ...], contract: str, at: str | None, fmt: str, lang: str,
            full: bool, width: int | None, exit_status: bool, db: str | None, user: str | None, no_log: bool,
            root: Path | None) -> None:
    """Answer QUESTION about one contract: the state it is in, yes / no (or not yet, from when) /
    undetermined, why, what must happen first, what fact is missing and how to record it, and the
    clauses that say so.

    The events come from EVENTS files, or without them from the case store (--db, $KIYAKU_DB, or
    kiyaku.db here). Wherever a store is in use, the answer is recorded in its decision log
    (see `kiyaku log`) before it is shown; with event files and no store named, nothing is written.

    \b
    Example:
      kiyaku ask can-suspend examples/smacom/*.jsonl --contract SC-2001 --at 2025-07-10
      kiyaku ask late-interest examples/ts-cloudphone/*.jsonl --contract TS-1001 --format json
      kiyaku ask can-refuse examples/abphone/*.jsonl --contract AB-3101 --exit-status || echo "not a yes"
      kiyaku ask can-suspend --db kiyaku.db --contract SC-2001 --at 2025-07-10 --user alice
    """
    from kiyaku.answers.ask import ask_stream, contract_stream
    from kiyaku.store import configured

    when = as_of(at).time
    with reported():
        base = repo_root(root)
        store = None
        if configured(db) or not events:  # SQLAlchemy is imported only when a store is in use
            from kiyaku.store import open_store

            store = open_store(store_name(db))
        try:
            if events:
                stream = contract_stream(list(events), contract)
                records = _file_records(list(events), contract) if store and not no_log else []
            else:
                from kiyaku.store.events import stream as stored

                stream, records = stored(store, contract)
            answer = ask_stream(base, question, stream, when)
            text = _render(answer, fmt, lang, width, full)
            if store is not None and not no_log:
                _record(store, base, answer.as_json(), text, user, records)
        finally:
            if store is not None:
                store.close()
    click.echo(text, nl=False)
    if exit_status:
        sys.exit(EXIT_STATUS[answer.verdict])


def _render(answer, fmt: str, lang: str, width: int | None, full: bool) -> str:
    if fmt == "json":
        import orjson

        return orjson.dumps(answer.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    from kiyaku.answers.fit import terminal_width
    from kiyaku.answers.text import render

    return render(answer, lang, width or terminal_width(sys.stdout), full)


def _file_records(paths: list[Path], contract: str):
    """The contract's events in the files, as read (for the decision log)."""
    from kiyaku.replay.events import file_records

    return [r for r in file_records(paths)([], False) if isinstance(r[2], dict) and r[2].get("contract") == contract]


def _record(store, base: Path, answer: dict, text: str, user: str | None, records) -> None:
    """The decision is written before the answer is shown: an answer that cannot be recorded is not given."""
    from kiyaku.store import decisions

    decision = decisions.new_decision(base, answer, text, user or login_name(), records)
    decisions.record(store, decision, base)
    click.echo(f"decision {decision.id} recorded in {store.name}", err=True)
