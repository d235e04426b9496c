"""The WhatsApp inbox: every message stored before the 200, handled again when its
Rasa instance died mid-turn. The store on SQLite and PostgreSQL; the channel on a
real Sanic server with a stand-in agent (the kill -9 test with the real Rasa is
tests/failure/test_rasa_killed_mid_turn.py)."""
import dataclasses
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from channels.whatsapp import MAX_ATTEMPTS, WhatsAppInput
from line.core import pseudonyms
from line.core import settings as config
from line.core.db import session_scope, utc_now
from line.handoff import tickets
from line.whatsapp import store as whatsapp_store
from tests.support.net import wait_until
from tests.support.whatsapp import PHONE, PSEUDONYM_SECRET, ChannelServer, FakeAgent, payload

PERSON = pseudonyms.pseudonym(PHONE, PSEUDONYM_SECRET)
TEXT = {"kind": "text", "type": "text", "text": "hola", "latitude": None, "longitude": None,
        "sent_at": "2026-11-25T10:00:00"}


@pytest.fixture
def store(migrated, monkeypatch):
    monkeypatch.setattr(config, "settings", dataclasses.replace(
        config.settings, pseudonym_secret=PSEUDONYM_SECRET, redis_url=""))
    return migrated


def inbox():
    with session_scope() as session:
        return session.execute(select(whatsapp_store.WhatsAppInbox)
                               .order_by(whatsapp_store.WhatsAppInbox.id)).scalars().all()


def age(seconds):
    """Every unfinished message as if taken `seconds` ago (its instance then died)."""
    with session_scope() as session:
        session.execute(update(whatsapp_store.WhatsAppInbox)
                        .values(claimed_at=utc_now() - timedelta(seconds=seconds)))


def test_a_message_is_taken_once_with_its_contact_and_without_the_number(store):
    first = whatsapp_store.accept("wa-1", PHONE, "wamid.A", utc_now(), TEXT)
    assert first is not None
    assert whatsapp_store.accept("wa-1", PHONE, "wamid.A", utc_now(), TEXT) is None  # a copy
    assert whatsapp_store.contact("wa-1").phone == PHONE
    [row] = inbox()
    assert PHONE not in row.key + row.message and "wamid" not in row.key + row.message
    whatsapp_store.finish(first)
    [row] = inbox()
    assert row.done_at and row.message is None          # the text is forgotten
    assert whatsapp_store.accept("wa-1", PHONE, "wamid.A", utc_now(), TEXT) is None


def test_stale_messages_come_back_oldest_first_once_each(store):
    ids = [whatsapp_store.accept(f"wa-{n % 2}", PHONE, f"wamid.{n}", utc_now(),
                                 {**TEXT, "text": f"m{n}"}) for n in range(4)]
    whatsapp_store.finish(ids[1])
    assert whatsapp_store.take_stale(timedelta(seconds=30)) == []   # still in someone's hands
    age(60)
    taken = whatsapp_store.take_stale(timedelta(seconds=30), skip={ids[3]})
    assert [(p.id, p.pseudonym, p.message["text"], p.attempts) for p in taken] == [
        (ids[0], "wa-0", "m0", 2), (ids[2], "wa-0", "m2", 2)]
    assert [p.id for p in whatsapp_store.take_stale(timedelta(seconds=30))] == [ids[3]]
    assert whatsapp_store.take_stale(timedelta(seconds=30)) == []   # the lease was renewed


