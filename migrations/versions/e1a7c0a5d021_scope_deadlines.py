"""a running case's deadline under each of its scope rows in a table of its own, so scope rows never change

The deadline changes at most steps; kept on `case_scope` it rewrote every scope row of the case each time, and
the old versions' entries left that table's indexes two-thirds empty. `case_scope_deadline` holds rows of running
cases with a deadline only; a concluded case leaves none. The region columns' comments become the models' (they
differed since e1a7c0a5d019, so `flask db check` reported them).

Revision ID: e1a7c0a5d021
Revises: e1a7c0a5d020
Create Date: 2026-12-07 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d021"
down_revision = "e1a7c0a5d020"
branch_labels = None
depends_on = None

CASE_TABLES = (
    "task",
    "audit_event",
    "rating",
    "timer",
    "transfer",
    "attachment",
    "claimed_invoice",
    "external_task",
    "message_wait",
    "collection",
    "proxy_mandate",
    "sms_message",
    "promise",
    "case_scope",
)
CASE_REGION = "the case's region (distribution column)"
ITEM_REGION = "the item's region (丰城市): the distribution column"


def upgrade():
    op.create_table(
        "case_scope_deadline",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(100), nullable=False, comment=CASE_REGION),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("subtree", sa.Boolean(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("instance_id", "org_id", "subtree"),
    )
    op.execute(
        "INSERT INTO case_scope_deadline (instance_id, region, org_id, subtree, deadline)"
        " SELECT instance_id, region, org_id, subtree, running_deadline FROM case_scope"
        " WHERE running_deadline IS NOT NULL"
    )
    op.create_index(
        "ix_case_scope_deadline_overdue", "case_scope_deadline", ["org_id", "subtree", "deadline", "instance_id"]
    )
    op.drop_index("ix_case_scope_overdue", table_name="case_scope")
    with op.batch_alter_table("case_scope") as batch:
        batch.drop_column("running_deadline")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("case_instance", "region", existing_type=sa.String(100), comment=ITEM_REGION)
        for table in CASE_TABLES:
            op.alter_column(table, "region", existing_type=sa.String(100), comment=CASE_REGION)


def downgrade():
    with op.batch_alter_table("case_scope") as batch:
        batch.add_column(sa.Column("running_deadline", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE case_scope SET running_deadline = (SELECT deadline FROM case_scope_deadline d"
        " WHERE d.instance_id = case_scope.instance_id AND d.org_id = case_scope.org_id"
        " AND d.subtree = case_scope.subtree)"
    )
    op.create_index(
        "ix_case_scope_overdue",
        "case_scope",
        ["org_id", "subtree", "running_deadline", "instance_id"],
        postgresql_where=sa.text("running_deadline IS NOT NULL"),
        sqlite_where=sa.text("running_deadline IS NOT NULL"),
    )
    op.drop_index("ix_case_scope_deadline_overdue", table_name="case_scope_deadline")
    op.drop_table("case_scope_deadline")
