"""What every command shares: the --root option, time options, and domain errors as exit codes."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import click

from kiyaku.errors import DefinitionError, KiyakuError

TOKYO = ZoneInfo("Asia/Tokyo")


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
    help="Repository holding terms/ and rules/ (default: $KIYAKU_ROOT, then the nearest parent folder with terms/).")


def repo_root(root: Path | None) -> Path:
    from kiyaku.paths import find_root

    return find_root(root)


def load_terms_at(root: Path | None):
    from kiyaku.terms import load_terms

    return load_terms(repo_root(root) / "terms")


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


def parse_day(value: str | None) -> date:
    """--at as a date (default: today in Asia/Tokyo)."""
    if value is None:
        return datetime.now(TOKYO).date()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD", param_hint="--at") from None


db_option = click.option(
    "--db", default=None, metavar="PATH|URL",
    help="The case store: a SQLite file or a postgresql:// URL (default: $KIYAKU_DB, then kiyaku.db here).")


def store_name(db: str | None) -> str:
    """The store to use: --db, $KIYAKU_DB, or kiyaku.db in the working directory."""
    from kiyaku.store import DEFAULT, configured

    return configured(db) or DEFAULT
