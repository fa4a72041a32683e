"""The terms and rules a decision was given under, kept whole, so that replaying a decision can say
which provisions' change moved its answer. Decisions recorded before this revision keep their
digests only.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

from kiyaku.store.migrations.append_only import forbid_changes

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definitions",
        sa.Column("terms_sha256", sa.String(64), primary_key=True),
        sa.Column("rules_sha256", sa.String(64), primary_key=True),
        sa.Column("archive", sa.LargeBinary, nullable=False),  # tar.gz of terms/ and rules/
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    )
    forbid_changes("definitions")

