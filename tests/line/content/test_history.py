"""Migration 0014 on SQLite and PostgreSQL: the tables the models describe, the edit log
that refuses to change, the feedback rows that already waited for review, and back."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from line.content import drafts, history
from line.core import db
from line.feedback import review

OURS = ("content_edits", "content_drafts", "review_decisions", "feedback")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    return config


def test_the_models_match_migration_0014(migrated):
    assert {drafts.Draft.__tablename__, review.Decision.__tablename__} <= set(
        db.Base.metadata.tables
    )
    with db.engine().connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.Base.metadata)
    assert [d for d in diffs if any(table in repr(d) for table in OURS)] == []


def test_the_edit_log_cannot_be_changed_or_emptied(migrated):
    history.record("eva", "shelter", {"answer": True}, "a" * 64, "b" * 40)
    statements = ["UPDATE content_edits SET editor = 'x'", "DELETE FROM content_edits"]
    if migrated.startswith("postgresql"):
        statements.append("TRUNCATE content_edits")
    for statement in statements:
        with pytest.raises(Exception, match="append-only"):
            with db.engine().begin() as connection:
                connection.execute(text(statement))
    [edit] = history.edits()
    assert (edit["editor"], edit["changes"], edit["commit"]) == ("eva", {"answer": True}, "b" * 40)


def test_rows_that_kept_a_text_wait_for_review_and_the_migration_goes_back(db_url, tmp_path):
    (tmp_path / "var").mkdir(exist_ok=True)  # where db_url keeps SQLite
    config = alembic_config()
    command.upgrade(config, "0013_console_access")
    with db.engine().begin() as connection:
        for n, (handoff, said) in enumerate(
            ((True, "'persona'"), (False, "'no se'"), (False, "NULL"))
        ):
            connection.execute(
                text(
                    "INSERT INTO feedback (sender_hash, timestamp, event_id, date, channel,"
                    " sensitive, handoff, status, text) VALUES"
                    f" ('s{n}', {n}, {n}, '2026-12-01', 'rest', FALSE, {handoff}, 'x', {said})"
                )
            )
    command.upgrade(config, "0014_content_edits")
    with db.engine().connect() as connection:
        rows = connection.execute(text("SELECT review FROM feedback ORDER BY event_id")).all()
    assert [row.review for row in rows] == ["handoff", "unresolved", None]
    command.downgrade(config, "0013_console_access")
    with db.engine().connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM feedback")).scalar() == 3
