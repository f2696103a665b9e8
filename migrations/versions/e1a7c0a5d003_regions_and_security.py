"""regions own process versions; sign-in protection, revoked tokens and the security log

Revision ID: e1a7c0a5d003
Revises: e1a7c0a5d002
Create Date: 2026-12-03 08:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c0a5d003"
down_revision = "e1a7c0a5d002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "region",
                sa.String(length=100),
                nullable=True,
                comment="the region (a unit's name) whose items run this version; none: the national base",
            )
        )
        batch_op.create_index(batch_op.f("ix_process_definition_region"), ["region"], unique=False)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
    op.create_table(
        "revoked_token",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False, comment="after this the token is refused anyway"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("jti"),
    )
    with op.batch_alter_table("revoked_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_token_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_revoked_token_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "security_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("remote_addr", sa.String(length=45), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.create_index("ix_security_event_at", ["at"], unique=False)
        batch_op.create_index("ix_security_event_action_at", ["action", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_security_event_username"), ["username"], unique=False)
        batch_op.create_index(batch_op.f("ix_security_event_org_id"), ["org_id"], unique=False)


def downgrade():
    op.drop_table("security_event")
    op.drop_table("revoked_token")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_definition_region"))
        batch_op.drop_column("region")
