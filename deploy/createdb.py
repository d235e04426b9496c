"""Creates the PostgreSQL databases named by URLs when they are missing.

A fresh host has a server but not the line's database; the postgres container
creates its own (POSTGRES_DB), so only `make run-production` needs this.

    python -m deploy.createdb URL [URL ...]
"""

from __future__ import annotations

import sys
from typing import Sequence

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def create_missing(url: str) -> bool:
    """True when the database was created; SQLite and existing databases are left alone."""
    target = make_url(url)
    if target.get_backend_name() != "postgresql":
        return False
    admin = create_engine(
        target.set(database="postgres"), future=True, isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            if connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ):
                return False
            quoted = connection.dialect.identifier_preparer.quote(target.database)
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
            return True
    finally:
        admin.dispose()


def main(urls: Sequence[str]) -> None:
    for url in dict.fromkeys(urls):
        if create_missing(url):
            print(f"created database {make_url(url).database}")


if __name__ == "__main__":
    main(sys.argv[1:])
