"""storage a third of today: compressed workflow state, slim concluded cases, table storage settings

The workflow state becomes bytes (a zstandard frame, engine/workflow/stored.py); on PostgreSQL the column
turns `bytea` (earlier states keep their JSON as UTF-8 bytes, which still load) stored EXTERNAL, since the
engine's frame does not compress again. SQLite keeps its TEXT column, whose cells hold blobs as they are.

The hot tables get room for updates on their own page (fillfactor) and autovacuum soon after churn, so the
old copies a step leaves are reused instead of growing the tables: a case row is rewritten at each step (HOT
while no indexed column changes), its TOAST rows (the state) replaced; task and timer rows change indexed
columns (state, assignee), so their updates are not HOT and only vacuum early.

Revision ID: e1a7c0a5d018
Revises: e1a7c0a5d017
Create Date: 2026-12-04 20:40:00

"""

import sqlalchemy as sa
import zstandard
from alembic import op

revision = "e1a7c0a5d018"
down_revision = "e1a7c0a5d017"
branch_labels = None
depends_on = None

SETTINGS = {
    "case_instance": (
        "fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, "
        "toast.autovacuum_vacuum_scale_factor = 0.02"
    ),
    "task": "fillfactor = 90, autovacuum_vacuum_scale_factor = 0.05",
    "timer": "fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02",
}
RESET = {
    "case_instance": (
        "fillfactor, autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor, "
        "toast.autovacuum_vacuum_scale_factor"
    ),
    "task": "fillfactor, autovacuum_vacuum_scale_factor",
    "timer": "fillfactor, autovacuum_vacuum_scale_factor",
}
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE case_instance ALTER COLUMN state TYPE bytea USING convert_to(state, 'UTF8')")
    op.execute("ALTER TABLE case_instance ALTER COLUMN state SET STORAGE EXTERNAL")
    for table, settings in SETTINGS.items():
        op.execute(f"ALTER TABLE {table} SET ({settings})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, settings in RESET.items():
        op.execute(f"ALTER TABLE {table} RESET ({settings})")
    _decompress_states(op.get_bind())
    op.execute("ALTER TABLE case_instance ALTER COLUMN state SET STORAGE EXTENDED")
    op.execute("ALTER TABLE case_instance ALTER COLUMN state TYPE text USING convert_from(state, 'UTF8')")


def _decompress_states(bind):
    """Write each compressed state back as its JSON, which the earlier release reads, a thousand cases at a time."""
    decompressor = zstandard.ZstdDecompressor()
    batch = sa.text(
        "SELECT id, state FROM case_instance WHERE id > :after AND substring(state FROM 1 FOR 4) = :magic "
        "ORDER BY id LIMIT 1000"
    )
    plain = sa.text("UPDATE case_instance SET state = :state WHERE id = :id")
    after = 0
    while rows := bind.execute(batch, {"after": after, "magic": ZSTD_MAGIC}).all():
        for case_id, state in rows:
            bind.execute(plain, {"id": case_id, "state": decompressor.decompress(state)})
        after = rows[-1][0]
