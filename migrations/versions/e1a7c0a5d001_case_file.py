"""the case file: applicant search columns, scanned attachments, claimed invoices

Revision ID: e1a7c0a5d001
Revises: d3f5a7c1e2b4
Create Date: 2026-12-03 08:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d001"
down_revision = "d3f5a7c1e2b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("case_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicant_name", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("applicant_id_number", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("applicant_mobile", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_case_instance_applicant_name"), ["applicant_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_instance_applicant_id_number"), ["applicant_id_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_instance_applicant_mobile"), ["applicant_mobile"], unique=False)
    _copy_applicants_out()

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("material", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("thumbnail_sha256", sa.String(length=64), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True, comment="the task open when attached; none at 受理"),
        sa.Column("stage", sa.String(length=200), nullable=False, comment="受理, 补正, or the title of the task"),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_org_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["uploaded_org_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_sha256"), ["sha256"], unique=False)

    op.create_table(
        "claimed_invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("institution", sa.String(length=100), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["case_instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("claimed_invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claimed_invoice_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(
            "ux_claimed_invoice_open",
            ["number", "institution"],
            unique=True,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )


def _copy_applicants_out():
    """Cases accepted before this revision get their search columns from the applicant JSON."""
    cases = sa.table(
        "case_instance",
        sa.column("id", sa.Integer),
        sa.column("applicant", sa.JSON),
        sa.column("applicant_name", sa.String),
        sa.column("applicant_id_number", sa.String),
        sa.column("applicant_mobile", sa.String),
    )
    connection = op.get_bind()
    for case_id, applicant in connection.execute(sa.select(cases.c.id, cases.c.applicant)).all():
        applicant = applicant or {}
        connection.execute(
            cases.update()
            .where(cases.c.id == case_id)
            .values(
                applicant_name=(applicant.get("name") or None),
                applicant_id_number=(applicant.get("id_number") or None),
                applicant_mobile=(applicant.get("mobile") or None),
            )
        )


def downgrade():
    with op.batch_alter_table("claimed_invoice", schema=None) as batch_op:
        batch_op.drop_index("ux_claimed_invoice_open")
        batch_op.drop_index(batch_op.f("ix_claimed_invoice_instance_id"))
    op.drop_table("claimed_invoice")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_sha256"))
        batch_op.drop_index(batch_op.f("ix_attachment_instance_id"))
    op.drop_table("attachment")
    with op.batch_alter_table("case_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_instance_applicant_mobile"))
        batch_op.drop_index(batch_op.f("ix_case_instance_applicant_id_number"))
        batch_op.drop_index(batch_op.f("ix_case_instance_applicant_name"))
        batch_op.drop_column("applicant_mobile")
        batch_op.drop_column("applicant_id_number")
        batch_op.drop_column("applicant_name")
