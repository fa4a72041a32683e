"""Where the store is, and the one way kiyaku talks to it: a transaction on a SQLAlchemy engine, with
every database failure turned into one clear message (InputError) and the transaction rolled back.

A store is named by `--db` or $KIYAKU_DB: a file path (SQLite, `kiyaku.db` in the working directory
by default) or a URL (`postgresql://user@host/db`, or any `sqlite:///…` URL). A writer waits up to
$KIYAKU_DB_TIMEOUT seconds (default 30) for another writer to finish before giving up.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event

from kiyaku.errors import Finding, InputError
from kiyaku.store import schema
from kiyaku.store.names import DEFAULT, configured

WRITE = "kiyaku_write"


class StoreFailure(InputError):
    """The database failed (unreachable, locked, full, read-only…): nothing was written. A command
    exits 2 as for any bad input; a server answers 503, since its client can do nothing about it."""


class Missing(InputError):
    """What was asked for is not in the store (a contract, a decision, a token)."""


def _timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("KIYAKU_DB_TIMEOUT", "30")))
    except ValueError:
        raise InputError(Finding("KIYAKU_DB_TIMEOUT", None, f"{os.environ['KIYAKU_DB_TIMEOUT']!r} is not a number of seconds",
                                 "set it to a number such as 30, or unset it")) from None


def _url(db: str) -> sa.URL:
    if "://" not in db:
        return sa.URL.create("sqlite", database=db)
    try:
        url = sa.make_url(db)
    except sa.exc.ArgumentError:
        raise InputError(Finding(db, None, "not a database URL or a file path",
                                 "give a file (kiyaku.db) or postgresql://user@host/database")) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise InputError(Finding(db, None, f"kiyaku stores live in SQLite or PostgreSQL, not {url.get_backend_name()}",
                                 "give a file path or a postgresql:// URL"))
    return url


class Store:
    """An open store. Use `transaction()` for every read and write; `close()` when done."""

    def __init__(self, db: str, wal: bool = False) -> None:
        url = _url(db)
        # Definitions known to be kept in the store (decisions.record): rows never change, so once
        # seen there they stay there.
        self.kept: set[tuple[str, str]] = set()
        self.name = url.render_as_string(hide_password=True) if "://" in db else db
        self.timeout = _timeout()
        self.dialect = url.get_backend_name()
        if self.dialect == "sqlite":
            self.engine = sa.create_engine(url, connect_args={"timeout": self.timeout})
            event.listen(self.engine, "connect", _sqlite_wal if wal else _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            options = f"-c lock_timeout={int(self.timeout * 1000)} -c statement_timeout=0"
            self.engine = sa.create_engine(url, connect_args={"connect_timeout": 10, "options": options},
                                           pool_pre_ping=True)

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[sa.Connection]:
        """One transaction: committed when the block ends, rolled back on any error or Ctrl-C.
        A write transaction in SQLite takes the write lock at once (BEGIN IMMEDIATE), so that two
        writers queue instead of one failing half-way."""
        with failures(self.name, self.timeout):
            with self.engine.connect() as conn:
                if write:
                    conn = conn.execution_options(**{WRITE: True})
                with conn.begin():
                    yield conn

    def ping(self) -> None:
        """Reach the store and read it (StoreFailure when it cannot be); a server's health check."""
        with self.transaction() as conn:
            schema.version(conn)

    def exclusive(self, conn: sa.Connection, what: str) -> None:
        """Within a write transaction, wait until no other kiyaku holds `what` (SQLite's write lock
        already excludes every other writer; PostgreSQL takes a transaction-scoped advisory lock)."""
        if self.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:what))"), {"what": f"kiyaku:{what}"})

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(db: str, create: bool = False, wal: bool = False) -> Store:
    """The store named `db`, upgraded to this kiyaku's schema; with `create`, made when it does not
    exist yet. InputError when it cannot be used, with nothing changed. With `wal`, a SQLite store is
    put in write-ahead-log mode (and stays so): readers and one writer then go on side by side, and a
    commit costs one write, as a server with many clients needs."""
    if "://" not in db:
        path = Path(db)
        if path.is_dir():
            raise InputError(Finding(db, None, "is a folder, not a store", f"name a file, such as {path / DEFAULT}"))
        if not path.exists() and not create:
            raise InputError(Finding(db, None, "no kiyaku store here yet",
                                     f"create it with `kiyaku ingest EVENTS… --db {db}`, or give event files"))
        if not path.parent.is_dir():
            raise InputError(Finding(db, None, f"folder {path.parent} does not exist", "create the folder first"))
    store = Store(db, wal)
    try:
        with store.transaction() as conn:
            behind = schema.needs_upgrade(conn, store.name, create)
        if behind:
            with store.transaction(write=True) as conn:
                store.exclusive(conn, "schema")
                if schema.needs_upgrade(conn, store.name, create):
                    schema.upgrade(conn)
    except BaseException:
        store.close()
        raise
    return store


def _sqlite_connect(dbapi_connection, _record) -> None:
    # The driver's own transaction handling is turned off so that BEGIN is ours (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _sqlite_wal(dbapi_connection, record) -> None:
    _sqlite_connect(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA journal_mode = WAL")


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


# --- failures ------------------------------------------------------------------------------------------

SQLITE = {
    "SQLITE_BUSY": ("the store is locked by another writer (waited {timeout:g} s); nothing was written",
                    "try again when the other kiyaku is done, or wait longer with KIYAKU_DB_TIMEOUT"),
    "SQLITE_READONLY": ("the store is read-only; nothing was written",
                        "give a store you may write to, or ask with --no-log"),
    "SQLITE_FULL": ("the disk holding the store is full; nothing was written", "free some space and try again"),
    "SQLITE_NOTADB": ("not a kiyaku store: the file is not a SQLite database", "name the store file kiyaku made"),
    "SQLITE_CORRUPT": ("the store file is damaged", "restore it from a backup"),
    "SQLITE_CANTOPEN": ("cannot open the store file", "check that its folder exists and that you may write there"),
    "SQLITE_IOERR": ("the store could not be read or written (I/O error); nothing was written",
                     "check the disk, then try again"),
    "SQLITE_PERM": ("not permitted to use the store file", "check the file's permissions"),
}
POSTGRES = {
    "55P03": SQLITE["SQLITE_BUSY"],
    "53100": SQLITE["SQLITE_FULL"],
    "25006": SQLITE["SQLITE_READONLY"],
    "42501": ("the database user may not do this", "grant the user rights on kiyaku's database"),
}


@contextmanager
def failures(name: str, timeout: float) -> Iterator[None]:
    """Database errors as one InputError naming the store; the transaction is rolled back by then."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        raise StoreFailure(Finding(name, None, *_explain(exc, timeout))) from None


def _explain(exc: sa.exc.DBAPIError, timeout: float) -> tuple[str, str | None]:
    orig = exc.orig
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if "append-only" in first:
        return first.removeprefix("kiyaku: "), "decisions and events are never changed; record a new one"
    code = getattr(orig, "sqlite_errorname", None)
    if code is not None:
        known = SQLITE.get(code) or next((v for k, v in SQLITE.items() if code.startswith(k + "_")), None)
    else:
        known = POSTGRES.get(getattr(orig, "sqlstate", None) or "")
        if known is None and isinstance(exc, sa.exc.OperationalError) and getattr(orig, "sqlstate", None) is None:
            known = (f"cannot reach the store: {first}", "check the URL, and that the server is running")
    if known is None:
        return f"the store failed: {first}", None
    message, hint = known
    return message.format(timeout=timeout), hint
