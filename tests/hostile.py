"""Shared by the hostile-input tests: run a command in-process and check that a refusal is clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import click
from click.testing import CliRunner, Result

from kiyaku.cli import main

ROOT = Path(__file__).resolve().parent.parent
START = {"contract": "C-1", "agreement": "ts-cloudphone", "time": "2025-04-01", "type": "service_started"}
INVOICE = {"contract": "C-1", "time": "2025-05-01", "type": "invoice", "id": "INV-1", "amount": 1000,
           "due_date": "2025-05-31"}


def cli(*args: str, input: bytes | str | None = None) -> Result:
    """`kiyaku ARGS…`, with this repository's terms unless ARGS name others (or the command reads none)."""
    command = command_named(args[:2])
    takes_root = command is not None and any(p.name == "root" for p in command.params)
    root = ["--root", str(ROOT)] if takes_root and "--root" not in args else []
    return CliRunner().invoke(main, [*args, *root], input=input)


def jsonl(*events: dict[str, Any]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)


def refused(result: Result, code: int, where: str, *fragments: str) -> str:
    """The command stopped with `code`, printed nothing on stdout, no traceback, and its first message
    starts at `where` (file:line) and says each fragment. Returns stderr."""
    err = result.stderr
    assert result.exit_code == code, (result.exit_code, err, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in err and result.stdout == "", (result.stdout[:300], err)
    assert err.startswith(where), err
    for fragment in fragments:
        assert fragment in err, err
    return err


def command_named(words: tuple[str, ...] | list[str]) -> click.Command | None:
    """The command `words` name (`ask`, or a group's `log show`), as the lazy command group loads it."""
    command: click.Command | None = main
    for word in words:
        if not isinstance(command, click.Group):
            break
        command = command.get_command(click.Context(command), word)
    return None if command is main else command


def commands_where(test: Callable[[click.Command], bool]) -> list[str]:
    """The names of every command (`log show` for a group's) for which `test` holds, sorted."""
    found = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                walk(command, prefix + [name])
            elif test(command):
                found.append(" ".join(prefix + [name]))
    walk(main, [])
    return sorted(found)
