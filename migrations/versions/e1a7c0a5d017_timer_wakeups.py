"""timers on time: what the timer workers need to wake at the next due instant

A timer row says whether it is a marker (a 即将超期 whose path only ends, fired without loading the
workflow); the next retry among incidents is one partial-index read. Existing rows stay non-markers:
they fire through the workflow, as before.

Revision ID: e1a7c0a5d017
Revises: e1a7c0a5d016
Create Date: 2026-12-04 20:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "e1a7c0a5d017"
down_revision = "e1a7c0a5d016"
branch_labels = None
depends_on = None

WAITING_INCIDENTS = "state = 'waiting' AND retry_at IS NOT NULL"


def upgrade():
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "marker",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="fires without loading the workflow: a 即将超期 whose path only ends (engine/timers/markers.py)",
            )
        )
        batch_op.create_index(
            "ix_timer_retry",
            ["retry_at"],
            unique=False,
            sqlite_where=sa.text(WAITING_INCIDENTS),
            postgresql_where=sa.text(WAITING_INCIDENTS),
        )


def downgrade():
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.drop_index("ix_timer_retry")
        batch_op.drop_column("marker")
