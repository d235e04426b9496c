"""Media people send (line/media/): each voice note, photo or file, encrypted at rest,
and who opened it in the console (a stand-in for the audit log of issue #14).

Revision ID: 0011_media
Revises: 0010_ticket_language
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_media"
down_revision = "0010_ticket_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("ticket_id", sa.Integer),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mime_type", sa.String(100)),
        sa.Column("graph_id", sa.String(100)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("size", sa.Integer),
        sa.Column("duration_seconds", sa.Float),
        sa.Column("content", sa.LargeBinary),
        sa.Column("transcript", sa.LargeBinary),
        sa.Column("transcript_state", sa.String(16)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime),
        sa.Column("acknowledged_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("stored_at", sa.DateTime),
    )
    for column in ("sender_id", "ticket_id", "state", "next_attempt_at"):
        op.create_index(f"ix_media_{column}", "media", [column])
    op.create_table(
        "media_views",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("media_id", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.Integer),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("viewed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_media_views_media_id", "media_views", ["media_id"])


def downgrade() -> None:
    op.drop_index("ix_media_views_media_id", "media_views")
    op.drop_table("media_views")
    for column in ("next_attempt_at", "state", "ticket_id", "sender_id"):
        op.drop_index(f"ix_media_{column}", "media")
    op.drop_table("media")
