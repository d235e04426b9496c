"""The media tests run on a fresh migrated database (SQLite, and PostgreSQL where the
fixture says so) with the tests' media key."""

import dataclasses

import pytest

from line.core import settings as config
from tests.support.whatsapp import MEDIA_KEY


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, media_key=MEDIA_KEY)
    )


@pytest.fixture
def media_db(migrated, keyed):
    return migrated
