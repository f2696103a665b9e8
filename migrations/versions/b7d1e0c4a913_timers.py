"""timers: BPMN timers waiting in cases, indexed by when they fire; warning instant of tasks; what case deadlines count from

Revision ID: b7d1e0c4a913
Revises: 9c42a2149218
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d1e0c4a913'
down_revision = '9c42a2149218'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('timer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('fire_at', sa.DateTime(), nullable=False),
    sa.Column('armed_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('retry_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('fired_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['case_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.create_index('ix_timer_due', ['state', 'fire_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_timer_instance_id'), ['instance_id'], unique=False)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warn_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('case_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_from', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('limit_days', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('case_instance', schema=None) as batch_op:
        batch_op.drop_column('limit_days')
        batch_op.drop_column('clock_from')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('warn_at')
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timer_instance_id'))
        batch_op.drop_index('ix_timer_due')
    op.drop_table('timer')
