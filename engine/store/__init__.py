"""The case store and the decision log: the only part of kiyaku that speaks SQL.

    with open_store("kiyaku.db", create=True) as store:
        events.ingest(store, file_records([Path("a.jsonl")]))
        stream, records = events.stream(store, "SC-2001")
        decisions.record(store, decisions.new_decision(root, answer, text, "alice", records), root)

SQLite by default (one file), PostgreSQL by URL; SQLAlchemy Core, Alembic migrations (schema.py).
"""

from kiyaku.store.connect import DEFAULT, Store, configured, open_store

__all__ = ["DEFAULT", "Store", "configured", "open_store"]
