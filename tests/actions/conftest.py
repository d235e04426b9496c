"""Trackers and a domain for testing actions without a Rasa server."""

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain():
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def make_tracker(
    text="",
    intent=None,
    entities=(),
    slots=None,
    events=(),
    sender="tester",
    parse_extra=None,
    paused=False,
):
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [{"entity": k, "value": v} for k, v in entities],
        **(parse_extra or {}),
    }
    user = {"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"}
    return Tracker(
        sender, slots or {}, latest, list(events) + [user], paused, None, None, "action_listen"
    )


def run(action, tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return dispatcher.messages, events
