"""SMS to applicants through an outbox written in the step's transaction

Revision ID: e1a7c0a5d012
Revises: e1a7c0a5d011
Create Date: 2026-12-04 20:00:00

"""

revision = "e1a7c0a5d012"
down_revision = "e1a7c0a5d011"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
