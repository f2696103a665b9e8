"""统一窗口出件 and 帮办代办: how a result reached the applicant, and the 委托 of an agent

Revision ID: e1a7c0a5d009
Revises: e1a7c0a5d008
Create Date: 2026-12-04 20:00:00

"""

revision = "e1a7c0a5d009"
down_revision = "e1a7c0a5d008"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
