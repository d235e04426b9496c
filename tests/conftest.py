"""Fixtures shared by every test folder."""
import dataclasses

import pytest

from line import db
from line import settings as config


@pytest.fixture
def database(tmp_path, monkeypatch):
    """A fresh, migrated SQLite database that the line's settings point at."""
    url = f"sqlite:///{tmp_path / 'line.db'}"
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, database_url=url))
    db.migrate(url)
    return url
