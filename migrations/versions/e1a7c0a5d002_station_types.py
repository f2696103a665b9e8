"""the kind of a 医保服务站 (驻医疗机构 or 驻乡镇卫生院), which items may name

Revision ID: e1a7c0a5d002
Revises: e1a7c0a5d001
Create Date: 2026-12-03 08:40:00

Stations already in the database keep no type until an administrator records one: an item limited
to some station types is then refused there with a message saying so.
"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d002"
down_revision = "e1a7c0a5d001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "station_type",
                sa.String(length=20),
                nullable=True,
                comment="a 医保服务站's kind (processes/catalog/vocabulary.toml station_types)",
            )
        )


def downgrade():
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_column("station_type")
