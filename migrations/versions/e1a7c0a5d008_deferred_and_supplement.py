"""容缺受理 promises and the 补正 period: deferred materials and supplement deadlines

Revision ID: e1a7c0a5d008
Revises: e1a7c0a5d007
Create Date: 2026-12-04 20:00:00

"""

revision = "e1a7c0a5d008"
down_revision = "e1a7c0a5d007"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
