"""WhatsApp inbox: each message stored before it is acknowledged, so one whose Rasa
instance died mid-turn is handled again (channels/whatsapp.py, docs/failures.md).

Revision ID: 0009_whatsapp_inbox
Revises: 0008_ratings
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_whatsapp_inbox"
down_revision = "0008_ratings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_inbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("claimed_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("done_at", sa.DateTime),
    )
    op.create_index("ix_whatsapp_inbox_claimed_at", "whatsapp_inbox", ["claimed_at"])
    op.create_index("ix_whatsapp_inbox_done_at", "whatsapp_inbox", ["done_at"])


def downgrade() -> None:
    op.drop_index("ix_whatsapp_inbox_done_at", "whatsapp_inbox")
    op.drop_index("ix_whatsapp_inbox_claimed_at", "whatsapp_inbox")
    op.drop_table("whatsapp_inbox")
