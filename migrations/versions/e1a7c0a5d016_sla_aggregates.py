"""SLA and 考核 figures from per day (and month) x unit x item x stage aggregates

Revision ID: e1a7c0a5d016
Revises: e1a7c0a5d015
Create Date: 2026-12-04 20:40:00

After upgrading, `flask --app wsgi sla rebuild` computes the table from the cases, tasks and events already
stored; from then on every step keeps it (engine/cases/tallies.py).
"""

import sqlalchemy as sa
from alembic import op

COUNTS = (
    "closed",
    "closed_on_time",
    "closed_late",
    "rectified",
    "rectified_on_time",
    "rectified_late",
    "stage_done",
    "stage_on_time",
    "stage_late",
    "stage_working_days",
    "approved",
    "rejected",
    "supplement",
    "not_accepted",
)

revision = "e1a7c0a5d016"
down_revision = "e1a7c0a5d015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sla_count",
        sa.Column("span", sa.String(5), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("item_id", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(200), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False, server_default="0") for name in COUNTS),
        sa.PrimaryKeyConstraint("span", "day", "org_id", "item_id", "stage"),
    )
    op.create_index("ix_sla_count_unit", "sla_count", ["span", "org_id", "day"])


def downgrade():
    op.drop_index("ix_sla_count_unit", table_name="sla_count")
    op.drop_table("sla_count")
