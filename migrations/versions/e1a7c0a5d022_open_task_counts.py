"""the open tasks counted per limit, unit, stage and item, kept as tasks open and leave the open state

时效统计's open tasks past their limit were counted from `ix_task_open_due` at each request: at a province's 1M
open tasks, a quarter of them overdue, that count read 265K index entries (35 ms). `open_task_count` holds the
counts (engine/tasks/open_counts.py), filled here from the open tasks; the index had no other reader.

Revision ID: e1a7c0a5d022
Revises: e1a7c0a5d021
Create Date: 2026-12-07 23:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d022"
down_revision = "e1a7c0a5d021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "open_task_count",
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(200), nullable=False, comment="the tasks' title"),
        sa.Column("item_id", sa.String(40), nullable=False),
        sa.Column("tasks", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("due_at", "org_id", "stage", "item_id"),
    )
    op.execute(
        "INSERT INTO open_task_count (due_at, org_id, stage, item_id, tasks)"
        " SELECT t.due_at, t.org_id, t.title, c.item_id, count(*) FROM task t"
        " JOIN case_instance c ON c.id = t.instance_id WHERE t.state = 'open' AND t.due_at IS NOT NULL"
        " GROUP BY t.due_at, t.org_id, t.title, c.item_id"
    )
    op.drop_index("ix_task_open_due", table_name="task")


def downgrade():
    op.create_index(
        "ix_task_open_due",
        "task",
        ["due_at", "org_id", "title"],
        postgresql_where=sa.text("state = 'open'"),
        sqlite_where=sa.text("state = 'open'"),
    )
    op.drop_table("open_task_count")
