"""basedata: standard addresses, housing, residents, units, household visits, imports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "basedata_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=True),
        sa.Column("good_rows_only", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("valid", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_basedata_import"),
    )
    op.create_index("ix_basedata_import_actor_id", "basedata_import", ["actor_id"], unique=False)
    op.create_index("ix_basedata_import_sha256", "basedata_import", ["sha256"], unique=False)
    op.create_table(
        "std_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("road", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("compound", sa.String(length=64), nullable=True),
        sa.Column("building", sa.String(length=16), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("room", sa.String(length=16), nullable=True),
        sa.Column("full_text", sa.String(length=255), nullable=False),
        sa.Column("search_text", sa.String(length=255), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["region.id"], name="fk_std_address_grid_id_region"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["std_address.id"], name="fk_std_address_parent_id_std_address"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_std_address"),
        sa.UniqueConstraint("code", name="uq_std_address_code"),
    )
    op.create_index("ix_std_address_grid_id", "std_address", ["grid_id"], unique=False)
    op.create_index("ix_std_address_parent_id", "std_address", ["parent_id"], unique=False)
    op.create_index("ix_std_address_region_path", "std_address", ["region_path"], unique=False)
    op.create_table(
        "basedata_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("legal_representative", sa.String(length=64), nullable=True),
        sa.Column("contact_name", sa.String(length=64), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("staff_count", sa.Integer(), nullable=True),
        sa.Column("industry", sa.String(length=64), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"], ["std_address.id"], name="fk_basedata_unit_address_id_std_address"
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["region.id"], name="fk_basedata_unit_grid_id_region"),
        sa.PrimaryKeyConstraint("id", name="pk_basedata_unit"),
        sa.UniqueConstraint("uscc", name="uq_basedata_unit_uscc"),
    )
    op.create_index("ix_basedata_unit_address_id", "basedata_unit", ["address_id"], unique=False)
    op.create_index("ix_basedata_unit_grid_id", "basedata_unit", ["grid_id"], unique=False)
    op.create_index("ix_basedata_unit_name", "basedata_unit", ["name"], unique=False)
    op.create_index("ix_basedata_unit_region_path", "basedata_unit", ["region_path"], unique=False)
    op.create_table(
        "building",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("use", sa.String(length=16), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.Column("year_built", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"], ["std_address.id"], name="fk_building_address_id_std_address"
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["region.id"], name="fk_building_grid_id_region"),
        sa.PrimaryKeyConstraint("id", name="pk_building"),
        sa.UniqueConstraint("address_id", name="uq_building_address_id"),
    )
    op.create_index("ix_building_grid_id", "building", ["grid_id"], unique=False)
    op.create_index("ix_building_region_path", "building", ["region_path"], unique=False)
    op.create_table(
        "std_address_token",
        sa.Column("token", sa.String(length=24), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["std_address.id"],
            name="fk_std_address_token_address_id_std_address",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", "address_id", name="pk_std_address_token"),
    )
    op.create_index(
        "ix_std_address_token_address_id", "std_address_token", ["address_id"], unique=False
    )
    op.create_table(
        "dwelling",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("use", sa.String(length=16), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("owner_name", sa.String(length=64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"], ["std_address.id"], name="fk_dwelling_address_id_std_address"
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name="fk_dwelling_building_id_building"
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["region.id"], name="fk_dwelling_grid_id_region"),
        sa.PrimaryKeyConstraint("id", name="pk_dwelling"),
        sa.UniqueConstraint("address_id", name="uq_dwelling_address_id"),
    )
    op.create_index("ix_dwelling_building_id", "dwelling", ["building_id"], unique=False)
    op.create_index("ix_dwelling_grid_id", "dwelling", ["grid_id"], unique=False)
    op.create_index("ix_dwelling_region_path", "dwelling", ["region_path"], unique=False)
    op.create_index("ix_dwelling_use", "dwelling", ["use"], unique=False)
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("dwelling_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["dwelling_id"], ["dwelling.id"], name="fk_household_dwelling_id_dwelling"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_household"),
        sa.UniqueConstraint("code", name="uq_household_code"),
    )
    op.create_index("ix_household_dwelling_id", "household", ["dwelling_id"], unique=False)
    op.create_index("ix_household_grid_id", "household", ["grid_id"], unique=False)
    op.create_index("ix_household_region_path", "household", ["region_path"], unique=False)
    op.create_table(
        "household_visit",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("gridder_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("visited_at", TS, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("case_id", BIGINT, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["region.id"], name="fk_household_visit_grid_id_region"
        ),
        sa.ForeignKeyConstraint(
            ["gridder_id"], ["user_account.id"], name="fk_household_visit_gridder_id_user_account"
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name="fk_household_visit_household_id_household"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_household_visit"),
    )
    op.create_index(
        "ix_household_visit_grid_at", "household_visit", ["grid_id", "visited_at"], unique=False
    )
    op.create_index(
        "ix_household_visit_gridder_id", "household_visit", ["gridder_id"], unique=False
    )
    op.create_index(
        "ix_household_visit_household_at",
        "household_visit",
        ["household_id", "visited_at"],
        unique=False,
    )
    op.create_index(
        "ix_household_visit_region_path", "household_visit", ["region_path"], unique=False
    )
    op.create_table(
        "resident",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("id_type", sa.String(length=16), nullable=False),
        sa.Column("id_index", sa.String(length=32), nullable=False),
        sa.Column("id_cipher", sa.LargeBinary(length=96), nullable=False),
        sa.Column("id_masked", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("ethnicity", sa.String(length=16), nullable=True),
        sa.Column("native_place", sa.String(length=64), nullable=True),
        sa.Column("resident_type", sa.String(length=16), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("hukou_address", sa.String(length=255), nullable=True),
        sa.Column("education", sa.String(length=16), nullable=True),
        sa.Column("marital_status", sa.String(length=16), nullable=True),
        sa.Column("political_status", sa.String(length=16), nullable=True),
        sa.Column("religion", sa.String(length=32), nullable=True),
        sa.Column("occupation", sa.String(length=64), nullable=True),
        sa.Column("employer", sa.String(length=128), nullable=True),
        sa.Column("nationality", sa.String(length=3), nullable=True),
        sa.Column("inflow_reason", sa.String(length=16), nullable=True),
        sa.Column("left_behind_kind", sa.String(length=16), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name="fk_resident_household_id_household"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_resident"),
        sa.UniqueConstraint("id_index", name="uq_resident_id_index"),
    )
    op.create_index("ix_resident_household_id", "resident", ["household_id"], unique=False)
    op.create_index("ix_resident_region_path", "resident", ["region_path"], unique=False)
    op.create_table(
        "special_group_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", BIGINT, nullable=False),
        sa.Column("special_group", sa.String(length=32), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["region.id"], name="fk_special_group_record_grid_id_region"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["resident.id"],
            name="fk_special_group_record_resident_id_resident",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_special_group_record"),
        sa.UniqueConstraint("resident_id", "special_group", name="uq_special_group_member"),
    )
    op.create_index(
        "ix_special_group_record_grid_id", "special_group_record", ["grid_id"], unique=False
    )
    op.create_index(
        "ix_special_group_record_region_path", "special_group_record", ["region_path"], unique=False
    )
    op.create_index(
        "ix_special_group_record_resident_id", "special_group_record", ["resident_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("special_group_record")
    op.drop_table("resident")
    op.drop_table("household_visit")
    op.drop_table("household")
    op.drop_table("dwelling")
    op.drop_table("std_address_token")
    op.drop_table("building")
    op.drop_table("basedata_unit")
    op.drop_table("std_address")
    op.drop_table("basedata_import")
