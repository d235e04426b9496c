"""Join the console and WhatsApp branches, written in parallel on 0003.

Revision ID: 0006_merge_console_whatsapp
Revises: 0004_console, 0005_whatsapp
Create Date: 2026-11-25
"""

revision = "0006_merge_console_whatsapp"
down_revision = ("0004_console", "0005_whatsapp")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this revision only makes the history linear again."""


def downgrade() -> None:
    """Nothing to undo."""
