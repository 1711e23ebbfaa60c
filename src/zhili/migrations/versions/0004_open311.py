"""open311: category attributes, Open311 clients, requests and client updates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("case_category") as batch:
        batch.add_column(
            sa.Column("attributes", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    op.create_table(
        "open311_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=8), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name="fk_open311_client_user_id_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_open311_client"),
        sa.UniqueConstraint("key_digest", name="uq_open311_client_key_digest"),
        sa.UniqueConstraint("name", name="uq_open311_client_name"),
        sa.UniqueConstraint("user_id", name="uq_open311_client_user_id"),
    )
    op.create_table(
        "open311_request",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("case_id", BIGINT, nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=16), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("media_url", sa.String(length=1024), nullable=True),
        sa.Column("token", sa.String(length=48), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("account_id", sa.String(length=128), nullable=True),
        sa.Column("first_name", sa.String(length=64), nullable=True),
        sa.Column("last_name", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name="fk_open311_request_case_id_case"),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["open311_client.id"],
            name="fk_open311_request_client_id_open311_client",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_open311_request"),
        sa.UniqueConstraint("case_id", name="uq_open311_request_case_id"),
        sa.UniqueConstraint("token", name="uq_open311_request_token"),
    )
    op.create_index("ix_open311_request_client_id", "open311_request", ["client_id"])
    op.create_table(
        "open311_update",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("case_id", BIGINT, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("media_url", sa.String(length=1024), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("first_name", sa.String(length=64), nullable=True),
        sa.Column("last_name", sa.String(length=64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name="fk_open311_update_case_id_case"),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["open311_client.id"],
            name="fk_open311_update_client_id_open311_client",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_open311_update"),
        sa.UniqueConstraint("client_id", "external_id", name="uq_open311_update_client_id"),
    )
    op.create_index("ix_open311_update_case_id", "open311_update", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_open311_update_case_id", table_name="open311_update")
    op.drop_table("open311_update")
    op.drop_index("ix_open311_request_client_id", table_name="open311_request")
    op.drop_table("open311_request")
    op.drop_table("open311_client")
    with op.batch_alter_table("case_category") as batch:
        batch.drop_column("attributes")
