"""API tokens for `kiyaku serve`: who may ask, read, ingest or review decisions. A token's secret is
kept only as its SHA-256 digest (the secret is 256 random bits: no dictionary to guard against, so a
slow hash would add nothing). Tokens are never changed: revoking one adds a row to token_revocations.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

from kiyaku.store.migrations.append_only import forbid_changes

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(16), primary_key=True),  # public: shown by `kiyaku token list`
        sa.Column("user", sa.Text, nullable=False),  # recorded as asked_by in every decision it asks for
        sa.Column("role", sa.Text, nullable=False),  # agent | legal | ingest
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_table(
        "token_revocations",
        sa.Column("token", sa.String(16), sa.ForeignKey("tokens.id"), primary_key=True),
        sa.Column("revoked_at", WHEN, nullable=False),
        sa.Column("revoked_by", sa.Text, nullable=False),
    )
    for table in ("tokens", "token_revocations"):
        forbid_changes(table)
