"""transfers (移交) with their archive confirmation (归档); the called process versions of a definition

Revision ID: d3f5a7c1e2b4
Revises: b7d1e0c4a913
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


revision = 'd3f5a7c1e2b4'
down_revision = 'b7d1e0c4a913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('tracking_no', sa.String(length=40), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('from_org_id', sa.Integer(), nullable=False),
    sa.Column('to_org_id', sa.Integer(), nullable=False),
    sa.Column('handed_over_at', sa.DateTime(), nullable=False),
    sa.Column('handed_over_by_id', sa.Integer(), nullable=False),
    sa.Column('archive_no', sa.String(length=50), nullable=True),
    sa.Column('archive_location', sa.String(length=100), nullable=True),
    sa.Column('archived_at', sa.DateTime(), nullable=True),
    sa.Column('archived_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['archived_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['from_org_id'], ['org_unit.id'], ),
    sa.ForeignKeyConstraint(['handed_over_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['instance_id'], ['case_instance.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_org_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_instance_id'), ['instance_id'], unique=False)
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'calls', sa.JSON(), nullable=True,
            comment='process key → version identity of each process of another file it calls'))


def downgrade():
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_column('calls')
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_instance_id'))
    op.drop_table('transfer')
