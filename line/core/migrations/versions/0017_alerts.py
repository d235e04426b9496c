"""Opt-in alerts (issue #17): subscriptions, broadcasts, and the queue of one row per
broadcast and person (line/alerts/).

Revision ID: 0017_alerts
Revises: 0013_console_access
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_alerts"
down_revision = "0015_training_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("pseudonym", sa.String(128), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("topics", sa.Text, nullable=False),
        sa.Column("region", sa.String(64)),
        sa.Column("consent_text", sa.Text, nullable=False),
        sa.Column("subscribed_at", sa.DateTime, nullable=False),
        sa.Column("opted_out_at", sa.DateTime),
    )
    op.create_index("ix_alert_subscriptions_opted_out_at", "alert_subscriptions", ["opted_out_at"])
    op.create_table(
        "alert_broadcasts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("approver", sa.String(64)),
        sa.Column("template", sa.String(512), nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("regions", sa.Text, nullable=False),
        sa.Column("topics", sa.Text, nullable=False),
        sa.Column("send_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("audience", sa.Integer),
        sa.Column("stop_reason", sa.String(32)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("approved_at", sa.DateTime),
        sa.Column("started_at", sa.DateTime),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("failures_from", sa.DateTime),
    )
    op.create_index("ix_alert_broadcasts_status", "alert_broadcasts", ["status"])
    op.create_table(
        "alert_recipients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("broadcast_id", sa.Integer, sa.ForeignKey("alert_broadcasts.id"), nullable=False),
        sa.Column("pseudonym", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claim", sa.String(32)),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("kind", sa.String(16)),
        sa.Column("message_key", sa.String(64)),
        sa.Column("reason", sa.String(64)),
        sa.Column("attempted_at", sa.DateTime),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("delivered_at", sa.DateTime),
        sa.Column("read_at", sa.DateTime),
        sa.Column("replied_at", sa.DateTime),
        sa.UniqueConstraint("broadcast_id", "pseudonym", name="uq_alert_recipients_once"),
    )
    op.create_index("ix_alert_recipients_queue", "alert_recipients", ["broadcast_id", "state"])
    op.create_index(
        "ix_alert_recipients_finished", "alert_recipients", ["broadcast_id", "finished_at"]
    )
    for column in ("pseudonym", "claim", "message_key", "attempted_at"):
        op.create_index(f"ix_alert_recipients_{column}", "alert_recipients", [column])


def downgrade() -> None:
    op.drop_table("alert_recipients")
    op.drop_table("alert_broadcasts")
    op.drop_table("alert_subscriptions")
