"""The first store: contracts, their events, and the decision log.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from kiyaku.store.migrations.append_only import forbid_changes

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite's rowid is an INTEGER PRIMARY KEY
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("agreement", sa.Text, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("pk", PK, primary_key=True, autoincrement=True),
        sa.Column("contract", sa.Text, sa.ForeignKey("contracts.id"), nullable=False),
        # The event's identity within its contract: "id:<its id>", or for an event without an id
        # "sha256:<digest of its content>#<n>", n counting identical events of one input.
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),  # the event as given, JSON
        sa.Column("source", sa.Text, nullable=False),  # the file it was ingested from, and its line
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("ingested_at", WHEN, nullable=False),
        sa.UniqueConstraint("contract", "key", name="events_identity"),
    )
    op.create_index("events_of_contract", "events", ["contract", "pk"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("asked_at", WHEN, nullable=False),
        sa.Column("asked_by", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("contract", sa.Text, nullable=False),
        sa.Column("as_of", sa.Text),
        sa.Column("answer", sa.Text),
        sa.Column("amount", sa.BigInteger),
        sa.Column("citations", sa.Text, nullable=False),  # JSON list
        sa.Column("answer_json", sa.Text, nullable=False),
        sa.Column("given", sa.Text, nullable=False),  # exactly what the asker was shown
        sa.Column("kiyaku_version", sa.Text, nullable=False),
        sa.Column("terms_sha256", sa.String(64), nullable=False),
        sa.Column("rules_sha256", sa.String(64), nullable=False),
        sa.Column("events_sha256", sa.String(64), nullable=False),
        sa.Column("events", sa.Text, nullable=False),  # JSON list of {source, line, event}
    )
    op.create_index("decisions_of_contract", "decisions", ["contract", "asked_at"])
    op.create_index("decisions_by_time", "decisions", ["asked_at"])
    for table in ("contracts", "events", "decisions"):
        forbid_changes(table)

