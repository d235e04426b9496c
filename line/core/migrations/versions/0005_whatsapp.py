"""WhatsApp channel: contacts (the only phone numbers), seen message ids, offered
options, and a delivery-failure flag on tickets.

Revision ID: 0005_whatsapp
Revises: 0003_outbound
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_whatsapp"
down_revision = "0003_outbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_contacts",
        sa.Column("pseudonym", sa.String(64), primary_key=True),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "whatsapp_seen_messages",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_whatsapp_seen_messages_seen_at", "whatsapp_seen_messages", ["seen_at"])
    op.create_table(
        "whatsapp_options",
        sa.Column("pseudonym", sa.String(64), primary_key=True),
        sa.Column("payloads", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_whatsapp_options_created_at", "whatsapp_options", ["created_at"])
    op.add_column("tickets", sa.Column("delivery_failure", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("delivery_failure")
    op.drop_index("ix_whatsapp_options_created_at", "whatsapp_options")
    op.drop_table("whatsapp_options")
    op.drop_index("ix_whatsapp_seen_messages_seen_at", "whatsapp_seen_messages")
    op.drop_table("whatsapp_seen_messages")
    op.drop_table("whatsapp_contacts")
