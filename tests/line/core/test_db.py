"""Engine, sessions and migrations, on SQLite and PostgreSQL."""

import dataclasses

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from line.core import db
from line.core import settings as config
from line.core.db import DatabaseUnavailable
from line.directory import search, store


def head_revision():
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_migrations_reach_head_and_can_run_again(db_url):
    db.migrate()
    db.migrate()  # every start runs it: the second run must be a no-op
    with db.engine().connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
        assert "services" in inspect(connection).get_table_names()


def test_the_chain_starts_with_the_directory():
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    first = ScriptDirectory.from_config(config).get_revision("0001_directory")
    assert first.down_revision is None


def test_the_model_matches_the_migration(migrated):
    with db.engine().connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.Base.metadata)
    about_services = [d for d in diffs if "services" in repr(d)]
    assert about_services == []


def test_sqlite_creates_its_folder_and_uses_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'var' / 'line.db'}"
    db.migrate(url)
    assert (tmp_path / "var" / "line.db").exists()
    with db.engine(url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    db.engine(url).dispose()


def test_deleted_text_is_gone_from_the_sqlite_file(tmp_path):
    """What the privacy sweep removes cannot be read back from the file's free pages."""
    url = f"sqlite:///{tmp_path / 'line.db'}"
    secret = "Yuleisy-45871236"
    with db.engine(url).begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        for n in range(200):
            connection.exec_driver_sql(f"INSERT INTO notes (text) VALUES ('{secret} {n:04}')")
    with db.engine(url).begin() as connection:
        connection.exec_driver_sql("UPDATE notes SET text = '<DOCUMENTO>' WHERE id % 2 = 0")
        connection.exec_driver_sql("DELETE FROM notes WHERE id % 2 = 1")
    db.engine(url).dispose()  # the last connection checkpoints the WAL into the file
    assert secret.encode() not in (tmp_path / "line.db").read_bytes()


def test_one_engine_per_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert db.engine(url) is db.engine(url)
    assert db.engine(url) is not db.engine(f"sqlite:///{tmp_path / 'b.db'}")


def test_a_session_commits_on_success_and_rolls_back_on_error(migrated):
    def service(name):
        return store.Service(name=name, category="food", region="Lima", address="Jr. Uno 1")

    with db.session_scope() as session:
        session.add(service("kept"))
    with pytest.raises(RuntimeError, match="after the flush"):
        with db.session_scope() as session:
            session.add(service("lost"))
            session.flush()
            raise RuntimeError("an error after the flush")
    with db.session_scope() as session:
        names = session.execute(select(store.Service.name)).scalars().all()
    assert names == ["kept"]


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres:secret@127.0.0.1:1/nowhere", "sqlite:////proc/no/such/folder/line.db"],
)
def test_an_unreachable_database_raises_directory_unavailable(url, monkeypatch):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, database_url=url, db_timeout_seconds=2),
    )
    with pytest.raises(DatabaseUnavailable) as caught:
        with db.session_scope() as session:
            session.execute(select(func.count()).select_from(text("services")))
    assert "unavailable" in str(caught.value) and "secret" not in str(caught.value)
    with pytest.raises(DatabaseUnavailable):
        search.search("health", "Lima")
    with pytest.raises(DatabaseUnavailable):
        db.migrate()


def test_on_sqlite_calls_from_several_threads_share_one_kept_connection(tmp_path, monkeypatch):
    """The action server reaches the database from worker threads, a session per call:
    the connection is opened, and its pragmas set, once, not at every call."""
    import threading

    from sqlalchemy import event

    url = f"sqlite:///{tmp_path / 'line.db'}"
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, database_url=url))
    opened = []
    event.listen(db.engine(), "connect", lambda *_: opened.append(1))

    def call():
        with db.session_scope() as session:
            session.execute(text("SELECT 1"))

    for _ in range(3):
        worker = threading.Thread(target=call)
        worker.start()
        worker.join()
    with db.engine().connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert len(opened) == 1 and db.engine().pool.checkedin() == 1
    db.engine().dispose()
