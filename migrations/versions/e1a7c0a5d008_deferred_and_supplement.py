"""容缺受理 promises and the 补正 period: deferred materials and supplement deadlines

Revision ID: e1a7c0a5d008
Revises: e1a7c0a5d007
Create Date: 2026-12-04 20:00:00

The 补正 period needs no table of its own: it is a timer of the notice_supplement diagram (the `timer` table);
a case it ends gets the status `not_accepted` in the existing string column.
"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d008"
down_revision = "e1a7c0a5d007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "promise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False, comment="the accepting window"),
        sa.Column("materials", sa.JSON(), nullable=False, comment="deferred materials, as the item names them"),
        sa.Column("outstanding", sa.JSON(), nullable=False, comment="those not yet brought in"),
        sa.Column("promised_on", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False, comment="24:00 of the promised day"),
        sa.Column("state", sa.String(length=20), nullable=False, comment="open | fulfilled | lapsed (the application was refused)"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("chased_at", sa.DateTime(), nullable=True, comment="when 催补 went out (the promised day passed)"),
        sa.Column("fulfilled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id"),
    )
    op.create_index("ix_promise_open_due", "promise", ["state", "due_at"], unique=False)
    op.create_index(op.f("ix_promise_org_id"), "promise", ["org_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_promise_org_id"), table_name="promise")
    op.drop_index("ix_promise_open_due", table_name="promise")
    op.drop_table("promise")
