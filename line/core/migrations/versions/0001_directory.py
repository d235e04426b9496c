"""Service directory.

Revision ID: 0001_directory
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_directory"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "services",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("province", sa.String(100)),
        sa.Column("city", sa.String(100)),
        sa.Column("district", sa.String(100)),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("phone", sa.String(100)),
        sa.Column("whatsapp", sa.String(100)),
        sa.Column("hours", sa.String(200)),
        sa.Column("cost_free", sa.Boolean),
        sa.Column("cost_note", sa.Text),
        sa.Column("requirements", sa.Text),
        sa.Column("serves_all_status", sa.Boolean),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("source", sa.String(200)),
        sa.Column("last_verified", sa.Date),
        sa.Column("verified_by", sa.String(100)),
        sa.Column("valid_until", sa.Date),
        sa.Column("is_sample", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("name", "region", "address", name="uq_services_name_region_address"),
    )
    op.create_index("ix_services_category_region", "services", ["category", "region"])


def downgrade() -> None:
    op.drop_index("ix_services_category_region", table_name="services")
    op.drop_table("services")
