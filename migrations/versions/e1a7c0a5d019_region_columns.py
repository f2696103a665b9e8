"""every tenant table carries its region, so the schema distributes by region

`case_instance.region` is the case's item's region (丰城市, 福州市, 永州市), filled at 受理; every table holding
case data (a foreign key to case_instance) carries its case's region, filled as each row is written. Existing
rows are filled here: cases from the catalogue's items, the rest from their case. PostgreSQL makes the columns
NOT NULL and indexes case_instance by region; SQLite keeps them nullable (altering would rebuild each table).

Revision ID: e1a7c0a5d019
Revises: e1a7c0a5d018
Create Date: 2026-12-04 20:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d019"
down_revision = "e1a7c0a5d018"
branch_labels = None
depends_on = None

CASE_TABLES = (
    "task",
    "audit_event",
    "rating",
    "timer",
    "transfer",
    "attachment",
    "claimed_invoice",
    "external_task",
    "message_wait",
    "collection",
    "proxy_mandate",
    "sms_message",
    "promise",
    "case_scope",
)


def upgrade():
    bind = op.get_bind()
    op.add_column("case_instance", sa.Column("region", sa.String(100), nullable=True, comment="the item's region"))
    for table in CASE_TABLES:
        op.add_column(table, sa.Column("region", sa.String(100), nullable=True, comment="the case's region"))
    _fill_case_regions(bind)
    for table in CASE_TABLES:
        op.execute(
            f"UPDATE {table} SET region = (SELECT region FROM case_instance WHERE case_instance.id = {table}.instance_id)"
        )
    op.create_index("ix_case_instance_region", "case_instance", ["region", "id"])
    if bind.dialect.name == "postgresql":
        for table in ("case_instance", *CASE_TABLES):
            op.alter_column(table, "region", nullable=False)


def downgrade():
    op.drop_index("ix_case_instance_region", table_name="case_instance")
    for table in ("case_instance", *CASE_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("region")


def _fill_case_regions(bind):
    """Each case's region from its item in the catalogue (reviewed lists and imported ones, which the catalogue reads
    on a connection of its own: a database with cases has its catalog_import table committed long before)."""
    item_ids = [row[0] for row in bind.execute(sa.text("SELECT DISTINCT item_id FROM case_instance"))]
    if not item_ids:
        return
    from engine.catalogue.flows import catalog

    regions = {item.id: item.region for item in catalog().items}
    for item_id in item_ids:
        bind.execute(
            sa.text("UPDATE case_instance SET region = :region WHERE item_id = :item_id"),
            {"region": regions.get(item_id, ""), "item_id": item_id},
        )