def test_racing_instances_take_each_stale_message_once(store):
    for n in range(6):
        whatsapp_store.accept("wa-1", PHONE, f"wamid.{n}", utc_now(), TEXT)
    age(60)
    taken, start = [], threading.Barrier(4)

    def instance():
        start.wait()
        taken.extend(p.id for p in whatsapp_store.take_stale(timedelta(seconds=30)))

    threads = [threading.Thread(target=instance) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == [row.id for row in inbox()]


def test_handled_rows_are_purged_with_the_seen_ids(store, monkeypatch):
    done = whatsapp_store.accept("wa-1", PHONE, "wamid.OLD", utc_now(), TEXT)
    whatsapp_store.finish(done)
    whatsapp_store.accept("wa-1", PHONE, "wamid.PENDING", utc_now(), TEXT)
    with session_scope() as session:
        session.execute(update(whatsapp_store.WhatsAppInbox)
                        .values(done_at=utc_now() - timedelta(hours=49))
                        .where(whatsapp_store.WhatsAppInbox.id == done))
    monkeypatch.setattr(whatsapp_store, "PURGE_EVERY_SECONDS", 0)
    whatsapp_store.first_delivery("wamid.NEW")
    assert [row.id for row in inbox()] == [done + 1]


# --- The channel ------------------------------------------------------------------

class FlakyAgent(FakeAgent):
    """Fails the first `failures` turns (as when Rasa's stores are down), then echoes."""

    def __init__(self, failures):
        super().__init__()
        self.failures = failures

    async def handle_message(self, message):
        self.messages.append(message)
        if len(self.messages) <= self.failures:
            raise RuntimeError("tracker store unavailable")
        await message.output_channel.send_text_message(message.sender_id, f"eco: {message.text}")


@pytest.fixture
def replaying(line_settings, monkeypatch):
    """The channel's settings with a replay every 0.3 s."""
    monkeypatch.setattr(config, "settings", dataclasses.replace(
        config.settings, whatsapp_replay_seconds=0.3))


def all_done() -> bool:
    return all(row.done_at for row in inbox())


def start(agent):
    channel = WhatsAppInput()
    channel.client.sleep = lambda seconds: None
    return ChannelServer(channel, agent)


def test_a_message_is_in_the_inbox_until_its_turn_is_over(replaying, graph):
    server = start(FakeAgent())
    try:
        assert server.post(payload("text.json")).status_code == 200
        assert wait_until(lambda: graph.sent) and server.idle()
        [row] = inbox()
        assert row.pseudonym == PERSON and row.done_at and row.attempts == 1
    finally:
        server.stop()


def test_messages_left_by_a_dead_instance_are_answered_in_order_at_start(replaying, graph):
    for n in range(3):
        whatsapp_store.accept(PERSON, PHONE, f"wamid.{n}", utc_now(), {**TEXT, "text": f"m{n}"})
    age(60)
    agent = FakeAgent()
    server = start(agent)
    try:
        assert wait_until(lambda: len(graph.sent) == 3) and server.idle()
        # Once every message is done no replay takes it again: nothing is sent twice.
        assert wait_until(all_done)
        assert [m.text for m in agent.messages] == ["m0", "m1", "m2"]
        assert graph.texts() == ["eco: m0", "eco: m1", "eco: m2"]
        assert all(m["to"] == PHONE for m in graph.sent)
        assert all(row.done_at for row in inbox())
    finally:
        server.stop()


def test_a_failed_turn_is_tried_again_and_answered_once(replaying, graph):
    agent = FlakyAgent(failures=1)
    server = start(agent)
    try:
        assert server.post(payload("text.json")).status_code == 200
        assert wait_until(lambda: graph.sent) and wait_until(all_done) and server.idle()
        assert len(agent.messages) == 2 and graph.texts() == [f"eco: {agent.messages[0].text}"]
        assert inbox()[0].done_at
    finally:
        server.stop()


def test_a_turn_that_keeps_failing_goes_to_a_person_with_a_kind_message(replaying, graph):
    agent = FlakyAgent(failures=100)
    server = start(agent)
    try:
        assert server.post(payload("text.json")).status_code == 200
        assert wait_until(lambda: graph.sent, timeout=15)
        assert wait_until(all_done) and server.idle()
        assert len(agent.messages) == MAX_ATTEMPTS
        assert graph.texts() == [server.channel.trouble]
        assert "persona del equipo" in server.channel.trouble   # wording from domain.yml
        [ticket] = tickets.queue()
        assert (ticket["sender_id"], ticket["reason"], ticket["channel"]) == (
            PERSON, "technical", "whatsapp")
        assert ticket["summary"] == "hola, la prueba de covid es gratis?"
        assert inbox()[0].done_at
    finally:
        server.stop()
