"""indexes that hold only what their listings read: running cases, open tasks, late cases

A concluded case or a done task adds no entry to the overdue, inbox and 考核 indexes, which are partial; the
overdue listings read their index in its own order (longest overdue first); open tasks past their limit are
counted from an index of open tasks alone.

Revision ID: e1a7c0a5d020
Revises: e1a7c0a5d019
Create Date: 2026-12-07 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d020"
down_revision = "e1a7c0a5d019"
branch_labels = None
depends_on = None

RUNNING_CASES = "status = 'running'"
CONCLUDED_LATE = "completed_at >= due_at"
OPEN_TASKS = "state = 'open'"
SCOPE_OF_RUNNING_CASES = "running_deadline IS NOT NULL"


def _where(condition: str) -> dict:
    return {"postgresql_where": sa.text(condition), "sqlite_where": sa.text(condition)}


def upgrade():
    op.drop_index("ix_case_instance_overdue", table_name="case_instance")
    op.create_index("ix_case_instance_overdue", "case_instance", ["next_deadline", "id"], **_where(RUNNING_CASES))
    op.create_index("ix_case_instance_running_due", "case_instance", ["due_at", "id"], **_where(RUNNING_CASES))
    op.create_index("ix_case_instance_concluded_late", "case_instance", ["due_at", "id"], **_where(CONCLUDED_LATE))
    op.drop_index("ix_case_scope_overdue", table_name="case_scope")
    op.create_index(
        "ix_case_scope_overdue",
        "case_scope",
        ["org_id", "subtree", "running_deadline", "instance_id"],
        **_where(SCOPE_OF_RUNNING_CASES),
    )
    op.drop_index("ix_task_inbox", table_name="task")
    op.create_index(
        "ix_task_inbox", "task", ["org_id", "due_at", "created_at", "role", "assignee_id", "id"], **_where(OPEN_TASKS)
    )
    op.drop_index("ix_task_assignee", table_name="task")
    op.create_index("ix_task_assignee", "task", ["assignee_id", "due_at", "created_at", "id"], **_where(OPEN_TASKS))
    op.create_index("ix_task_open_due", "task", ["due_at", "org_id", "title"], **_where(OPEN_TASKS))
    # an ended external task's variables were the case's data when it waited; the history keeps the worker's answer
    op.execute("UPDATE external_task SET variables = '{}' WHERE state <> 'open'")


def downgrade():
    op.drop_index("ix_task_open_due", table_name="task")
    op.drop_index("ix_task_assignee", table_name="task")
    op.create_index("ix_task_assignee", "task", ["assignee_id", "state", "due_at", "created_at", "id"])
    op.drop_index("ix_task_inbox", table_name="task")
    op.create_index("ix_task_inbox", "task", ["org_id", "state", "due_at", "created_at", "role", "assignee_id", "id"])
    op.drop_index("ix_case_scope_overdue", table_name="case_scope")
    op.create_index(
        "ix_case_scope_overdue", "case_scope", ["org_id", "subtree", "running_deadline", "started_at", "instance_id"]
    )
    op.drop_index("ix_case_instance_concluded_late", table_name="case_instance")
    op.drop_index("ix_case_instance_running_due", table_name="case_instance")
    op.drop_index("ix_case_instance_overdue", table_name="case_instance")
    op.create_index("ix_case_instance_overdue", "case_instance", ["status", "next_deadline"])
