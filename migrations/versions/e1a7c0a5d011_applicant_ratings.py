"""好差评 by the applicant: the rated stage and unit, 整改 and 回访 outcomes

Revision ID: e1a7c0a5d011
Revises: e1a7c0a5d010
Create Date: 2026-12-04 20:00:00

"""

from alembic import op
import sqlalchemy as sa

revision = "e1a7c0a5d011"
down_revision = "e1a7c0a5d010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=10), nullable=False, server_default="window"))
        batch_op.add_column(sa.Column("stage", sa.String(length=200), nullable=True))
        batch_op.alter_column("recorded_by_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_rating_org_recorded", ["responsible_org_id", "recorded_at"], unique=False)


def downgrade():
    # Ratings the applicants gave online have no recording user: the older schema cannot hold them.
    op.execute("DELETE FROM rating WHERE recorded_by_id IS NULL")
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_org_recorded")
        batch_op.alter_column("recorded_by_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("stage")
        batch_op.drop_column("channel")
