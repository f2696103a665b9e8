"""SMS to applicants through an outbox written in the step's transaction

Revision ID: e1a7c0a5d012
Revises: e1a7c0a5d011
Create Date: 2026-12-04 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d012"
down_revision = "e1a7c0a5d011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sms_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False, comment="a message kind of engine/data/sms.toml"),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False, comment="pending, sending, sent or failed"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("gateway_ref", sa.String(length=100), nullable=True, comment="the gateway's id of the delivery"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_sms_message_due", "sms_message", ["state", "next_attempt_at"], unique=False)
    op.create_index("ix_sms_message_instance_id", "sms_message", ["instance_id"], unique=False)


def downgrade():
    op.drop_index("ix_sms_message_instance_id", table_name="sms_message")
    op.drop_index("ix_sms_message_due", table_name="sms_message")
    op.drop_table("sms_message")
