"""PostgreSQL, the tracker store, restarts mid-conversation or stays down (issue #7,
docs/failures.md). The store alone first, then the whole line with the trained model."""

import asyncio
import threading
import time
import uuid

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from line.handoff import tickets
from stores.journal import Journal
from stores.tracker_store import JournaledSQLTrackerStore
from tests.production.conftest import stored_events, stored_texts, user_texts
from tests.support.net import wait_until
from tests.support.requirements import ROOT


@pytest.fixture
def new_store(tracker_db, journal):
    """Builds stores as Rasa does from endpoints.production.yml; one per Rasa instance."""
    made = []

    def make(kind=JournaledSQLTrackerStore):
        made.append(kind(host=tracker_db.proxied, dialect="postgresql", domain=Domain.empty()))
        return made[-1]

    yield make
    for store in made:
        store.engine.dispose()


def turn(tracker: DialogueStateTracker, text: str) -> DialogueStateTracker:
    for event in (
        UserUttered(text),
        BotUttered(f"respuesta a {text}"),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    return tracker


async def first_turn(store, text: str) -> str:
    sender = f"pg-{uuid.uuid4().hex[:10]}"
    tracker = DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
    )
    await store.save(turn(tracker, text))
    return sender


def test_rasa_own_store_fails_the_first_call_after_a_restart(new_store, proxies):
    """Why the store is replaced: this failure makes Rasa answer as if the person were new."""
    store = new_store(SQLTrackerStore)
    sender = asyncio.run(first_turn(store, "hola"))
    proxies.postgres.restart(0.2)
    with pytest.raises(Exception, match="closed the connection"):
        asyncio.run(store.retrieve(sender))


def test_a_restart_between_turns_goes_unnoticed(new_store, proxies, tracker_db, journal):
    store = new_store()

    async def conversation():
        sender = await first_turn(store, "necesito un albergue")
        proxies.postgres.restart(0.5)
        tracker = await store.retrieve(sender)
        assert user_texts([e.as_dict() for e in tracker.events]) == ["necesito un albergue"]
        await store.save(turn(tracker, "en trujillo"))
        return sender

    sender = asyncio.run(conversation())
    assert stored_texts(tracker_db.direct, sender) == ["necesito un albergue", "en trujillo"]
    assert len(Journal(journal)) == 0


def test_a_restart_during_a_save_is_waited_for(new_store, proxies, tracker_db, journal):
    store = new_store()

    async def conversation():
        sender = await first_turn(store, "hola")
        tracker = await store.retrieve(sender)
        proxies.postgres.down()
        threading.Timer(1.5, proxies.postgres.up).start()
        started = time.monotonic()
        await store.save(turn(tracker, "sigo aqui"))
        return sender, time.monotonic() - started

    sender, waited = asyncio.run(conversation())
    assert waited >= 1.4
    assert stored_texts(tracker_db.direct, sender) == ["hola", "sigo aqui"]
    assert len(Journal(journal)) == 0


def test_turns_while_postgresql_is_down_are_journaled_then_stored_in_order(
    new_store, proxies, tracker_db, journal
):
    first, second = new_store(), new_store()  # two Rasa instances sharing the journal

    async def conversation():
        sender = await first_turn(first, "uno")
        tracker = await first.retrieve(sender)
        proxies.postgres.down()
        # Down between reading and saving: the turn is kept after what was read.
        await first.save(turn(tracker, "dos"))
        # Down when reading: the turns since the outage began are the conversation.
        tracker = await second.retrieve(sender)
        assert user_texts([e.as_dict() for e in tracker.events]) == ["dos"]
        await second.save(turn(tracker, "tres"))
        assert stored_texts(tracker_db.direct, sender) == ["uno"]
        proxies.postgres.up()
        tracker = await second.retrieve(sender)
        return sender, [e.as_dict() for e in tracker.events]

    sender, events = asyncio.run(conversation())
    stored = stored_events(tracker_db.direct, sender)
    assert user_texts(stored) == ["uno", "dos", "tres"]
    assert user_texts(events) == ["uno", "dos", "tres"]
    assert len({(e["event"], e["timestamp"]) for e in stored}) == len(stored)
    assert len(Journal(journal)) == 0


