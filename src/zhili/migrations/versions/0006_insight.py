"""insight: trained classifiers, dispatcher feedback; (detect) warnings

Revision ID: 0006_insight
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_insight"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _upgrade_classify()
    _upgrade_detect()


def downgrade() -> None:
    _downgrade_detect()
    _downgrade_classify()


# -- classify: models and feedback ----------------------------------------------------------


def _upgrade_classify() -> None:
    op.create_table(
        "insight_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("algorithm", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("holdout_score", sa.Float(), nullable=False),
        sa.Column("baseline_score", sa.Float(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("trained_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_insight_model"),
        sa.UniqueConstraint("target", "version", name="uq_insight_model_target_version"),
    )
    op.create_index(
        "ix_insight_model_target_status", "insight_model", ["target", "status"], unique=False
    )
    op.create_table(
        "insight_feedback",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("case_id", BIGINT, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("suggested", sa.JSON(), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name="fk_insight_feedback_case_id_case"),
        sa.ForeignKeyConstraint(
            ["model_id"], ["insight_model.id"], name="fk_insight_feedback_model_id_insight_model"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_insight_feedback"),
    )
    op.create_index("ix_insight_feedback_case_id", "insight_feedback", ["case_id"], unique=False)
    op.create_index(
        "ix_insight_feedback_target_created",
        "insight_feedback",
        ["target", "created_at"],
        unique=False,
    )


def _downgrade_classify() -> None:
    op.drop_table("insight_feedback")
    op.drop_table("insight_model")


# -- detect: warnings, hotspots, anomalies, risk lists, monthly issue -------------------------
# (the detect helper fills these two in)


def _upgrade_detect() -> None:
    op.create_table(
        "insight_warning",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("period_start", TS, nullable=False),
        sa.Column("period_end", TS, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("case_id", BIGINT, nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name="fk_insight_warning_region_id_region"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name="fk_insight_warning_department_id_department"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["case_category.id"],
            name="fk_insight_warning_category_id_case_category",
        ),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name="fk_insight_warning_case_id_case"),
        sa.PrimaryKeyConstraint("id", name="pk_insight_warning"),
        sa.UniqueConstraint("fingerprint", name="uq_insight_warning_fingerprint"),
    )
    op.create_index(
        "ix_insight_warning_status_created", "insight_warning", ["status", "created_at"]
    )
    op.create_index("ix_insight_warning_region_path", "insight_warning", ["region_path"])


def _downgrade_detect() -> None:
    op.drop_table("insight_warning")
