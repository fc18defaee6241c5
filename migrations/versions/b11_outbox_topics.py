"""outbox rows carry a topic; delivery keeps which topics are closed

Revision ID: b11_outbox_topics
Revises: w17_web
Create Date: 2026-11-29 13:40:00

Delivery no longer reads the sprints table: a row names its ``topic`` (``sprint:<id>`` for a
sprint's rows, ``accountability`` for the weekly thread's), a service closes a topic when it is
over (a sprint ended), and the sender drops retried edits of a topic closed more than a grace ago.
Existing rows get the topic their sprint id or ref implied; ended sprints' topics are closed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "b11_outbox_topics"
down_revision: str | None = "w17_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "closed_topics",
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("closed_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_closed_topics")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_outbox_topic", ["topic"], unique=False)

    op.execute(
        "UPDATE outbox SET topic = 'sprint:' || CAST(sprint_id AS VARCHAR(20)) "
        "WHERE sprint_id IS NOT NULL"
    )
    op.execute(
        "UPDATE outbox SET topic = 'accountability' WHERE topic IS NULL AND ("
        "substr(ref, 1, 4) = 'acc_' OR substr(channel_ref, 1, 4) = 'acc_' "
        "OR substr(target_ref, 1, 4) = 'acc_')"
    )
    op.execute(
        "INSERT INTO closed_topics (topic, closed_at) "
        "SELECT 'sprint:' || CAST(id AS VARCHAR(20)), COALESCE(ended_at, created_at) "
        "FROM sprints WHERE status IN ('finished', 'cancelled')"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_topic")
        batch_op.drop_column("topic")
    op.drop_table("closed_topics")
