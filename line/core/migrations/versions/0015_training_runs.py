"""The trainers' job (issue #16): every test and publish run with its progress and
results (`training_runs`), and the one-row lease that lets only one run at a time
(`training_lease`: a run holds it until it ends or stops renewing it).

Revision ID: 0015_training_runs
Revises: 0013_console_access
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_training_runs"
down_revision = "0014_content_edits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("percent", sa.Integer, nullable=False),
        sa.Column("log_tail", sa.Text, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("results", sa.Text, nullable=False),
        sa.Column("model_id", sa.String(64)),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_training_runs_started_at", "training_runs", ["started_at"])
    lease = op.create_table(
        "training_lease",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer),
        sa.Column("expires_at", sa.DateTime),
    )
    op.bulk_insert(lease, [{"id": 1, "run_id": None, "expires_at": None}])


def downgrade() -> None:
    op.drop_table("training_lease")
    op.drop_index("ix_training_runs_started_at", "training_runs")
    op.drop_table("training_runs")
