"""listings flat in the number of cases: the overdue condition and the scope paths as indexed columns

Revision ID: e1a7c0a5d015
Revises: e1a7c0a5d014
Create Date: 2026-12-04 20:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d015"
down_revision = "e1a7c0a5d014"
branch_labels = None
depends_on = None

ENDED = "('concluded', 'terminated', 'not_accepted')"
PENDING = "('open', 'suspended')"

# The earliest pending deadline of each case: its own limit or an open (or held) task's; none once ended.
NEXT_DEADLINE = f"""
UPDATE case_instance SET next_deadline = CASE WHEN case_instance.status IN {ENDED} THEN NULL ELSE (
    SELECT CASE
        WHEN min(task.due_at) IS NULL THEN case_instance.due_at
        WHEN case_instance.due_at IS NULL OR min(task.due_at) < case_instance.due_at THEN min(task.due_at)
        ELSE case_instance.due_at
    END
    FROM task WHERE task.instance_id = case_instance.id AND task.state IN {PENDING}
) END
"""
# The units each case is listed under: the accepting unit and every task's, and all units above them.
OWN_UNITS = """
INSERT INTO case_scope (instance_id, org_id, subtree, started_at)
SELECT id, org_id, FALSE, started_at FROM case_instance
UNION
SELECT task.instance_id, task.org_id, FALSE, case_instance.started_at
FROM task JOIN case_instance ON case_instance.id = task.instance_id
"""
SUBTREES = """
WITH RECURSIVE up(unit_id, above_id) AS (
    SELECT id, id FROM org_unit
    UNION ALL
    SELECT up.unit_id, org_unit.parent_id FROM up JOIN org_unit ON org_unit.id = up.above_id
    WHERE org_unit.parent_id IS NOT NULL
)
INSERT INTO case_scope (instance_id, org_id, subtree, started_at)
SELECT DISTINCT own.instance_id, up.above_id, TRUE, own.started_at
FROM case_scope AS own JOIN up ON up.unit_id = own.org_id
WHERE own.subtree = FALSE
"""

# Each scope row carries its case's next deadline while the case runs.
RUNNING_DEADLINES = """
UPDATE case_scope SET running_deadline = (
    SELECT case_instance.next_deadline FROM case_instance
    WHERE case_instance.id = case_scope.instance_id AND case_instance.status = 'running'
)
"""


def upgrade():
    op.add_column(
        "case_instance",
        sa.Column(
            "next_deadline",
            sa.DateTime(),
            nullable=True,
            comment="the earliest pending deadline, the case's or an open task's (engine/cases/overdue.py); none once ended",
        ),
    )
    op.execute(NEXT_DEADLINE)
    op.create_index("ix_case_instance_overdue", "case_instance", ["status", "next_deadline"], unique=False)
    op.create_index("ix_case_instance_started", "case_instance", ["started_at", "id"], unique=False)
    op.create_table(
        "case_scope",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("subtree", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("running_deadline", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("instance_id", "org_id", "subtree"),
    )
    op.execute(OWN_UNITS)
    op.execute(SUBTREES)
    op.execute(RUNNING_DEADLINES)
    op.create_index(
        "ix_case_scope_listing", "case_scope", ["org_id", "subtree", "started_at", "instance_id"], unique=False
    )
    op.create_index(
        "ix_case_scope_overdue",
        "case_scope",
        ["org_id", "subtree", "running_deadline", "started_at", "instance_id"],
        unique=False,
    )
    # Inboxes in their order (earliest due first, none last, then oldest) from the index, role and holder in it.
    op.drop_index("ix_task_inbox", table_name="task")
    op.create_index(
        "ix_task_inbox", "task", ["org_id", "state", "due_at", "created_at", "role", "assignee_id", "id"], unique=False
    )
    op.drop_index("ix_task_assignee", table_name="task")
    op.create_index("ix_task_assignee", "task", ["assignee_id", "state", "due_at", "created_at", "id"], unique=False)


def downgrade():
    op.drop_index("ix_task_assignee", table_name="task")
    op.create_index("ix_task_assignee", "task", ["assignee_id", "state"], unique=False)
    op.drop_index("ix_task_inbox", table_name="task")
    op.create_index("ix_task_inbox", "task", ["org_id", "role", "state", "due_at"], unique=False)
    op.drop_index("ix_case_scope_overdue", table_name="case_scope")
    op.drop_index("ix_case_scope_listing", table_name="case_scope")
    op.drop_table("case_scope")
    op.drop_index("ix_case_instance_started", table_name="case_instance")
    op.drop_index("ix_case_instance_overdue", table_name="case_instance")
    op.drop_column("case_instance", "next_deadline")
