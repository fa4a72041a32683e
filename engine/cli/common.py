"""What every command shares: the --root option, time options, and domain errors as exit codes."""

from __future__ import annotations

import errno
import io
import os
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import click

from kiyaku.errors import DefinitionError, KiyakuError

TOKYO = ZoneInfo("Asia/Tokyo")
INTERNAL = 70  # EX_SOFTWARE: a fault of kiyaku itself, not of the input or the definitions
INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
CLOSED_PIPE = 141  # 128 + SIGPIPE


class Kiyaku(click.Group):
    """The command group: every command runs with its output guarded (kiyaku.output) and ends in an
    exit status, never a traceback: 0 done, 1 findings in terms/ or rules/ (or an output that could
    not be written), 2 bad input or usage, 130 interrupted, 141 output pipe closed, 70 a fault of
    kiyaku itself (KIYAKU_TRACEBACK=1 shows its traceback)."""

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
    help="Repository holding terms/ and rules/ (default: $KIYAKU_ROOT, then the nearest parent folder with terms/).")


def repo_root(root: Path | None) -> Path:
    from kiyaku.paths import find_root

    return find_root(root)


def load_terms_at(root: Path | None):
    from kiyaku.terms import load_terms

    return load_terms(repo_root(root) / "terms")


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


def parse_day(value: str | None) -> date:
    """--at as a calendar date (default: today in Asia/Tokyo); a time counts as its date in Tokyo."""
    from kiyaku.times import tokyo_date

    return datetime.now(TOKYO).date() if value is None else tokyo_date(parse_at(value))
