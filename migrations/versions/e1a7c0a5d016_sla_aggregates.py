"""SLA and 考核 figures from per day x unit x item x stage aggregates

Revision ID: e1a7c0a5d016
Revises: e1a7c0a5d015
Create Date: 2026-12-04 20:40:00

"""

revision = "e1a7c0a5d016"
down_revision = "e1a7c0a5d015"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
