"""The console's log of openings: the table the model describes, and the readings of
media_views (its stand-in) carried over by migration 0013 and back."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from line.core import db
from line.handoff import accounts, audit

VIEWED = "2026-12-04 10:00:00"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    return config


def test_the_models_match_migration_0013(migrated):
    assert accounts.LoginFailures.__tablename__ in db.Base.metadata.tables
    with db.engine().connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.Base.metadata)
    ours = ("console_views", "console_login_failures")
    assert [d for d in diffs if any(table in repr(d) for table in ours)] == []


def test_media_views_are_carried_into_the_log_and_back(db_url, tmp_path):
    (tmp_path / "var").mkdir(exist_ok=True)  # where db_url keeps SQLite
    config = alembic_config()
    command.upgrade(config, "0011_media")
    with db.engine().begin() as connection:
        connection.execute(
            text(
                "INSERT INTO media_views (media_id, ticket_id, operator, what, viewed_at)"
                f" VALUES (7, 3, 'ana', 'transcript', '{VIEWED}')"
            )
        )
    command.upgrade(config, "0013_console_access")
    [view] = audit.views(media_id=7)
    assert (view["operator"], view["ticket_id"], view["what"], view["identifiers"]) == (
        "ana",
        3,
        audit.TRANSCRIPT,
        True,
    )
    assert str(view["viewed_at"]) == VIEWED
    command.downgrade(config, "0011_media")
    with db.engine().connect() as connection:
        rows = connection.execute(text("SELECT media_id, operator, what FROM media_views")).all()
    assert [tuple(row) for row in rows] == [(7, "ana", "transcript")]
