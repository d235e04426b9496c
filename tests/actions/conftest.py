"""Trackers and a domain for testing actions without a Rasa server."""
import asyncio
import dataclasses
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from line import db
from line import settings as config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain():
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'line.db'}"
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, database_url=url))
    db.migrate(url)
    return url


def make_tracker(text="", intent=None, entities=(), slots=None, events=(), sender="tester",
                 parse_extra=None):
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9},
              "entities": [{"entity": k, "value": v} for k, v in entities], **(parse_extra or {})}
    user = {"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"}
    return Tracker(sender, slots or {}, latest, list(events) + [user], False, None, None,
                   "action_listen")


def run(action, tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return dispatcher.messages, events
