"""timers on time: what the timer workers need to wake at the next due instant

Revision ID: e1a7c0a5d017
Revises: e1a7c0a5d016
Create Date: 2026-12-04 20:40:00

"""

revision = "e1a7c0a5d017"
down_revision = "e1a7c0a5d016"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
