"""好差评 by the applicant: the rated stage and unit, 整改 and 回访 outcomes

Revision ID: e1a7c0a5d011
Revises: e1a7c0a5d010
Create Date: 2026-12-04 20:00:00

"""

revision = "e1a7c0a5d011"
down_revision = "e1a7c0a5d010"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
