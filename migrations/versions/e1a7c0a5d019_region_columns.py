"""every tenant table carries its region, so the schema distributes by region

Revision ID: e1a7c0a5d019
Revises: e1a7c0a5d018
Create Date: 2026-12-04 20:40:00

"""

revision = "e1a7c0a5d019"
down_revision = "e1a7c0a5d018"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
