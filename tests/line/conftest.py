"""Databases for the line's tests: every test that asks for `db_url` runs on a
temporary SQLite file and on a throwaway PostgreSQL database, so code that
works on the embedded default also works in production."""
import dataclasses
import secrets

import psycopg2
import pytest

from line import db
from line import settings as config

PG_SERVER = "host=127.0.0.1 port=5432 dbname=test connect_timeout=3"
PG_USERS = ("postgres", "root")
_pg_skip_reason = []


def _admin_connection():
    """A connection to the local server, or a skip saying why it cannot be reached."""
    errors = []
    for user in PG_USERS:
        try:
            connection = psycopg2.connect(f"{PG_SERVER} user={user}")
        except psycopg2.OperationalError as exc:
            errors.append(f"{user}: {' '.join(str(exc).split())}")
            continue
        connection.autocommit = True
        return connection, user
    reason = "PostgreSQL unreachable at 127.0.0.1:5432 (" + "; ".join(errors) + ")"
    _pg_skip_reason.append(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url():
    """A uniquely named database for this test session, dropped at the end."""
    admin, user = _admin_connection()
    name = f"line_test_{secrets.token_hex(4)}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    url = f"postgresql://{user}@127.0.0.1:5432/{name}"
    try:
        yield url
    finally:
        db.engine(url).dispose()
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, monkeypatch):
    """An empty database (not migrated) that the line's settings point to."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'line.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        db.engine(url).dispose()
        with db.engine(url).begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, database_url=url))
    yield url
    db.engine(url).dispose()


@pytest.fixture
def migrated(db_url):
    db.migrate()
    return db_url


def pytest_terminal_summary(terminalreporter):
    if _pg_skip_reason:
        terminalreporter.write_line(f"PostgreSQL tests skipped: {_pg_skip_reason[0]}", yellow=True)
