"""sprints: control_seq, controlled_at and phase_extended_min

A host control names the sprint state it was meant for (``control_seq`` for a card button, the
time it was sent against ``controlled_at`` for a command), so a double-click on Skip or two
managers' /sprint skip at once move the sprint on once; ``phase_extended_min`` lets
/sprint extend keep a phase within the bounds for its kind. Existing sprints start with no controls (0, NULL) and no extension (0).

Revision ID: 0002_sprint_controls
Revises: b11_outbox_topics
Create Date: 2026-11-29 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0002_sprint_controls"
down_revision: str | None = "b11_outbox_topics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD/DROP COLUMN on both databases (SQLite has both since 3.35). A batch "move and copy"
# would drop the sprints table, and with foreign keys on that cascades into every row pointing at
# a sprint (participants, goals, check-ins).


def upgrade() -> None:
    op.add_column(
        "sprints", sa.Column("control_seq", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "sprints",
        sa.Column("controlled_at", db.models.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "sprints",
        sa.Column("phase_extended_min", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE sprints DROP COLUMN phase_extended_min")
    op.execute("ALTER TABLE sprints DROP COLUMN controlled_at")
    op.execute("ALTER TABLE sprints DROP COLUMN control_seq")
