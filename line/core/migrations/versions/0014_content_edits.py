"""The content team's workbench (issue #16): what waits for their review, what they
decided about it, their drafts of new topics, and the append-only log of every edit of a
topic file made in the console.

`feedback` gains why a message waits for review (`review`: handoff, clarified,
unresolved, not_useful, low_confidence) and the confidence of the FAQ answer given. The
rows that already kept a text were unresolved questions or handoffs, and say so.

The database refuses UPDATE and DELETE on `content_edits` with a trigger, as on
`console_views` (0013): PostgreSQL also refuses TRUNCATE.

Revision ID: 0014_content_edits
Revises: 0013_console_access
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_content_edits"
down_revision = "0013_console_access"
branch_labels = None
depends_on = None

POSTGRESQL_GUARD = (
    """CREATE FUNCTION content_edits_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'content_edits is append-only'; END $$""",
    """CREATE TRIGGER content_edits_no_change BEFORE UPDATE OR DELETE ON content_edits
    FOR EACH ROW EXECUTE FUNCTION content_edits_append_only()""",
    """CREATE TRIGGER content_edits_no_truncate BEFORE TRUNCATE ON content_edits
    FOR EACH STATEMENT EXECUTE FUNCTION content_edits_append_only()""",
)
SQLITE_GUARD = tuple(
    f"""CREATE TRIGGER content_edits_no_{change.lower()} BEFORE {change} ON content_edits
    BEGIN SELECT RAISE(ABORT, 'content_edits is append-only'); END"""
    for change in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    with op.batch_alter_table("feedback") as table:
        table.add_column(sa.Column("review", sa.String(16)))
        table.add_column(sa.Column("confidence", sa.Float))
        table.create_index("ix_feedback_review", ["review"])
    op.execute(
        "UPDATE feedback SET review = CASE WHEN handoff THEN 'handoff' ELSE 'unresolved' END"
        " WHERE text IS NOT NULL"
    )
    op.create_table(
        "content_edits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("edited_at", sa.DateTime, nullable=False),
        sa.Column("editor", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("commit", sa.String(40)),
    )
    for column in ("edited_at", "topic"):
        op.create_index(f"ix_content_edits_{column}", "content_edits", [column])
    guard = POSTGRESQL_GUARD if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARD
    for statement in guard:
        op.execute(statement)
    op.create_table(
        "content_drafts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("examples", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("topic", sa.String(64)),
    )
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text_key", sa.String(64), nullable=False, unique=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64)),
        sa.Column("draft_id", sa.Integer),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_decisions")
    op.drop_table("content_drafts")
    op.drop_table("content_edits")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION content_edits_append_only()")
    with op.batch_alter_table("feedback") as table:
        table.drop_index("ix_feedback_review")
        table.drop_column("confidence")
        table.drop_column("review")
