"""Operator messages sent through the outbound interface.

Revision ID: 0003_outbound
Revises: 0002_tickets
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_outbound"
down_revision = "0002_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("ok", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_outbound_messages_sender_id", "outbound_messages", ["sender_id"])


def downgrade() -> None:
    op.drop_index("ix_outbound_messages_sender_id", "outbound_messages")
    op.drop_table("outbound_messages")