def test_a_new_conversation_while_postgresql_is_down_is_stored_later(
    new_store, proxies, tracker_db
):
    store = new_store()
    sender = f"pg-{uuid.uuid4().hex[:10]}"

    async def conversation():
        proxies.postgres.down()
        tracker = await store.retrieve(sender)
        assert tracker is not None and not tracker.events
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        await store.save(turn(tracker, "hola, soy nueva"))
        proxies.postgres.up()
        return await store.retrieve(sender)

    tracker = asyncio.run(conversation())
    assert tracker.latest_message.text == "hola, soy nueva"
    assert stored_texts(tracker_db.direct, sender) == ["hola, soy nueva"]


def test_rasa_starts_while_postgresql_is_down(new_store, proxies, tracker_db):
    proxies.postgres.down()
    store = new_store()  # Rasa's constructor logs and goes on
    sender = f"pg-{uuid.uuid4().hex[:10]}"

    async def conversation():
        tracker = await store.retrieve(sender)
        await store.save(turn(tracker, "hola"))
        proxies.postgres.up()
        return await store.retrieve(sender)

    assert asyncio.run(conversation()).latest_message.text == "hola"
    assert stored_texts(tracker_db.direct, sender) == ["hola"]


def test_a_journal_entry_already_written_is_not_written_twice(new_store, tracker_db):
    """A crash between PostgreSQL's commit and the journal's removal."""
    store = new_store()

    async def conversation():
        sender = await first_turn(store, "hola")
        tracker = await store.retrieve(sender)
        events = [e.as_dict() for e in turn(tracker, "otra vez").events][-3:]
        await store.save(tracker)
        store.journal.append(sender, events, appended=True)
        await store.retrieve(sender)
        return sender

    sender = asyncio.run(conversation())
    assert stored_texts(tracker_db.direct, sender) == ["hola", "otra vez"]
    assert len(store.journal) == 0


def test_two_turns_from_the_same_state_both_keep_their_events(new_store, tracker_db):
    """Two instances answering one person at once (the lock store was down)."""
    first, second = new_store(), new_store()

    async def conversation():
        sender = await first_turn(first, "hola")
        one, other = await first.retrieve(sender), await second.retrieve(sender)
        await first.save(turn(one, "busco trabajo"))
        await second.save(turn(other, "y un albergue"))
        return sender

    sender = asyncio.run(conversation())
    assert stored_texts(tracker_db.direct, sender) == ["hola", "busco trabajo", "y un albergue"]


def test_the_line_waits_for_postgresql_restarting_and_keeps_the_conversation(person, proxies, line):
    assert person.say("necesito un albergue")
    proxies.postgres.down()  # restarting as the answer arrives
    threading.Timer(1.5, proxies.postgres.up).start()
    assert person.say("en trujillo")
    tracker = person.tracker()
    assert "action_find_services" in person.actions()
    assert (tracker["slots"]["service_category"], tracker["slots"]["region"]) == (
        "shelter",
        "La Libertad",
    )
    assert stored_texts(line.db.direct, person.sender) == ["necesito un albergue", "en trujillo"]


def test_with_postgresql_down_the_line_answers_kindly_and_loses_nothing(person, proxies, line):
    assert person.say("hola")
    proxies.postgres.down()
    assert person.say("el seguro sis atiende a los venezolanos?")
    assert "utter_faq/health_insurance_sis" in person.utters()  # read from the journal
    replies = person.say("quiero hablar con una persona")  # the tickets are down too
    assert "action_handoff" in person.actions()
    proxies.postgres.up()
    ticket = wait_until(lambda: [t for t in tickets.queue() if t["sender_id"] == person.sender], 15)
    assert [t["reason"] for t in ticket] == ["requested"]
    # Nobody writes again: the journal reaches PostgreSQL by itself.
    stored = wait_until(
        lambda: [
            e
            for e in stored_events(line.db.direct, person.sender)
            if e["event"] == "action" and e["name"] == "action_handoff"
        ],
        15,
    ) and stored_events(line.db.direct, person.sender)
    assert user_texts(stored) == [
        "hola",
        "el seguro sis atiende a los venezolanos?",
        "quiero hablar con una persona",
    ]
    assert len({(e["event"], e["timestamp"]) for e in stored}) == len(stored)
    kept = Domain.from_yaml((ROOT / "domain.yml").read_text()).responses["utter_handoff_kept"]
    assert [r["text"] for r in replies] == [kept[0]["text"]]
