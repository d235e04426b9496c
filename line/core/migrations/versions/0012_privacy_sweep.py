"""The privacy sweep (line/privacy/sweep.py): a lease so that one instance sweeps at a
time, and how far each conversation was anonymized, so no work is done twice.

Revision ID: 0012_privacy_sweep
Revises: 0011_media
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_privacy_sweep"
down_revision = "0011_media"
branch_labels = None
depends_on = None


def upgrade() -> None:
    lease = op.create_table(
        "privacy_sweep_lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(32)),
        sa.Column("expires_at", sa.DateTime),
    )
    op.bulk_insert(lease, [{"name": "sweep", "holder": None, "expires_at": None}])
    op.create_table(
        "privacy_anonymized",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("through", sa.Float, nullable=False),
        sa.Column("done_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("privacy_anonymized")
    op.drop_table("privacy_sweep_lease")
