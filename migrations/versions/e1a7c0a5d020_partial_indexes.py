"""indexes that hold only what their listings read: running cases, open tasks, late cases

A concluded case or a done task adds no entry to the overdue, inbox and 考核 indexes, which are partial; the
overdue listings read their index in its own order (longest overdue first); open tasks past their limit are
counted from an index of open tasks alone; applications accepted under a 委托 are a daily count (`proxy`), filled
here from the mandates recorded so far.

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


def _proxy_counts(dialect: str) -> str:
    """The mandates per Asia/Shanghai day and month × accepting unit × item, added to sla_count's case rows."""
    if dialect == "sqlite":
        day, month = "date(m.accepted_at, '+8 hours')", "date(m.accepted_at, '+8 hours', 'start of month')"
    else:
        day = "CAST(m.accepted_at + INTERVAL '8 hours' AS DATE)"
        month = "CAST(date_trunc('month', m.accepted_at + INTERVAL '8 hours') AS DATE)"
    return " UNION ALL ".join(
        f"SELECT '{span}' AS span, {start} AS day, c.org_id, c.item_id, count(*) AS n"
        f" FROM proxy_mandate m JOIN case_instance c ON c.id = m.instance_id GROUP BY {start}, c.org_id, c.item_id"
        for span, start in (("day", day), ("month", month))
    )


def upgrade():
    op.drop_index("ix_case_instance_overdue", table_name="case_instance")
    op.create_index("ix_case_instance_overdue", "case_instance", ["next_deadline", "id"], **_where(RUNNING_CASES))
    op.create_index("ix_case_instance_running_due", "case_instance", ["due_at", "id"], **_where(RUNNING_CASES))
    op.create_index("ix_case_instance_concluded_late", "case_instance", ["due_at", "id"], **_where(CONCLUDED_LATE))
    # walked for late cases instead of the partial indexes, whose size the planner cannot estimate
    op.drop_index("ix_case_instance_due_at", table_name="case_instance")
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
    op.add_column(
        "sla_count",
        sa.Column(
            "proxy", sa.Integer(), nullable=False, server_default="0", comment="applications accepted under a 委托"
        ),
    )
    op.execute(
        "INSERT INTO sla_count (span, day, org_id, item_id, stage, proxy)"
        f" SELECT span, day, org_id, item_id, '', n FROM ({_proxy_counts(op.get_bind().dialect.name)}) AS counted"
        " WHERE true ON CONFLICT (span, day, org_id, item_id, stage) DO UPDATE SET proxy = excluded.proxy"
    )
    # an ended external task's variables were the case's data when it waited; the history keeps the worker's answer
    op.execute("UPDATE external_task SET variables = '{}' WHERE state <> 'open'")


def downgrade():
    with op.batch_alter_table("sla_count") as batch:
        batch.drop_column("proxy")
    op.drop_index("ix_task_open_due", table_name="task")
    op.drop_index("ix_task_assignee", table_name="task")
    op.create_index("ix_task_assignee", "task", ["assignee_id", "state", "due_at", "created_at", "id"])
    op.drop_index("ix_task_inbox", table_name="task")
    op.create_index("ix_task_inbox", "task", ["org_id", "state", "due_at", "created_at", "role", "assignee_id", "id"])
    op.drop_index("ix_case_scope_overdue", table_name="case_scope")
    op.create_index(
        "ix_case_scope_overdue", "case_scope", ["org_id", "subtree", "running_deadline", "started_at", "instance_id"]
    )
    op.create_index("ix_case_instance_due_at", "case_instance", ["due_at"])
    op.drop_index("ix_case_instance_concluded_late", table_name="case_instance")
    op.drop_index("ix_case_instance_running_due", table_name="case_instance")
    op.drop_index("ix_case_instance_overdue", table_name="case_instance")
    op.create_index("ix_case_instance_overdue", "case_instance", ["status", "next_deadline"])
