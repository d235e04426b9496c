"""Ratings of FAQ answers (line/ratings.py) and erasure requests (line/erasure.py).

Revision ID: 0008_ratings
Revises: 0007_feedback
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_ratings"
down_revision = "0007_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_hash", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("useful", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_ratings_sender_hash", "ratings", ["sender_hash"])
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(128)),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("completed_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("erasures")
    op.drop_index("ix_ratings_sender_hash", "ratings")
    op.drop_table("ratings")
