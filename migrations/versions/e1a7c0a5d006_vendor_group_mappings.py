"""each region's mapping of vendor candidate groups to this product's roles

Revision ID: e1a7c0a5d006
Revises: e1a7c0a5d005
Create Date: 2026-12-03 13:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d006"
down_revision = "e1a7c0a5d005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "group_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "region",
            sa.String(length=100),
            nullable=False,
            comment="a region's name (丰城市), as ProcessDefinition.region",
        ),
        sa.Column(
            "group_name",
            sa.String(length=100),
            nullable=False,
            comment="the group as diagrams write it, compared without case",
        ),
        sa.Column(
            "role",
            sa.String(length=40),
            nullable=False,
            comment="a role code of engine/data/roles.toml, or a lane alias's",
        ),
        sa.Column("set_by", sa.String(length=60), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("region", "group_name"),
    )
    op.create_index(op.f("ix_group_role_region"), "group_role", ["region"], unique=False)
    with op.batch_alter_table("process_definition") as batch:
        batch.add_column(
            sa.Column(
                "forms",
                sa.JSON(),
                nullable=True,
                comment="form key → description of each vendor form the diagram describes (engine/bpmn/vendor_forms.py)",
            )
        )


def downgrade():
    with op.batch_alter_table("process_definition") as batch:
        batch.drop_column("forms")
    op.drop_index(op.f("ix_group_role_region"), table_name="group_role")
    op.drop_table("group_role")
