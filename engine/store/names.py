"""Which store a command names, worked out without SQLAlchemy: a command reading event files asks this
before it knows whether it needs a database at all."""

from __future__ import annotations

import os

DEFAULT = "kiyaku.db"


def configured(db: str | None) -> str | None:
    """The store the user named (`--db`, else $KIYAKU_DB), or None when none was named."""
    return db or os.environ.get("KIYAKU_DB") or None
