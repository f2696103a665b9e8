"""storage a third of today: compressed workflow state, slim concluded cases, table storage settings

Revision ID: e1a7c0a5d018
Revises: e1a7c0a5d017
Create Date: 2026-12-04 20:40:00

"""

revision = "e1a7c0a5d018"
down_revision = "e1a7c0a5d017"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
