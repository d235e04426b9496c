"""The privacy sweep (line/privacy/sweep.py) rewrites events in Rasa's own SQL tracker
store: Rasa still loads the conversation afterwards, event for event, without the
identifiers and with the line's responses as they were."""

import asyncio
import dataclasses
import json
from datetime import timedelta

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from line.core import settings as config
from line.core.db import utc_now
from line.privacy import sweep
from stores.turns import MeteredSQLTrackerStore
from tests.support.metrics import ROOT

SENDER = "wa-0a1b2c"
SAID = "me llamo Yuleisy Pérez, mi cédula es V-12.345.678, busco albergue en Lima"
IDENTIFIERS = ("Yuleisy", "Pérez", "12.345.678")


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


def test_rasa_loads_the_anonymized_conversation(database, tmp_path, domain, monkeypatch):
    path = tmp_path / "tracker.db"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, tracker_db_url=f"sqlite:///{path}")
    )
    rasa_store = SQLTrackerStore(domain, dialect="sqlite", db=str(path))
    at = (utc_now() - timedelta(hours=2)).timestamp()  # naive UTC read as local: any past time
    entities = [
        {"entity": "service_category", "value": "shelter"},
        {"entity": "region", "value": "Lima"},
    ]
    events = [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at + 1),
        ActionExecuted("action_listen", timestamp=at + 2),
        UserUttered(
            SAID,
            intent={"name": "find_service", "confidence": 0.9},
            entities=entities,
            parse_data={"text": SAID, "intent": {"name": "find_service"}, "entities": entities},
            timestamp=at + 3,
        ),
        SlotSet("region", "Lima", timestamp=at + 4),
        BotUttered(
            "Gracias, Yuleisy. Busco albergues en Lima.",
            metadata={"utter_action": "utter_searching"},
            timestamp=at + 5,
        ),
        BotUttered("¿Te sirvió?", metadata={"utter_action": "utter_ask_rating"}, timestamp=at + 6),
        ActionExecuted("action_listen", timestamp=at + 7),
    ]
    asyncio.run(rasa_store.save(DialogueStateTracker.from_events(SENDER, events, domain.slots)))

    assert sweep.run(utc_now() + timedelta(days=1)).anonymized == 1

    loaded = asyncio.run(rasa_store.retrieve(SENDER))
    # Rasa loads the session from its `session_started` on, as before the sweep.
    assert [type(e) for e in loaded.events] == [type(e) for e in events[1:]]
    stored = json.dumps([e.as_dict() for e in loaded.events], ensure_ascii=False)
    assert [i for i in IDENTIFIERS if i in stored] == []
    assert "<DOCUMENTO>" in loaded.latest_message.text
    assert loaded.latest_message.text.endswith("busco albergue en Lima")
    assert [e["value"] for e in loaded.latest_message.entities] == ["shelter", "Lima"]
    assert loaded.get_slot("region") == "Lima"
    bots = [e.text for e in loaded.events if isinstance(e, BotUttered)]
    assert bots[1] == "¿Te sirvió?" and bots[0].endswith("Busco albergues en Lima.")


def test_no_identifier_is_left_in_the_files_while_rasa_keeps_them_open(
    database, tmp_path, domain, monkeypatch
):
    """The embedded store (stores/turns.py) holds its file open for its life, so the WAL,
    with the pages as they were before the sweep, is never deleted: the sweep empties it."""
    path = tmp_path / "rasa" / "tracker.db"
    path.parent.mkdir()
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, tracker_db_url=f"sqlite:///{path}")
    )
    rasa_store = MeteredSQLTrackerStore(domain, dialect="sqlite", db=str(path))
    at = (utc_now() - timedelta(hours=2)).timestamp()
    events = [
        SessionStarted(timestamp=at),
        ActionExecuted("action_listen", timestamp=at + 1),
        UserUttered(SAID, intent={"name": "find_service", "confidence": 0.9}, timestamp=at + 2),
        ActionExecuted("action_listen", timestamp=at + 3),
    ]
    asyncio.run(rasa_store.save(DialogueStateTracker.from_events(SENDER, events, domain.slots)))
    assert rasa_store.engine.pool.checkedin() == 1  # Rasa holds the file open

    assert sweep.run(utc_now() + timedelta(days=1)).anonymized == 1

    files = {f.name: f.read_bytes().decode("utf-8", "replace") for f in path.parent.iterdir()}
    assert [(name, i) for name, text in files.items() for i in IDENTIFIERS if i in text] == []
    rasa_store.engine.dispose()
