"""path prefix indexes: the materialised-path indexes rebuilt with varchar_pattern_ops on
PostgreSQL, so that the scope filter ``path LIKE '/1/4/%'`` can use them under a non-C
collation (see ``core.db.prefix_index``). SQLite keeps its indexes as they are.

Revision ID: 0008_path_prefix_indexes
Revises: 0007_campaigns
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008_path_prefix_indexes"
down_revision = "0007_campaigns"
branch_labels = None
depends_on = None

# (index, table, columns); the first column is the path
INDEXES = [
    ("ix_region_path", "region", ["path"]),
    ("ix_std_address_region_path", "std_address", ["region_path"]),
    ("ix_basedata_unit_region_path", "basedata_unit", ["region_path"]),
    ("ix_building_region_path", "building", ["region_path"]),
    ("ix_dwelling_region_path", "dwelling", ["region_path"]),
    ("ix_household_region_path", "household", ["region_path"]),
    ("ix_household_visit_region_path", "household_visit", ["region_path"]),
    ("ix_resident_region_path", "resident", ["region_path"]),
    ("ix_special_group_record_region_path", "special_group_record", ["region_path"]),
    ("ix_case_region_path_created", "case", ["region_path", "created_at"]),
    ("ix_insight_warning_region_path", "insight_warning", ["region_path"]),
]


def _rebuild(pattern: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, columns in INDEXES:
        op.drop_index(name, table_name=table)
        ops = {columns[0]: "varchar_pattern_ops"} if pattern else {}
        op.create_index(name, table, columns, unique=False, postgresql_ops=ops)


def upgrade() -> None:
    _rebuild(pattern=True)


def downgrade() -> None:
    _rebuild(pattern=False)
