"""The line's database: one engine per URL, one session per call, Alembic migrations.

Settings are read at call time (`line.core.settings.settings`), so tests and tools
can point the line at another database by replacing that one object.
"""

from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, declarative_base
from sqlalchemy.pool import QueuePool

from line.core import metrics
from line.core import settings as config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
logger = logging.getLogger(__name__)

Base = declarative_base()


def utc_now() -> datetime:
    """Naive UTC: the form every timestamp column of the line stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached (down, timed out, not migrated): callers
    answer kindly or offer a human instead of failing the conversation."""


def _url(url: Optional[str]) -> str:
    return url or config.settings.database_url


def engine(url: Optional[str] = None) -> Engine:
    return _engine(_url(url))


@lru_cache(maxsize=None)
def _engine(url: str) -> Engine:
    """Engines own connection pools, so there is one per URL for the process."""
    timeout = config.settings.db_timeout_seconds
    if make_url(url).get_backend_name() == "sqlite":
        return sqlite_engine(url)
    return create_engine(
        url,
        future=True,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": math.ceil(timeout),
            "options": f"-c statement_timeout={int(timeout * 1000)}",
        },
    )


def sqlite_engine(url: str) -> Engine:
    """Rasa, the action server and the CLI share the file: WAL lets readers work during
    an import, and the busy timeout waits for a writer. Connections stay open between
    calls in a pool (SQLAlchemy 1.4 opens one per call for a file, and the pragmas are
    set again each time: ≈0.8 ms of a handoff's ticket, docs/bench.md "Sixth pass"),
    for the line's database and Rasa's tracker store (stores/turns.py) alike."""
    # A pooled connection is handed to one thread at a time, not always the same one.
    connect_args = {"timeout": config.settings.db_timeout_seconds, "check_same_thread": False}
    eng = create_engine(url, future=True, connect_args=connect_args, poolclass=QueuePool)
    event.listen(eng, "connect", _sqlite_pragmas)
    return eng


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(config.settings.db_timeout_seconds * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # What the privacy sweep and erasures remove is overwritten in the file, not only
    # unlinked: some SQLite builds leave deleted text readable in free pages.
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def forget_removed(eng: Engine) -> None:
    """On SQLite, after rows were deleted or rewritten for privacy: empty the file's WAL.

    The WAL keeps the pages as they were before, with the removed text, until it is
    written over. It is deleted when the last connection to the file closes, but a process
    that keeps one open (Rasa's tracker store, the line's pooled engines) keeps it
    indefinitely. A checkpoint in
    TRUNCATE mode copies the pages into the file (where secure_delete overwrote what was
    removed) and empties the WAL. It waits for the busy timeout if a transaction is open;
    if one still is, the next sweep empties it."""
    if eng.dialect.name != "sqlite":
        return
    with eng.connect() as connection:
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
    if busy:
        logger.warning(
            "%s: its WAL could not be emptied now (busy); the next sweep retries", eng.url.database
        )


def _unavailable(exc: Exception, url: str) -> DatabaseUnavailable:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    safe_url = make_url(url).render_as_string(hide_password=True)
    return DatabaseUnavailable(f"database {safe_url} unavailable: {reason}")


@contextmanager
def session_scope() -> Iterator[Session]:
    """One session per call: committed on success, rolled back on any error.
    Connection failures become DatabaseUnavailable."""
    eng = engine()
    session = Session(eng, future=True, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except (OperationalError, InterfaceError) as exc:
        session.rollback()
        metrics.database_error("line")
        raise _unavailable(exc, str(eng.url)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrate(url: Optional[str] = None) -> None:
    """Bring the schema to the newest Alembic revision (safe to run at every start)."""
    url = _url(url)
    parsed = make_url(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = url
    try:
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        command.upgrade(cfg, "head")
    except (OperationalError, InterfaceError, OSError) as exc:
        raise _unavailable(exc, url) from exc
