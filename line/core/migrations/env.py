"""Alembic environment: migrations run on the line's own engine (same pragmas
and timeouts), for the URL passed by `line.core.db.migrate()` or else from settings."""

from alembic import context

from line.core.db import engine

url = context.config.attributes.get("database_url")  # None -> settings.database_url

with engine(url).connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
