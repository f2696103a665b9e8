"""首问负责 referrals: what a window recorded when it sent an applicant to another unit

Revision ID: e1a7c0a5d007
Revises: e1a7c0a5d006
Create Date: 2026-12-03 14:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d007"
down_revision = "e1a7c0a5d006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False, comment="the window unit that was asked first"),
        sa.Column("referred_to_id", sa.Integer(), nullable=False, comment="the unit the applicant was sent to"),
        sa.Column("item_id", sa.String(length=40), nullable=True, comment="a catalogue item; none for a plain enquiry"),
        sa.Column("item_name", sa.String(length=200), nullable=True),
        sa.Column("applicant_name", sa.String(length=30), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["referred_to_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_referral_org_recorded", "referral", ["org_id", "recorded_at"], unique=False)
    op.create_index("ix_referral_referred_recorded", "referral", ["referred_to_id", "recorded_at"], unique=False)


def downgrade():
    op.drop_index("ix_referral_referred_recorded", table_name="referral")
    op.drop_index("ix_referral_org_recorded", table_name="referral")
    op.drop_table("referral")
