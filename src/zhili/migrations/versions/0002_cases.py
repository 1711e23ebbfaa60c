"""cases: catalogue, cases, events, callers, attachments, notifications, whistles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("department_kind", sa.String(length=32), nullable=True),
        sa.Column("deadline_amount", sa.Integer(), nullable=False),
        sa.Column("deadline_unit", sa.String(length=8), nullable=False),
        sa.Column("deadline_working", sa.Boolean(), nullable=False),
        sa.Column("response_amount", sa.Integer(), nullable=False),
        sa.Column("response_unit", sa.String(length=8), nullable=False),
        sa.Column("response_working", sa.Boolean(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["case_category.id"],
            name=op.f("fk_case_category_parent_id_case_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_category")),
        sa.UniqueConstraint("code", name=op.f("uq_case_category_code")),
    )
    op.create_index(op.f("ix_case_category_kind"), "case_category", ["kind"], unique=False)
    op.create_index(
        op.f("ix_case_category_parent_id"), "case_category", ["parent_id"], unique=False
    )
    op.create_table(
        "case",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("region_path", sa.String(length=255), nullable=True),
        sa.Column("reporter_name", sa.String(length=64), nullable=True),
        sa.Column("reporter_phone", sa.String(length=32), nullable=True),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("handler_region_id", sa.Integer(), nullable=True),
        sa.Column("handler_department_id", sa.Integer(), nullable=True),
        sa.Column("step_started_at", TS, nullable=True),
        sa.Column("warn_at", TS, nullable=True),
        sa.Column("deadline_at", TS, nullable=True),
        sa.Column("deadline_working", sa.Boolean(), nullable=False),
        sa.Column("respond_by", TS, nullable=True),
        sa.Column("responded_at", TS, nullable=True),
        sa.Column("dispatched_at", TS, nullable=True),
        sa.Column("extension_requested", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("return_count", sa.Integer(), nullable=False),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("extension_count", sa.Integer(), nullable=False),
        sa.Column(
            "merged_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.String(length=16), nullable=True),
        sa.Column("visited_at", TS, nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["case_category.id"], name=op.f("fk_case_category_id_case_category")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["region.id"], name=op.f("fk_case_community_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_case_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["region.id"], name=op.f("fk_case_district_id_region")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["region.id"], name=op.f("fk_case_grid_id_region")),
        sa.ForeignKeyConstraint(
            ["handler_department_id"],
            ["department.id"],
            name=op.f("fk_case_handler_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["handler_region_id"], ["region.id"], name=op.f("fk_case_handler_region_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["case.id"], name=op.f("fk_case_merged_into_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"],
            ["user_account.id"],
            name=op.f("fk_case_reporter_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["region.id"], name=op.f("fk_case_street_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_case_idempotency_key")),
        sa.UniqueConstraint("number", name=op.f("uq_case_number")),
    )
    op.create_index("ix_case_category_created", "case", ["category_id", "created_at"], unique=False)
    op.create_index("ix_case_created_at", "case", ["created_at"], unique=False)
    op.create_index(
        "ix_case_handler_department_state", "case", ["handler_department_id", "state"], unique=False
    )
    op.create_index(
        "ix_case_handler_region_state", "case", ["handler_region_id", "state"], unique=False
    )
    op.create_index("ix_case_overdue_deadline", "case", ["overdue", "deadline_at"], unique=False)
    op.create_index(
        "ix_case_region_path_created", "case", ["region_path", "created_at"], unique=False
    )
    op.create_index("ix_case_state_deadline", "case", ["state", "deadline_at"], unique=False)
    op.create_table(
        "case_attachment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_attachment_case_id_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_attachment")),
    )
    op.create_index(
        op.f("ix_case_attachment_case_id"), "case_attachment", ["case_id"], unique=False
    )
    op.create_table(
        "case_caller",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "source_case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_caller_case_id_case")),
        sa.ForeignKeyConstraint(
            ["source_case_id"], ["case.id"], name=op.f("fk_case_caller_source_case_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_case_caller_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_caller")),
    )
    op.create_index(op.f("ix_case_caller_case_id"), "case_caller", ["case_id"], unique=False)
    op.create_table(
        "case_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("unit_department_id", sa.Integer(), nullable=True),
        sa.Column("unit_region_id", sa.Integer(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_event_case_id_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_event_case_id_seq"),
    )
    op.create_index(op.f("ix_case_event_action"), "case_event", ["action"], unique=False)
    op.create_index("ix_case_event_at_action", "case_event", ["at", "action"], unique=False)
    op.create_index(op.f("ix_case_event_case_id"), "case_event", ["case_id"], unique=False)
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=True),
        sa.Column("recipient_phone", sa.String(length=32), nullable=True),
        sa.Column("recipient_department_id", sa.Integer(), nullable=True),
        sa.Column("recipient_region_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_notification_case_id_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index(op.f("ix_notification_case_id"), "notification", ["case_id"], unique=False)
    op.create_index(op.f("ix_notification_sent_at"), "notification", ["sent_at"], unique=False)
    op.create_table(
        "whistle",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("blown_by_region_id", sa.Integer(), nullable=False),
        sa.Column("blown_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("blown_at", TS, nullable=False),
        sa.Column("completed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["blown_by_region_id"], ["region.id"], name=op.f("fk_whistle_blown_by_region_id_region")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_whistle_case_id_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whistle")),
    )
    op.create_index(
        op.f("ix_whistle_blown_by_region_id"), "whistle", ["blown_by_region_id"], unique=False
    )
    op.create_index(op.f("ix_whistle_case_id"), "whistle", ["case_id"], unique=False)
    op.create_index(op.f("ix_whistle_state"), "whistle", ["state"], unique=False)
    op.create_table(
        "whistle_summons",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "whistle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("report_due_at", TS, nullable=False),
        sa.Column("reported_at", TS, nullable=True),
        sa.Column("reported_late", sa.Boolean(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("done_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_whistle_summons_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["whistle_id"], ["whistle.id"], name=op.f("fk_whistle_summons_whistle_id_whistle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whistle_summons")),
        sa.UniqueConstraint("whistle_id", "department_id", name="uq_whistle_summons_whistle_id"),
    )
    op.create_index(
        op.f("ix_whistle_summons_department_id"), "whistle_summons", ["department_id"], unique=False
    )
    op.create_index(
        op.f("ix_whistle_summons_report_due_at"), "whistle_summons", ["report_due_at"], unique=False
    )
    op.create_index(
        op.f("ix_whistle_summons_whistle_id"), "whistle_summons", ["whistle_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_whistle_summons_whistle_id"), table_name="whistle_summons")
    op.drop_index(op.f("ix_whistle_summons_report_due_at"), table_name="whistle_summons")
    op.drop_index(op.f("ix_whistle_summons_department_id"), table_name="whistle_summons")
    op.drop_table("whistle_summons")
    op.drop_index(op.f("ix_whistle_state"), table_name="whistle")
    op.drop_index(op.f("ix_whistle_case_id"), table_name="whistle")
    op.drop_index(op.f("ix_whistle_blown_by_region_id"), table_name="whistle")
    op.drop_table("whistle")
    op.drop_index(op.f("ix_notification_sent_at"), table_name="notification")
    op.drop_index(op.f("ix_notification_case_id"), table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_case_event_case_id"), table_name="case_event")
    op.drop_index(op.f("ix_case_event_action"), table_name="case_event")
    op.drop_index("ix_case_event_at_action", table_name="case_event")
    op.drop_table("case_event")
    op.drop_index(op.f("ix_case_caller_case_id"), table_name="case_caller")
    op.drop_table("case_caller")
    op.drop_index(op.f("ix_case_attachment_case_id"), table_name="case_attachment")
    op.drop_table("case_attachment")
    op.drop_index("ix_case_state_deadline", table_name="case")
    op.drop_index("ix_case_region_path_created", table_name="case")
    op.drop_index("ix_case_overdue_deadline", table_name="case")
    op.drop_index("ix_case_handler_region_state", table_name="case")
    op.drop_index("ix_case_handler_department_state", table_name="case")
    op.drop_index("ix_case_created_at", table_name="case")
    op.drop_index("ix_case_category_created", table_name="case")
    op.drop_table("case")
    op.drop_index(op.f("ix_case_category_parent_id"), table_name="case_category")
    op.drop_index(op.f("ix_case_category_kind"), table_name="case_category")
    op.drop_table("case_category")
