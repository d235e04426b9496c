"""stores/turns.py: Rasa's tracker store counts each finished turn once, by what the line
did, as Rasa calls it (through its FailSafeTrackerStore): a new conversation, a turn that
hands over, and saves that are no turn (an operator's reply appended through the HTTP
API, an external intent)."""

import asyncio
import json
import sqlite3

import pytest
import sqlalchemy
from prometheus_client import REGISTRY
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    UserUttered,
)

from stores.turns import MeteredSQLTrackerStore
from tests.support.metrics import ROOT, assert_clean, secrets_of

SENDER = "wa-5f1e2d"


def count(outcome, channel="whatsapp"):
    return (
        REGISTRY.get_sample_value("line_turns_total", {"outcome": outcome, "channel": channel})
        or 0.0
    )


def seconds_observed(outcome):
    return REGISTRY.get_sample_value("line_turn_seconds_count", {"outcome": outcome}) or 0.0


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def store(tmp_path, domain):
    metered = MeteredSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    return FailSafeTrackerStore(metered)


def said(text, intent, channel="whatsapp"):
    return UserUttered(text, {"name": intent, "confidence": 0.9}, input_channel=channel)


def test_each_turn_is_counted_once_by_what_the_line_did(store):
    faq, handoff = count("faq"), count("handoff")
    seconds = seconds_observed("faq")

    async def conversation():
        # A new conversation: Rasa reads nothing, creates the tracker and saves it once
        # before the turn.
        tracker = await store.get_or_create_tracker(SENDER)
        tracker.update(
            said("hola soy Maria Fernanda Gutierrez Rojas, DNI 45678912", "faq/covid_testing")
        )
        tracker.update(ActionExecuted("utter_faq"))
        tracker.update(BotUttered("...", metadata={"utter_action": "utter_faq/covid_testing"}))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        await store.save(tracker)  # saved again: no new message, no new turn

        tracker = await store.get_or_create_tracker(SENDER)
        tracker.update(
            said("quiero hablar con una persona, mi numero es 51987650001", "request_human")
        )
        tracker.update(ActionExecuted("action_handoff"))
        tracker.update(BotUttered("...", metadata={"utter_action": "utter_handoff_queued"}))
        tracker.update(ConversationPaused())
        await store.save(tracker)

    asyncio.run(conversation())
    assert count("faq") == faq + 1 and count("handoff") == handoff + 1
    assert seconds_observed("faq") == seconds + 1


def test_saves_that_carry_no_message_of_the_person_are_no_turn(store):
    async def saves():
        tracker = await store.get_or_create_tracker(SENDER)
        tracker.update(said("hola", "greet", channel="rest"))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        before = sum(count(o, c) for o in ("other", "faq") for c in ("rest", "whatsapp"))
        # The console appends an operator's reply through the HTTP API.
        tracker = await store.get_or_create_tracker(SENDER)
        tracker.update(BotUttered("Hola, soy Ana del equipo"))
        await store.save(tracker)
        # The console resumes the conversation with an external intent.
        tracker = await store.get_or_create_tracker(SENDER)
        tracker.update(UserUttered.create_external("greet"))
        tracker.update(ActionExecuted("utter_greet"))
        await store.save(tracker)
        return before

    before = asyncio.run(saves())
    assert count("other", "rest") >= 1
    assert sum(count(o, c) for o in ("other", "faq") for c in ("rest", "whatsapp")) == before


def test_the_turns_name_no_one(store):
    test_each_turn_is_counted_once_by_what_the_line_did(store)
    from prometheus_client import generate_latest

    assert_clean(generate_latest(REGISTRY).decode(), secrets_of(more=[SENDER]))


def test_on_sqlite_the_store_keeps_its_connection_and_others_read_and_erase_beside_it(
    tmp_path, domain
):
    """The embedded store holds its connections open between turns (no file opened and
    rollback journal synced per call): the file must then be in WAL mode, so a report or
    an erasure in another process reads and writes while Rasa holds it, and a pooled
    connection handed to another thread still works."""
    path = tmp_path / "tracker.db"
    metered = MeteredSQLTrackerStore(domain, dialect="sqlite", db=str(path))

    async def turn(text):
        tracker = await metered.get_or_create_tracker(SENDER)
        tracker.update(said(text, "greet"))
        tracker.update(ActionExecuted("action_listen"))
        await metered.save(tracker)

    asyncio.run(turn("hola"))
    assert metered.engine.pool.checkedin() == 1  # kept, not closed

    other = sqlite3.connect(path, timeout=5)
    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with other:  # another process erases the conversation while Rasa holds the file
        other.execute("DELETE FROM events WHERE sender_id = ?", (SENDER,))

    async def in_another_thread():
        await asyncio.to_thread(asyncio.run, turn("buenas"))

    asyncio.run(in_another_thread())
    texts = [
        event["text"]
        for event in other.execute("SELECT data FROM events").fetchall()
        for event in [json.loads(event[0])]
        if event.get("event") == "user"
    ]
    assert texts == ["buenas"]
    other.close()
    metered.engine.dispose()


def stored_events(metered):
    with metered.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT data FROM events ORDER BY id").fetchall()
    return [json.loads(row[0]) for row in rows]


def test_a_save_appends_what_the_turn_added_without_counting_the_stored_events(tmp_path, domain):
    """Rasa's save counts the conversation's stored events at every turn to find the new
    ones; the store knows them from its read. Over turns, a new session and a tracker
    saved twice, the stored events are the tracker's, each once, and no save counts."""
    metered = MeteredSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    statements = []
    sqlalchemy.event.listen(
        metered.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: statements.append(statement.lower()),
    )

    async def turns():
        tracker = await metered.get_or_create_tracker(SENDER)
        for text in ("hola", "necesito ayuda"):
            tracker = await metered.get_or_create_tracker(SENDER)
            tracker.update(said(text, "greet"))
            tracker.update(ActionExecuted("action_listen"))
            statements.clear()
            await metered.save(tracker)
            assert not [s for s in statements if "count(" in s]
        await metered.save(tracker)  # again, nothing new
        tracker = await metered.get_or_create_tracker(SENDER)
        tracker.update(SessionStarted())
        tracker.update(said("otra vez", "greet"))
        await metered.save(tracker)
        return tracker

    tracker = asyncio.run(turns())
    stored = stored_events(metered)
    assert [event["event"] for event in stored][-2:] == ["session_started", "user"]
    assert len(stored) == len(tracker.events)
    assert [event.get("text") for event in stored if event["event"] == "user"] == [
        "hola",
        "necesito ayuda",
        "otra vez",
    ]
    metered.engine.dispose()


def test_events_erased_while_a_turn_runs_are_not_written_back(tmp_path, domain):
    """An erasure (docs/privacy.md) that lands between a turn's read and its save: Rasa's
    count would find nothing stored and write the whole conversation back."""
    path = tmp_path / "tracker.db"
    metered = MeteredSQLTrackerStore(domain, dialect="sqlite", db=str(path))

    async def turn(text, erase_first=False):
        tracker = await metered.get_or_create_tracker(SENDER)
        tracker.update(said(text, "greet"))
        if erase_first:
            with sqlite3.connect(path, timeout=5) as other:
                other.execute("DELETE FROM events WHERE sender_id = ?", (SENDER,))
        await metered.save(tracker)

    asyncio.run(turn("me llamo Rosa"))
    asyncio.run(turn("gracias", erase_first=True))
    assert [event.get("text") for event in stored_events(metered)] == ["gracias"]
    metered.engine.dispose()
