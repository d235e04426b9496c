"""Feedback codes of inbound messages, for reports (line/feedback.py).

Revision ID: 0007_feedback
Revises: 0006_merge_console_whatsapp
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_feedback"
down_revision = "0006_merge_console_whatsapp"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("sender_hash", sa.String(32), primary_key=True),
        sa.Column("timestamp", sa.Float, primary_key=True),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("intent", sa.String(64)),
        sa.Column("feedback_type", sa.String(16)),
        sa.Column("topic", sa.String(64)),
        sa.Column("region", sa.String(64)),
        sa.Column("sensitive", sa.Boolean, nullable=False),
        sa.Column("handoff", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text),
    )
    op.create_index("ix_feedback_event_id", "feedback", ["event_id"])
    op.create_index("ix_feedback_date", "feedback", ["date"])


def downgrade() -> None:
    op.drop_index("ix_feedback_date", "feedback")
    op.drop_index("ix_feedback_event_id", "feedback")
    op.drop_table("feedback")
