"""assessment: whistle ratings and feedback, score adjustments, ranking snapshots

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ranking_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("scope_region_id", sa.Integer(), nullable=True),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user_account.id"],
            name=op.f("fk_ranking_snapshot_published_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ranking_snapshot")),
        sa.UniqueConstraint("level", "month", name="uq_ranking_snapshot_level"),
    )
    op.create_table(
        "score_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_score_adjustment_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["user_account.id"],
            name=op.f("fk_score_adjustment_proposed_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_adjustment")),
    )
    op.create_index(op.f("ix_score_adjustment_month"), "score_adjustment", ["month"], unique=False)
    op.create_index(
        op.f("ix_score_adjustment_unit_id"), "score_adjustment", ["unit_id"], unique=False
    )
    op.create_table(
        "whistle_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "whistle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("needless", sa.Boolean(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_by_id", sa.Integer(), nullable=False),
        sa.Column("rated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_whistle_feedback_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["rated_by_id"],
            ["user_account.id"],
            name=op.f("fk_whistle_feedback_rated_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["whistle_id"], ["whistle.id"], name=op.f("fk_whistle_feedback_whistle_id_whistle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whistle_feedback")),
        sa.UniqueConstraint("whistle_id", "department_id", name="uq_whistle_feedback_whistle_id"),
    )
    op.create_index(
        op.f("ix_whistle_feedback_whistle_id"), "whistle_feedback", ["whistle_id"], unique=False
    )
    op.create_table(
        "whistle_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "whistle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("report_in", sa.Integer(), nullable=False),
        sa.Column("result", sa.Integer(), nullable=False),
        sa.Column("attitude", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_by_id", sa.Integer(), nullable=False),
        sa.Column("rated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_whistle_rating_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["rated_by_id"],
            ["user_account.id"],
            name=op.f("fk_whistle_rating_rated_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["whistle_id"], ["whistle.id"], name=op.f("fk_whistle_rating_whistle_id_whistle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whistle_rating")),
        sa.UniqueConstraint("whistle_id", "department_id", name="uq_whistle_rating_whistle_id"),
    )
    op.create_index(
        op.f("ix_whistle_rating_department_id"), "whistle_rating", ["department_id"], unique=False
    )
    op.create_index(
        op.f("ix_whistle_rating_whistle_id"), "whistle_rating", ["whistle_id"], unique=False
    )

    # Scorecard rollup per unit and day/month, derived from case events (see
    # zhili.assessment.service.refresh_rollup); counter columns follow the metric list.
    op.create_table(
        "assessment_rollup",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("response_rate__n", sa.Integer(), nullable=False),
        sa.Column("response_rate__d", sa.Integer(), nullable=False),
        sa.Column("resolution_rate__n", sa.Integer(), nullable=False),
        sa.Column("resolution_rate__d", sa.Integer(), nullable=False),
        sa.Column("satisfaction_rate__n", sa.Integer(), nullable=False),
        sa.Column("satisfaction_rate__d", sa.Integer(), nullable=False),
        sa.Column("closure_rate__n", sa.Integer(), nullable=False),
        sa.Column("closure_rate__d", sa.Integer(), nullable=False),
        sa.Column("on_time_closure_rate__n", sa.Integer(), nullable=False),
        sa.Column("on_time_closure_rate__d", sa.Integer(), nullable=False),
        sa.Column("rework_rate__n", sa.Integer(), nullable=False),
        sa.Column("rework_rate__d", sa.Integer(), nullable=False),
        sa.Column("on_time_dispatch_rate__n", sa.Integer(), nullable=False),
        sa.Column("on_time_dispatch_rate__d", sa.Integer(), nullable=False),
        sa.Column("accurate_dispatch_rate__n", sa.Integer(), nullable=False),
        sa.Column("accurate_dispatch_rate__d", sa.Integer(), nullable=False),
        sa.Column("on_time_handling_rate__n", sa.Integer(), nullable=False),
        sa.Column("on_time_handling_rate__d", sa.Integer(), nullable=False),
        sa.Column("effective_report_rate__n", sa.Integer(), nullable=False),
        sa.Column("effective_report_rate__d", sa.Integer(), nullable=False),
        sa.Column("on_time_verification_rate__n", sa.Integer(), nullable=False),
        sa.Column("on_time_verification_rate__d", sa.Integer(), nullable=False),
        sa.Column("missed_report_rate__n", sa.Integer(), nullable=False),
        sa.Column("missed_report_rate__d", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind", "grain", "day", "unit_id", name=op.f("pk_assessment_rollup")
        ),
    )
    op.create_table(
        "assessment_watermark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "last_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("refreshed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_watermark")),
    )


def downgrade() -> None:
    op.drop_table("assessment_watermark")
    op.drop_table("assessment_rollup")
    op.drop_index(op.f("ix_whistle_rating_whistle_id"), table_name="whistle_rating")
    op.drop_index(op.f("ix_whistle_rating_department_id"), table_name="whistle_rating")
    op.drop_table("whistle_rating")
    op.drop_index(op.f("ix_whistle_feedback_whistle_id"), table_name="whistle_feedback")
    op.drop_table("whistle_feedback")
    op.drop_index(op.f("ix_score_adjustment_unit_id"), table_name="score_adjustment")
    op.drop_index(op.f("ix_score_adjustment_month"), table_name="score_adjustment")
    op.drop_table("score_adjustment")
    op.drop_table("ranking_snapshot")
