"""catalog imports

Revision ID: 9c42a2149218
Revises: 6f93e5a83803
Create Date: 2026-11-23 13:31:13.581969

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c42a2149218'
down_revision = '6f93e5a83803'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalog_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('imported_by', sa.String(length=60), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_table('catalog_import_item',
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('list_id', sa.String(length=60), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['catalog_import.id'], ),
    sa.PrimaryKeyConstraint('item_id')
    )
    with op.batch_alter_table('catalog_import_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_import_item_list_id'), ['list_id'], unique=False)


def downgrade():
    with op.batch_alter_table('catalog_import_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_import_item_list_id'))

    op.drop_table('catalog_import_item')
    op.drop_table('catalog_import')
