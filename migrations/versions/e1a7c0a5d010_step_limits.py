"""limits on every human step: defaults per pattern, per item and region overrides

Revision ID: e1a7c0a5d010
Revises: e1a7c0a5d009
Create Date: 2026-12-04 20:00:00

"""

revision = "e1a7c0a5d010"
down_revision = "e1a7c0a5d009"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
