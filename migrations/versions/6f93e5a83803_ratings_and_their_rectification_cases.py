"""ratings and their rectification cases

Revision ID: 6f93e5a83803
Revises: a2be732fdb7e
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6f93e5a83803'
down_revision = 'a2be732fdb7e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('responsible_org_id', sa.Integer(), nullable=True),
    sa.Column('rectification_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['case_instance.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['rectification_id'], ['case_instance.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responsible_org_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id', name='uq_rating_instance'),
    sa.UniqueConstraint('rectification_id', name='uq_rating_rectification')
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index('ix_rating_level_recorded', ['level', 'recorded_at'], unique=False)



def downgrade():
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_level_recorded')

    op.drop_table('rating')
