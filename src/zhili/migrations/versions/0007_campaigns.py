"""campaigns: evaluation catalogues, campaigns, site visits, evidence, questionnaires,
rectification tasks (测评)

Revision ID: 0007_campaigns
Revises: 0006_insight
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_campaigns"
down_revision = "0006_insight"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "eval_catalogue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_catalogue")),
        sa.UniqueConstraint("name", name=op.f("uq_eval_catalogue_name")),
    )
    op.create_table(
        "eval_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("catalogue_id", sa.Integer(), nullable=False),
        sa.Column("follow_up_of_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("shortfall_ratio", sa.Float(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("opened_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalogue_id"],
            ["eval_catalogue.id"],
            name=op.f("fk_eval_campaign_catalogue_id_eval_catalogue"),
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_of_id"],
            ["eval_campaign.id"],
            name=op.f("fk_eval_campaign_follow_up_of_id_eval_campaign"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_campaign")),
    )
    op.create_index(
        op.f("ix_eval_campaign_catalogue_id"), "eval_campaign", ["catalogue_id"], unique=False
    )
    op.create_index(
        op.f("ix_eval_campaign_follow_up_of_id"), "eval_campaign", ["follow_up_of_id"], unique=False
    )
    op.create_table(
        "eval_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalogue_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("requirement", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("full_score", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=24), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("site_types", sa.JSON(), nullable=False),
        sa.Column("per_item", sa.Float(), nullable=True),
        sa.Column("cap", sa.Float(), nullable=True),
        sa.Column("question", sa.String(length=32), nullable=True),
        sa.Column("zero_at", sa.Float(), nullable=True),
        sa.Column("full_at", sa.Float(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["catalogue_id"],
            ["eval_catalogue.id"],
            name=op.f("fk_eval_criterion_catalogue_id_eval_catalogue"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_eval_criterion_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_criterion")),
        sa.UniqueConstraint("catalogue_id", "code", name="uq_eval_criterion_code"),
    )
    op.create_index(
        op.f("ix_eval_criterion_catalogue_id"), "eval_criterion", ["catalogue_id"], unique=False
    )
    op.create_index(
        op.f("ix_eval_criterion_department_id"), "eval_criterion", ["department_id"], unique=False
    )
    op.create_table(
        "eval_questionnaire",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["eval_campaign.id"],
            name=op.f("fk_eval_questionnaire_campaign_id_eval_campaign"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_questionnaire")),
    )
    op.create_index(
        op.f("ix_eval_questionnaire_campaign_id"),
        "eval_questionnaire",
        ["campaign_id"],
        unique=False,
    )
    op.create_table(
        "eval_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["eval_campaign.id"],
            name=op.f("fk_eval_unit_campaign_id_eval_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_eval_unit_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_unit")),
        sa.UniqueConstraint("campaign_id", "region_id", name="uq_eval_unit_region"),
    )
    op.create_index(op.f("ix_eval_unit_campaign_id"), "eval_unit", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_eval_unit_region_id"), "eval_unit", ["region_id"], unique=False)
    op.create_table(
        "eval_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["eval_campaign.id"],
            name=op.f("fk_eval_evidence_campaign_id_eval_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["eval_criterion.id"],
            name=op.f("fk_eval_evidence_criterion_id_eval_criterion"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_eval_evidence_region_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user_account.id"],
            name=op.f("fk_eval_evidence_reviewed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_eval_evidence_uploaded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_evidence")),
    )
    op.create_index(
        op.f("ix_eval_evidence_campaign_id"), "eval_evidence", ["campaign_id"], unique=False
    )
    op.create_index(
        op.f("ix_eval_evidence_criterion_id"), "eval_evidence", ["criterion_id"], unique=False
    )
    op.create_index(
        op.f("ix_eval_evidence_region_id"), "eval_evidence", ["region_id"], unique=False
    )
    op.create_table(
        "eval_rectification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("score_before", sa.Float(), nullable=False),
        sa.Column("full_score", sa.Float(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("report_note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("reported_at", TS, nullable=True),
        sa.Column("verified_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["eval_campaign.id"],
            name=op.f("fk_eval_rectification_campaign_id_eval_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["eval_criterion.id"],
            name=op.f("fk_eval_rectification_criterion_id_eval_criterion"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user_account.id"],
            name=op.f("fk_eval_rectification_owner_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_eval_rectification_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_rectification")),
        sa.UniqueConstraint("campaign_id", "region_id", "criterion_id", name="uq_eval_task_unit"),
    )
    op.create_index(
        op.f("ix_eval_rectification_campaign_id"),
        "eval_rectification",
        ["campaign_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_eval_rectification_owner_id"), "eval_rectification", ["owner_id"], unique=False
    )
    op.create_index(
        op.f("ix_eval_rectification_region_id"), "eval_rectification", ["region_id"], unique=False
    )
    op.create_table(
        "eval_site_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("site_type", sa.String(length=64), nullable=False),
        sa.Column("site_name", sa.String(length=200), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evaluator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["eval_campaign.id"],
            name=op.f("fk_eval_site_visit_campaign_id_eval_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["evaluator_id"],
            ["user_account.id"],
            name=op.f("fk_eval_site_visit_evaluator_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_eval_site_visit_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_site_visit")),
    )
    op.create_index(
        op.f("ix_eval_site_visit_campaign_id"), "eval_site_visit", ["campaign_id"], unique=False
    )
    op.create_index(
        op.f("ix_eval_site_visit_region_id"), "eval_site_visit", ["region_id"], unique=False
    )
    op.create_table(
        "eval_survey_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["eval_questionnaire.id"],
            name=op.f("fk_eval_survey_link_questionnaire_id_eval_questionnaire"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_eval_survey_link_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_survey_link")),
        sa.UniqueConstraint("token", name=op.f("uq_eval_survey_link_token")),
    )
    op.create_index(
        op.f("ix_eval_survey_link_questionnaire_id"),
        "eval_survey_link",
        ["questionnaire_id"],
        unique=False,
    )
    op.create_table(
        "eval_check_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("deduction", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["eval_criterion.id"],
            name=op.f("fk_eval_check_item_criterion_id_eval_criterion"),
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["eval_site_visit.id"],
            name=op.f("fk_eval_check_item_visit_id_eval_site_visit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_check_item")),
    )
    op.create_index(
        op.f("ix_eval_check_item_criterion_id"), "eval_check_item", ["criterion_id"], unique=False
    )
    op.create_index(
        op.f("ix_eval_check_item_visit_id"), "eval_check_item", ["visit_id"], unique=False
    )
    op.create_table(
        "eval_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("collected_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["collected_by_id"],
            ["user_account.id"],
            name=op.f("fk_eval_response_collected_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["eval_survey_link.id"],
            name=op.f("fk_eval_response_link_id_eval_survey_link"),
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["eval_questionnaire.id"],
            name=op.f("fk_eval_response_questionnaire_id_eval_questionnaire"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_eval_response_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_response")),
    )
    op.create_index(
        op.f("ix_eval_response_questionnaire_id"),
        "eval_response",
        ["questionnaire_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_eval_response_region_id"), "eval_response", ["region_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("eval_response")
    op.drop_table("eval_check_item")
    op.drop_table("eval_survey_link")
    op.drop_table("eval_site_visit")
    op.drop_table("eval_rectification")
    op.drop_table("eval_evidence")
    op.drop_table("eval_unit")
    op.drop_table("eval_questionnaire")
    op.drop_table("eval_criterion")
    op.drop_table("eval_campaign")
    op.drop_table("eval_catalogue")
