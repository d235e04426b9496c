"""Tickets record the person's language when it is not Spanish (contract: handoff
reasons), so an operator who speaks it can take them.

Revision ID: 0010_ticket_language
Revises: 0009_whatsapp_inbox
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_ticket_language"
down_revision = "0009_whatsapp_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("tickets", "language")
