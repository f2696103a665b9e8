"""福州 手工报销 and 定点医药机构 协议管理 flows: no schema change was needed (both run on the existing tables);
kept so that the revision chain stays as databases recorded it

Revision ID: e1a7c0a5d014
Revises: e1a7c0a5d013
Create Date: 2026-12-04 20:00:00

"""

revision = "e1a7c0a5d014"
down_revision = "e1a7c0a5d013"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
