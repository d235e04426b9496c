"""Handoff tickets and their message threads.

Revision ID: 0002_tickets
Revises: 0001_directory
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_tickets"
down_revision = "0001_directory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64)),
        sa.Column("region", sa.String(64)),
        sa.Column("danger", sa.String(32)),
        sa.Column("summary", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("outcome", sa.String(64)),
    )
    op.create_index("ix_tickets_sender_id", "tickets", ["sender_id"])
    op.create_index("ix_tickets_status", "tickets", ["status"])
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_ticket_messages_ticket_id", "ticket_messages", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_messages_ticket_id", "ticket_messages")
    op.drop_table("ticket_messages")
    op.drop_index("ix_tickets_status", "tickets")
    op.drop_index("ix_tickets_sender_id", "tickets")
    op.drop_table("tickets")
