"""messages sent to cases (Camunda 7 message REST) and what each case waits for

Revision ID: e1a7c0a5d005
Revises: e1a7c0a5d004
Create Date: 2026-12-03 13:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d005"
down_revision = "e1a7c0a5d004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "message_wait",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False, comment="the BPMN message name"),
        sa.Column("element_id", sa.String(length=100), nullable=False, comment="the waiting element's BPMN id"),
        sa.Column("title", sa.String(length=200), nullable=False, comment="the waiting element's name, for people"),
        sa.Column(
            "kind",
            sa.String(length=30),
            nullable=False,
            comment="engine.cases.waits: receive, catch, boundary…",
        ),
        sa.Column(
            "task_id", sa.String(length=36), nullable=True, comment="the waiting task; none for an event sub-process"
        ),
        sa.Column("org_id", sa.Integer(), nullable=True, comment="the unit holding the waiting step"),
        sa.Column("form_key", sa.String(length=60), nullable=True, comment="the form the message's variables must pass"),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("message_wait", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_wait_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index("ix_message_wait_name", ["name", "instance_id"], unique=False)


def downgrade():
    with op.batch_alter_table("message_wait", schema=None) as batch_op:
        batch_op.drop_index("ix_message_wait_name")
        batch_op.drop_index(batch_op.f("ix_message_wait_instance_id"))
    op.drop_table("message_wait")
