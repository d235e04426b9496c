"""Operator console: accounts, sessions, claim time, reply delivery state.

Revision ID: 0004_console
Revises: 0003_outbound
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_console"
down_revision = "0003_outbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("flash", sa.Text),
    )
    op.create_index("ix_console_sessions_operator_id", "console_sessions", ["operator_id"])
    op.add_column("tickets", sa.Column("claimed_at", sa.DateTime))
    op.add_column("ticket_messages", sa.Column("operator", sa.String(64)))
    op.add_column("ticket_messages", sa.Column("request_key", sa.String(64)))
    op.add_column("ticket_messages", sa.Column("delivery", sa.String(16)))
    op.add_column("ticket_messages", sa.Column("delivery_reason", sa.String(64)))
    op.add_column("ticket_messages", sa.Column("tracker_state", sa.String(16)))
    op.create_index(
        "ix_ticket_messages_request_key", "ticket_messages", ["request_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_messages_request_key", "ticket_messages")
    with op.batch_alter_table("ticket_messages") as batch:
        for column in ("tracker_state", "delivery_reason", "delivery", "request_key", "operator"):
            batch.drop_column(column)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("claimed_at")
    op.drop_index("ix_console_sessions_operator_id", "console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("operators")
