"""考核 figures per unit and stage: no schema change was needed (the figures are read from task and case rows);
kept so that the revision chain stays as databases recorded it

Revision ID: e1a7c0a5d013
Revises: e1a7c0a5d012
Create Date: 2026-12-04 20:00:00

"""

revision = "e1a7c0a5d013"
down_revision = "e1a7c0a5d012"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
