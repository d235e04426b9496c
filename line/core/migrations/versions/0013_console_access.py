"""Who sees what in the console (issue #14): the append-only log of every opening of a
conversation, file or transcript (`console_views`, which takes in `media_views`), and
failed logins counted per account name and per address.

The database refuses UPDATE and DELETE on the log with a trigger (PostgreSQL also
refuses TRUNCATE); SQLite's trigger refuses UPDATE and DELETE the same way.

Revision ID: 0013_console_access
Revises: 0011_media
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_console_access"
down_revision = "0012_privacy_sweep"
branch_labels = None
depends_on = None

POSTGRESQL_GUARD = (
    """CREATE FUNCTION console_views_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'console_views is append-only'; END $$""",
    """CREATE TRIGGER console_views_no_change BEFORE UPDATE OR DELETE ON console_views
    FOR EACH ROW EXECUTE FUNCTION console_views_append_only()""",
    """CREATE TRIGGER console_views_no_truncate BEFORE TRUNCATE ON console_views
    FOR EACH STATEMENT EXECUTE FUNCTION console_views_append_only()""",
)
SQLITE_GUARD = tuple(
    f"""CREATE TRIGGER console_views_no_{change.lower()} BEFORE {change} ON console_views
    BEGIN SELECT RAISE(ABORT, 'console_views is append-only'); END"""
    for change in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    op.create_table(
        "console_views",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("viewed_at", sa.DateTime, nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("media_id", sa.Integer),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("identifiers", sa.Boolean, nullable=False),
    )
    for column in ("viewed_at", "ticket_id", "media_id"):
        op.create_index(f"ix_console_views_{column}", "console_views", [column])
    # Only the holder could open a file or a transcript: each of them saw identifiers.
    op.execute(
        "INSERT INTO console_views (viewed_at, operator, ticket_id, media_id, what, identifiers)"
        " SELECT viewed_at, operator, ticket_id, media_id, what, TRUE FROM media_views"
        " WHERE ticket_id IS NOT NULL ORDER BY id"
    )
    op.drop_index("ix_media_views_media_id", "media_views")
    op.drop_table("media_views")
    guard = POSTGRESQL_GUARD if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARD
    for statement in guard:
        op.execute(statement)
    op.create_table(
        "console_login_failures",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failed_at", sa.DateTime, nullable=False),
        sa.Column("locked_until", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("console_login_failures")
    op.create_table(
        "media_views",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("media_id", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.Integer),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("viewed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_media_views_media_id", "media_views", ["media_id"])
    op.execute(
        "INSERT INTO media_views (media_id, ticket_id, operator, what, viewed_at)"
        " SELECT media_id, ticket_id, operator, what, viewed_at FROM console_views"
        " WHERE media_id IS NOT NULL ORDER BY id"
    )
    op.drop_table("console_views")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION console_views_append_only()")
