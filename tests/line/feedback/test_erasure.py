""" "Borrar mis datos": what the line owns goes at once, the conversation once its
turn is stored, and only an anonymous count remains."""

import asyncio
import dataclasses
from datetime import timedelta, timezone

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from sqlalchemy import create_engine, func, select

from line.core import settings as config
from line.core.db import session_scope, utc_now
from line.feedback import coding, dashboard, erasure, ratings
from line.feedback.coding import Feedback
from line.feedback.erasure import Erasure
from line.feedback.ratings import Rating
from line.handoff import outbound, tickets
from line.media import store as media
from line.privacy import rights
from line.whatsapp import store
from stores.turns import MeteredSQLTrackerStore
from tests.line.feedback.trackers import EVENTS, Tracker, seed
from tests.support.requirements import ROOT

ANA = "51987654321"
MARIA = "maria@rest"


@pytest.fixture
def tracker_url(migrated, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_db_url=url, erasure_grace_seconds=0),
    )
    seed(url)
    coding.ingest()
    tickets.open_ticket(ANA, "requested", messages=[("user", "quiero hablar con alguien")])
    tickets.open_ticket(MARIA, "unresolved")
    ratings.record(ANA, "shelter", useful=True)
    ratings.record(MARIA, "shelter", useful=False)
    store.record_inbound(ANA, "+51987654321", utc_now())
    return url


def _count(model, **where):
    with session_scope() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalar()


def _events(url, sender):
    with create_engine(url, future=True).connect() as connection:
        return connection.execute(
            select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id == sender)
        ).scalar()


def _end_turn(url, sender):
    """What Rasa stores after the erase action: the bot's confirmation and action_listen."""
    seeded = Tracker(url)
    seeded.clock = utc_now().replace(tzinfo=timezone.utc).timestamp()
    seeded.turn(
        sender, "si", "affirm", actions=("action_erase_data",), utters=("utter_erase_done",)
    )


def test_a_request_erases_tickets_codes_and_ratings_at_once(tracker_url):
    erasure.request(ANA)
    assert _count(Feedback, sender_hash=coding.sender_hash(ANA)) == 0
    assert _count(Rating, sender_hash=coding.sender_hash(ANA)) == 0
    assert [t["sender_id"] for t in tickets.queue()] == [MARIA]
    # Nobody else's data is touched.
    assert _count(Feedback, sender_hash=coding.sender_hash(MARIA)) > 0
    assert _count(Rating, sender_hash=coding.sender_hash(MARIA)) == 1


def test_the_conversation_goes_only_after_the_erasure_turn_is_stored(tracker_url):
    erasure.request(ANA)
    assert erasure.sweep() == 0  # Rasa has not stored the turn yet
    assert _events(tracker_url, ANA) > 0
    _end_turn(tracker_url, ANA)
    assert erasure.sweep() == 1
    assert _events(tracker_url, ANA) == 0
    assert _events(tracker_url, MARIA) > 0
    assert store.contact(ANA) is None
    assert erasure.sweep() == 0  # done once


def test_nothing_of_a_person_is_coded_again_while_their_erasure_waits(tracker_url):
    """Their events stay in the tracker until the erasure turn is stored: a report, the
    review inbox or `make suggest` refreshing meanwhile must not code them back."""
    ana, maria = coding.sender_hash(ANA), coding.sender_hash(MARIA)
    maria_before = _count(Feedback, sender_hash=maria)
    asked = Tracker(tracker_url)
    asked.clock = utc_now().replace(tzinfo=timezone.utc).timestamp() - 60
    asked.turn(ANA, "hay trabajo de costura en Lima?", "nlu_fallback", actions=("action_clarify",))
    erasure.request(ANA)  # her last question was never coded: it waits in the tracker
    assert dashboard.refresh() == 0  # Ana's turn is not stored: her erasure waits
    assert _events(tracker_url, ANA) > 0
    assert _count(Feedback, sender_hash=ana) == 0
    assert _count(Feedback, sender_hash=maria) == maria_before
    _end_turn(tracker_url, ANA)
    dashboard.refresh()
    assert _count(Feedback, sender_hash=ana) == 0 and erasure.pending_senders() == set()


def test_only_an_anonymous_count_remains(tracker_url):
    erasure.request(ANA)
    _end_turn(tracker_url, ANA)
    erasure.sweep()
    with session_scope() as session:
        [row] = session.execute(select(Erasure)).scalars()
    assert row.sender_id is None and row.completed_at is not None
    assert erasure.count_completed() == 1


def test_a_sweep_waits_for_the_grace_time(tracker_url, monkeypatch):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, erasure_grace_seconds=3600)
    )
    erasure.request(ANA)
    assert erasure.sweep() == 0
    with session_scope() as session:
        session.get(Erasure, 1).requested_at = utc_now() - timedelta(hours=2)
    # Older than the grace time, but its turn end is still missing from the store.
    assert erasure.sweep() == 0


def test_a_written_request_erases_everything_of_the_person_at_once(tracker_url):
    media.add(ANA, "whatsapp", "image", "graph-ana", "image/jpeg")
    media.add(MARIA, "rest", "image", "graph-maria", "image/jpeg")
    outbound.deliver("rest", ANA, "Hola Ana, te llamo al 987654321")
    outbound.deliver("rest", MARIA, "Hola María")
    maria_before = rights.export(MARIA)
    erasure.erase_now(ANA)
    assert rights.summary(ANA).empty
    left = rights.export(ANA)
    kinds = (
        "conversation",
        "tickets",
        "operator_messages",
        "ratings",
        "feedback",
        "media",
        "whatsapp_contact",
    )
    assert [left[kind] for kind in kinds] == [[], [], [], [], [], [], None]
    # Nobody else's data is touched.
    maria_after = rights.export(MARIA)
    assert {k: v for k, v in maria_after.items() if k != "exported_at"} == {
        k: v for k, v in maria_before.items() if k != "exported_at"
    }
    assert maria_after["conversation"] and maria_after["media"]
    assert maria_after["operator_messages"]
    # Only the date stays, counted like the person's own erasures.
    with session_scope() as session:
        [row] = session.execute(select(Erasure)).scalars()
    assert row.sender_id is None and row.completed_at is not None
    assert erasure.count_completed() == 1


def test_erased_text_is_not_left_in_the_files_while_rasa_keeps_them_open(migrated, tmp_path):
    """Rasa's embedded tracker store keeps its connection to the file for its life, so the
    file's WAL, with the pages as they were before the erasure, is never deleted: the
    erasure empties it."""
    path = tmp_path / "rasa" / "tracker.db"
    path.parent.mkdir()
    rasa_store = MeteredSQLTrackerStore(
        Domain.load(str(ROOT / "domain.yml")), dialect="sqlite", db=str(path)
    )

    async def turn():
        tracker = await rasa_store.get_or_create_tracker(ANA)
        tracker.update(UserUttered("me llamo Yuleisy Colmenares", {"name": "greet"}))
        tracker.update(ActionExecuted("action_listen"))
        await rasa_store.save(tracker)

    asyncio.run(turn())
    assert rasa_store.engine.pool.checkedin() == 1  # Rasa holds the file open
    erasure.erase_now(ANA, tracker_url=f"sqlite:///{path}")
    left = [f.name for f in path.parent.iterdir() if b"Colmenares" in f.read_bytes()]
    assert left == []
    rasa_store.engine.dispose()
