"""The case store and the decision log: the only part of kiyaku that speaks SQL.

    with open_store("kiyaku.db", create=True) as store:
        events.ingest(store, file_records([Path("a.jsonl")]))
        stream, records = events.stream(store, "SC-2001")
        decisions.record(store, decisions.new_decision(root, answer, text, "alice", records), root)

SQLite by default (one file), PostgreSQL by URL; SQLAlchemy Core, Alembic migrations (schema.py).
"""

from typing import Any

from kiyaku.store.names import DEFAULT, configured

__all__ = ["DEFAULT", "Store", "configured", "open_store"]


def __getattr__(name: str) -> Any:
    # SQLAlchemy takes half a second to import: only a command that opens a store pays for it, not one
    # that reads event files and asks `configured` whether a store was named.
    if name in ("Store", "open_store"):
        from kiyaku.store import connect

        return getattr(connect, name)
    raise AttributeError(f"module 'kiyaku.store' has no attribute {name!r}")
