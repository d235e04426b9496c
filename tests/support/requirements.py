"""What a test needs beyond Python, asked for by fixture: the trained model, this machine's
PostgreSQL, Redis and RabbitMQ (and the redis-server, nginx and promtool programs), Chromium.

tests/conftest.py marks every test from the fixtures it takes (tests/support/ci.py REQUIRES):
`model`, `services` or `browser`, and `unit` for a test that needs none of them. Each fixture skips
with the reason when what it stands for is missing; with CI=true such a skip is a failure.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import socket
from pathlib import Path
from types import SimpleNamespace

import psycopg2
import pytest

from line.core import db
from line.core import settings as config

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "line.tar.gz"
PG_SERVER = "host=127.0.0.1 port=5432 dbname=test connect_timeout=3"
PG_USERS = ("postgres", "root")
REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)
RABBITMQ_URL = f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` first")
    return MODEL


def _reachable(service: str, address: tuple) -> tuple:
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError as exc:
        pytest.skip(f"{service} unreachable at {address[0]}:{address[1]} ({exc})")
    return address


@pytest.fixture(scope="session")
def redis_service() -> tuple:
    return _reachable("Redis", REDIS)


@pytest.fixture(scope="session")
def rabbitmq_service() -> tuple:
    return _reachable("RabbitMQ", RABBITMQ)


def _program(name: str, hint: str, *extra_paths: str) -> str:
    found = shutil.which(name) or next((p for p in extra_paths if Path(p).exists()), None)
    if not found:
        pytest.skip(f"{name} is not installed ({hint})")
    return found


@pytest.fixture(scope="session")
def redis_program() -> str:
    return _program("redis-server", "apt-get install redis-server")


@pytest.fixture(scope="session")
def nginx_program() -> str:
    return _program("nginx", "make nginx-deps", "/usr/sbin/nginx")


@pytest.fixture(scope="session")
def promtool_program() -> str:
    return _program("promtool", "make test-deps: Debian's prometheus package")


@pytest.fixture(scope="session")
def chromium() -> SimpleNamespace:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            f"{CHROMIUM} or {CHROMEDRIVER} is absent: run `make browser-deps` "
            "(Debian's chromium and chromium-driver)"
        )
    return SimpleNamespace(binary=CHROMIUM, driver=CHROMEDRIVER)


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
    pytest.skip("PostgreSQL unreachable at 127.0.0.1:5432 (" + "; ".join(errors) + ")")


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


def point_line_at(monkeypatch, url: str, **settings) -> None:
    """The line's settings, with its database (and any other setting) replaced. The
    tracker store is that database too unless said otherwise, so that nothing a test runs
    (the privacy sweep in the WhatsApp channel's loop) reaches the checkout's var/."""
    settings = {"tracker_db_url": url, **settings}
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, database_url=url, **settings)
    )


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """One SQLite file migrated by Alembic for the session; tests get a copy of it (a
    file copy takes a millisecond, a migration a few hundred)."""
    path = tmp_path_factory.mktemp("template") / "line.db"
    db.migrate(f"sqlite:///{path}")
    db.engine(f"sqlite:///{path}").dispose()
    return path


def fresh_sqlite(template: Path, path: Path) -> str:
    """A migrated, empty SQLite database at `path`: a copy of the session's template."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database(tmp_path, monkeypatch, migrated_sqlite):
    """A fresh, migrated SQLite database that the line's settings point at."""
    url = fresh_sqlite(migrated_sqlite, tmp_path / "line.db")
    point_line_at(monkeypatch, url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def db_url(request, tmp_path, monkeypatch):
    """An empty database (not migrated) that the line's settings point to: every test
    that takes it runs on a temporary SQLite file and on a throwaway PostgreSQL database,
    so code that works on the embedded default also works in production."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'line.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        db.engine(url).dispose()
        with db.engine(url).begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    point_line_at(monkeypatch, url)
    yield url
    db.engine(url).dispose()


def copied_if_sqlite(db_url: str, request, template_fixture: str) -> bool:
    """On SQLite, the database at `db_url` becomes a copy of a session template (the file
    the fixture `template_fixture` made); False on PostgreSQL, which makes its own."""
    if not db_url.startswith("sqlite"):
        return False
    fresh_sqlite(request.getfixturevalue(template_fixture), Path(db_url[len("sqlite:///") :]))
    return True


@pytest.fixture
def migrated(db_url, request):
    """`db_url`, migrated (on SQLite, a copy of the session's migrated file)."""
    if not copied_if_sqlite(db_url, request, "migrated_sqlite"):
        db.migrate()
    return db_url
