"""external tasks (Camunda 7 external-task REST) and the worker credentials that fetch them

Revision ID: e1a7c0a5d004
Revises: e1a7c0a5d003
Create Date: 2026-12-03 13:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d004"
down_revision = "e1a7c0a5d003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("key_id", sa.String(length=24), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False, comment="the top of the worker's scope"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("key_id"),
    )
    op.create_table(
        "external_task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("business_key", sa.String(length=40), nullable=True, comment="the case's 办件编号"),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("activity_id", sa.String(length=100), nullable=False),
        sa.Column("activity_name", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False, comment="the task data when the task started waiting"),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=255), nullable=True),
        sa.Column("lock_expires_at", sa.DateTime(), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("retry_at", sa.DateTime(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("external_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_task_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_external_task_business_key"), ["business_key"], unique=False)
        batch_op.create_index("ix_external_task_fetch", ["topic", "state", "lock_expires_at"], unique=False)
        batch_op.create_index("ix_external_task_incident", ["state", "retries"], unique=False)


def downgrade():
    op.drop_table("external_task")
    op.drop_table("worker_credential")
