"""What every command shares: the --root and --at options and how outputs state them, and domain
errors as exit codes."""

from __future__ import annotations

import errno
import io
import os
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import click

from kiyaku.asof import TOKYO, AsOf, now
from kiyaku.errors import DefinitionError, KiyakuError
from kiyaku.paths import Root

__all__ = ["TOKYO", "AsOf", "Kiyaku", "Root", "as_of", "at_option", "db_option", "locate", "login_name", "parse_at",
           "repo_root", "store_name",
           "reported", "root_option", "stated"]

INTERNAL = 70  # EX_SOFTWARE: a fault of kiyaku itself, not of the input or the definitions
INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
CLOSED_PIPE = 141  # 128 + SIGPIPE


class Kiyaku(click.Group):
    """The command group: every command runs with its output guarded (kiyaku.output) and ends in an
    exit status, never a traceback: 0 done, 1 findings in terms/ or rules/ (or an output, or the
    machine, that failed: a full disk, a full temporary folder), 2 bad input or usage, 130
    interrupted, 141 output pipe closed, 70 a fault of kiyaku itself (KIYAKU_TRACEBACK=1 shows it)."""

    def invoke(self, ctx: click.Context) -> object:
        from kiyaku.output import OutputFailed, guarded
        from kiyaku.textio import forget_kept

        forget_kept()  # standard input kept by an earlier command of this process is not this one's
        try:
            with guarded():
                try:
                    return super().invoke(ctx)
                except click.ClickException as exc:
                    exc.show()  # here, so that a value echoed back is shown escaped
                    sys.exit(exc.exit_code)
                except KiyakuError as exc:
                    _fail(exc, 1 if isinstance(exc, DefinitionError) else 2)
                except (KeyboardInterrupt, click.Abort):
                    click.echo("kiyaku: interrupted", err=True)
                    sys.exit(INTERRUPTED)
                except (SystemExit, click.exceptions.Exit, OutputFailed):
                    raise
                except OSError as exc:  # the machine, not the input: a full temporary folder, a vanished file
                    where = f"{exc.filename}: " if exc.filename else ""
                    click.echo(f"kiyaku: {where}{exc.strerror or exc}", err=True)
                    sys.exit(1)
                except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a traceback
                    if os.environ.get("KIYAKU_TRACEBACK"):
                        raise
                    click.echo(f"kiyaku: internal error: {type(exc).__name__}: {exc} (please report it, with the "
                               "command and input that caused it; KIYAKU_TRACEBACK=1 shows where)", err=True)
                    sys.exit(INTERNAL)
        except OutputFailed as exc:
            _silence(exc.stream)
            closed = exc.error.errno == errno.EPIPE
            _last_word(f"kiyaku: {exc.stream}: " + ("closed before the output ended" if closed else
                                                    f"cannot write: {exc.error.strerror or exc.error}"))
            sys.exit(CLOSED_PIPE if closed else 1)


def _silence(stream: str) -> None:
    """Point the failed stream at the null device, so that Python's own flush at exit stays quiet."""
    target = sys.stdout if stream == "standard output" else sys.stderr
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), target.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def _last_word(text: str) -> None:
    try:
        click.echo(text, err=True)
    except OSError:
        pass


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
    """--at as an event time (ISO 8601, Asia/Tokyo unless an offset is given); None when not given.
    Every command reads --at here, through the one parser of times (kiyaku.times)."""
    from kiyaku.times import TIME_HINT, read_time

    if value is None:
        return None
    try:
        return read_time(value)
    except ValueError as exc:
        raise click.BadParameter(f"{exc}; {TIME_HINT}", param_hint="--at") from None


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
