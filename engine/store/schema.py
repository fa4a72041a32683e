"""The store's tables as this version of kiyaku reads and writes them, and the schema version that goes
with them. The tables are created and changed only by the migrations in migrations/versions (run here,
in the caller's transaction): a store made by an older kiyaku is upgraded in place when it is opened."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Column, MetaData, Table

from kiyaku.errors import Finding, InputError

VERSION_TABLE = "kiyaku_schema"
SCHEMA = "0003"  # the newest migration (a test holds it to alembic's head)
WHEN = sa.DateTime(timezone=True)
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = MetaData()
contracts = Table("contracts", metadata, Column("id", sa.Text, primary_key=True),
                  Column("agreement", sa.Text, nullable=False), Column("created_at", WHEN, nullable=False))
events = Table("events", metadata, Column("pk", PK, primary_key=True, autoincrement=True),
               Column("contract", sa.Text, nullable=False), Column("key", sa.Text, nullable=False),
               Column("type", sa.Text, nullable=False), Column("digest", sa.String(64), nullable=False),
               Column("body", sa.Text, nullable=False), Column("source", sa.Text, nullable=False),
               Column("line", sa.Integer, nullable=False), Column("ingested_at", WHEN, nullable=False))
decisions = Table("decisions", metadata, Column("id", sa.String(36), primary_key=True),
                  Column("asked_at", WHEN, nullable=False), Column("asked_by", sa.Text, nullable=False),
                  Column("question", sa.Text, nullable=False), Column("contract", sa.Text, nullable=False),
                  Column("as_of", sa.Text), Column("answer", sa.Text), Column("amount", sa.BigInteger),
                  Column("citations", sa.Text, nullable=False), Column("answer_json", sa.Text, nullable=False),
                  Column("given", sa.Text, nullable=False), Column("kiyaku_version", sa.Text, nullable=False),
                  Column("terms_sha256", sa.String(64), nullable=False),
                  Column("rules_sha256", sa.String(64), nullable=False),
                  Column("events_sha256", sa.String(64), nullable=False), Column("events", sa.Text, nullable=False))
definitions = Table("definitions", metadata, Column("terms_sha256", sa.String(64), primary_key=True),
                    Column("rules_sha256", sa.String(64), primary_key=True),
                    Column("archive", sa.LargeBinary, nullable=False), Column("stored_at", WHEN, nullable=False))
tokens = Table("tokens", metadata, Column("id", sa.String(16), primary_key=True), Column("user", sa.Text, nullable=False),
               Column("role", sa.Text, nullable=False), Column("secret_sha256", sa.String(64), nullable=False),
               Column("created_at", WHEN, nullable=False), Column("created_by", sa.Text, nullable=False))
token_revocations = Table("token_revocations", metadata, Column("token", sa.String(16), primary_key=True),
                          Column("revoked_at", WHEN, nullable=False), Column("revoked_by", sa.Text, nullable=False))


def version(conn: sa.Connection) -> str | None:
    """The schema version of the store, None when it has none (empty, or not a kiyaku store)."""
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def needs_upgrade(conn: sa.Connection, name: str, create: bool) -> bool:
    """Whether the store must be migrated; an InputError when it is not one kiyaku can use."""
    found = version(conn)
    if found == SCHEMA:
        return False
    if found is None:
        if sa.inspect(conn).get_table_names():
            raise InputError(Finding(name, None, "not a kiyaku store: it holds tables kiyaku did not create",
                                     "give kiyaku a database of its own (a new file, or an empty PostgreSQL database)"))
        if not create:
            raise InputError(Finding(name, None, "no kiyaku store here yet",
                                     "create it with `kiyaku ingest EVENTS… --db` naming it, or give event files"))
    elif found not in _known():
        raise InputError(Finding(name, None, f"the store has schema {found}, newer than this kiyaku knows "
                                 f"(up to {SCHEMA})", "upgrade kiyaku to read it; the store was left as it is"))
    return True


def upgrade(conn: sa.Connection, to: str = "head") -> None:
    """Run the migrations up to `to` on `conn`, inside the transaction the caller holds."""
    from alembic import command

    config = _config()
    config.attributes["connection"] = conn
    command.upgrade(config, to)


def _config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "kiyaku.store:migrations")
    return config


def _known() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()
