"""What every command shares: the --root and --at options and how outputs state them, and domain
errors as exit codes."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import click

from kiyaku.asof import TOKYO, AsOf, now
from kiyaku.errors import DefinitionError, KiyakuError
from kiyaku.paths import Root

__all__ = ["TOKYO", "AsOf", "Root", "as_of", "at_option", "db_option", "locate", "login_name", "parse_at", "repo_root", "store_name",
           "reported", "root_option", "stated"]


def _fail(exc: KiyakuError, code: int) -> None:
    for finding in exc.findings:
        click.echo(str(finding), err=True)
    sys.exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Domain errors become located messages: exit 1 for terms/rules, 2 for the input given."""
    try:
        yield
    except DefinitionError as exc:
        _fail(exc, 1)
    except KiyakuError as exc:
        _fail(exc, 2)


root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Terms repository holding terms/ and rules/ (default: $KIYAKU_ROOT, then the working directory or "
         "its nearest parent with terms/ and rules/, then the agreements bundled with kiyaku).")


def at_option(what: str = "As of this time") -> Callable:
    """--at, with the one default every command shares: now (kiyaku.asof)."""
    return click.option("--at", "at", default=None,
                        help=f"{what} (ISO 8601, Asia/Tokyo unless an offset is given; default: now, "
                             "stated in the output).")


def locate(root: Path | None) -> Root:
    """The terms repository a command uses (kiyaku.paths.find_root), as an InputError exit 2 if --root is wrong."""
    from kiyaku.paths import find_root

    with reported():
        return find_root(root)


def repo_root(root: Path | None) -> Path:
    return locate(root).path


def as_of(value: str | None) -> AsOf:
    """--at as given, or now: the as-of time a command answers at, to state in its output."""
    when = parse_at(value)
    return now() if when is None else AsOf(when, given=True)


def stated(root: Root, when: AsOf | None = None) -> str:
    """The lines a text output ends with: which terms it read, and as of when."""
    return "\n".join([root.describe()] + ([when.describe()] if when else []))


def parse_at(value: str | None) -> datetime | None:
    """--at as an event time (ISO 8601, Asia/Tokyo unless an offset is given); None when not given."""
    from kiyaku.replay.events import parse_time

    if value is None:
        return None
    when = parse_time(value)
    if when is None:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                                 param_hint="--at")
    return when


db_option = click.option(
    "--db", default=None, metavar="PATH|URL",
    help="The case store: a SQLite file or a postgresql:// URL (default: $KIYAKU_DB, then kiyaku.db here).")


def login_name() -> str:
    """Who runs the command, for the record: the login name, or `unknown` where there is none."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


def store_name(db: str | None) -> str:
    """The store to use: --db, $KIYAKU_DB, or kiyaku.db in the working directory."""
    from kiyaku.store import DEFAULT, configured

    return configured(db) or DEFAULT
