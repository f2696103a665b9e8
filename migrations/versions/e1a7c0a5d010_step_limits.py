"""limits on every human step: defaults per pattern, per item and region overrides

Revision ID: e1a7c0a5d010
Revises: e1a7c0a5d009
Create Date: 2026-12-04 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d010"
down_revision = "e1a7c0a5d009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "step_limit_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column(
            "step",
            sa.String(length=300),
            nullable=False,
            comment="the step's path from the process, e.g. hand_over/hand_over",
        ),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=80), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "process_key", "step", name="uq_step_limit_override"),
    )
    op.create_index(op.f("ix_step_limit_override_region"), "step_limit_override", ["region"], unique=False)
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("limit_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("limit_source", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("limit_inferred", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("task") as batch:
        batch.drop_column("limit_inferred")
        batch.drop_column("limit_source")
        batch.drop_column("limit_days")
    op.drop_index(op.f("ix_step_limit_override_region"), table_name="step_limit_override")
    op.drop_table("step_limit_override")
