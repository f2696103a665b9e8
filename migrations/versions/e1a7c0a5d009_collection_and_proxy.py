"""统一窗口出件 and 帮办代办: how a result reached the applicant, and the 委托 of an agent

Revision ID: e1a7c0a5d009
Revises: e1a7c0a5d008
Create Date: 2026-12-04 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d009"
down_revision = "e1a7c0a5d008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False, comment="the window that handed the result out"),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("tracking_no", sa.String(length=40), nullable=True),
        sa.Column("recipient", sa.String(length=30), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("collected_at", sa.DateTime(), nullable=False),
        sa.Column("collected_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["collected_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_collection_instance_id", "collection", ["instance_id"], unique=False)
    op.create_table(
        "proxy_mandate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False, comment="the accepting unit, whose 代办 it counts"),
        sa.Column("agent_name", sa.String(length=30), nullable=False),
        sa.Column("agent_id_number", sa.String(length=18), nullable=False),
        sa.Column("agent_mobile", sa.String(length=11), nullable=True),
        sa.Column("relation", sa.String(length=30), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["accepted_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id"),
    )
    op.create_index("ix_proxy_mandate_org_accepted", "proxy_mandate", ["org_id", "accepted_at"], unique=False)


def downgrade():
    op.drop_index("ix_proxy_mandate_org_accepted", table_name="proxy_mandate")
    op.drop_table("proxy_mandate")
    op.drop_index("ix_collection_instance_id", table_name="collection")
    op.drop_table("collection")
