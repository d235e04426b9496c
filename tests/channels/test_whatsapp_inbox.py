"""The WhatsApp inbox: every message stored before the 200, handled again when its
Rasa instance died mid-turn. The store on SQLite and PostgreSQL; the channel on a
real Sanic server with a stand-in agent (the kill -9 test with the real Rasa is
tests/failure/test_rasa_killed_mid_turn.py)."""

import asyncio
import dataclasses
from contextlib import contextmanager
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update

from channels.whatsapp import MAX_ATTEMPTS, WhatsAppInput
from line.core import metrics, pseudonyms
from line.core import settings as config
from line.core.db import session_scope, utc_now
from line.handoff import tickets
from line.whatsapp import store as whatsapp_store
from line.whatsapp import webhook as webhook_rules
from line.whatsapp.webhook import INBOX_PATH
from tests.support.net import at_once, wait_until
from tests.support.whatsapp import (
    INBOX_TOKEN,
    PHONE,
    PSEUDONYM_SECRET,
    ChannelServer,
    FakeAgent,
    inbox_rows,
    payload,
)

PERSON = pseudonyms.pseudonym(PHONE, PSEUDONYM_SECRET)
TEXT = {
    "kind": "text",
    "type": "text",
    "text": "hola",
    "latitude": None,
    "longitude": None,
    "sent_at": "2026-11-25T10:00:00",
}


def age(seconds):
    """Every unfinished message as if taken `seconds` ago (its instance then died)."""
    with session_scope() as session:
        session.execute(
            update(whatsapp_store.WhatsAppInbox).values(
                claimed_at=utc_now() - timedelta(seconds=seconds)
            )
        )


def test_a_message_is_taken_once_with_its_contact_and_without_the_number(whatsapp_db):
    first = whatsapp_store.accept("wa-1", PHONE, "wamid.A", utc_now(), TEXT)
    assert first is not None
    assert whatsapp_store.accept("wa-1", PHONE, "wamid.A", utc_now(), TEXT) is None  # a copy
    assert whatsapp_store.contact("wa-1").phone == PHONE
    [row] = inbox_rows()
    assert PHONE not in row.key + row.message and "wamid" not in row.key + row.message
    whatsapp_store.finish(first)
    [row] = inbox_rows()
    assert row.done_at and row.message is None  # the text is forgotten
    assert whatsapp_store.accept("wa-1", PHONE, "wamid.A", utc_now(), TEXT) is None


def test_stale_messages_come_back_oldest_first_once_each(whatsapp_db):
    ids = [
        whatsapp_store.accept(
            f"wa-{n % 2}", PHONE, f"wamid.{n}", utc_now(), {**TEXT, "text": f"m{n}"}
        )
        for n in range(4)
    ]
    whatsapp_store.finish(ids[1])
    assert whatsapp_store.take_stale(timedelta(seconds=30)).taken == []  # in someone's hands
    age(60)
    taken = whatsapp_store.take_stale(timedelta(seconds=30), skip={ids[3]}).taken
    assert [(p.id, p.pseudonym, p.message["text"], p.attempts) for p in taken] == [
        (ids[0], "wa-0", "m0", 2),
        (ids[2], "wa-0", "m2", 2),
    ]
    assert [p.id for p in whatsapp_store.take_stale(timedelta(seconds=30)).taken] == [ids[3]]
    assert whatsapp_store.take_stale(timedelta(seconds=30)).taken == []  # the lease renewed


def test_racing_instances_take_each_stale_message_once(whatsapp_db):
    for n in range(6):
        whatsapp_store.accept("wa-1", PHONE, f"wamid.{n}", utc_now(), TEXT)
    age(60)
    taken = at_once(lambda _: whatsapp_store.take_stale(timedelta(seconds=30)), 4)
    assert sorted(p.id for batch in taken for p in batch.taken) == [row.id for row in inbox_rows()]


def test_handled_rows_are_purged_with_the_seen_ids(whatsapp_db, monkeypatch):
    done = whatsapp_store.accept("wa-1", PHONE, "wamid.OLD", utc_now(), TEXT)
    whatsapp_store.finish(done)
    whatsapp_store.accept("wa-1", PHONE, "wamid.PENDING", utc_now(), TEXT)
    with session_scope() as session:
        session.execute(
            update(whatsapp_store.WhatsAppInbox)
            .values(done_at=utc_now() - timedelta(hours=49))
            .where(whatsapp_store.WhatsAppInbox.id == done)
        )
    monkeypatch.setattr(whatsapp_store, "PURGE_EVERY_SECONDS", 0)
    whatsapp_store.first_delivery("wamid.NEW")
    assert [row.id for row in inbox_rows()] == [done + 1]


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
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, whatsapp_replay_seconds=0.3)
    )


def all_done() -> bool:
    return all(row.done_at for row in inbox_rows())


@contextmanager
def running(agent):
    """The channel on a real server with `agent` behind it, retrying sends at once."""
    channel = WhatsAppInput()
    channel.client.sleep = lambda seconds: None
    server = ChannelServer(channel, agent)
    try:
        yield server
    finally:
        server.stop()


def settled(server, graph, timeout=10) -> None:
    """Once the person got an answer, every message is done: no replay takes it again, so
    nothing can be sent twice."""
    assert wait_until(lambda: graph.sent, timeout)
    assert wait_until(all_done) and server.idle()


def test_a_message_is_in_the_inbox_until_its_turn_is_over(replaying, graph):
    with running(FakeAgent()) as server:
        assert server.post(payload("text.json")).status_code == 200
        settled(server, graph)
        [row] = inbox_rows()
        assert row.pseudonym == PERSON and row.done_at and row.attempts == 1


def test_messages_left_by_a_dead_instance_are_answered_in_order_at_start(replaying, graph):
    for n in range(3):
        whatsapp_store.accept(PERSON, PHONE, f"wamid.{n}", utc_now(), {**TEXT, "text": f"m{n}"})
    age(60)
    agent = FakeAgent()
    with running(agent) as server:
        assert wait_until(lambda: len(graph.sent) == 3)
        settled(server, graph)
        assert [m.text for m in agent.messages] == ["m0", "m1", "m2"]
        assert graph.texts() == ["eco: m0", "eco: m1", "eco: m2"]
        assert all(m["to"] == PHONE for m in graph.sent)


def test_a_failed_turn_is_tried_again_and_answered_once(replaying, graph):
    agent = FlakyAgent(failures=1)
    with running(agent) as server:
        assert server.post(payload("text.json")).status_code == 200
        settled(server, graph)
        assert len(agent.messages) == 2 and graph.texts() == [f"eco: {agent.messages[0].text}"]


def test_a_turn_that_keeps_failing_goes_to_a_person_with_a_kind_message(replaying, graph):
    agent = FlakyAgent(failures=100)
    with running(agent) as server:
        assert server.post(payload("text.json")).status_code == 200
        settled(server, graph, timeout=15)
        assert len(agent.messages) == MAX_ATTEMPTS
        assert graph.texts() == [server.channel.trouble]
        assert "persona del equipo" in server.channel.trouble  # wording from domain.yml
        [ticket] = tickets.queue()
        assert (ticket["sender_id"], ticket["reason"], ticket["channel"]) == (
            PERSON,
            "technical",
            "whatsapp",
        )
        assert ticket["summary"] == "hola, la prueba de covid es gratis?"


# --- Several instances sharing the inbox (docs/scale.md) -----------------------------


class SlowAgent(FakeAgent):
    """Answers after a short wait, counting the turns it has in hand at once."""

    def __init__(self):
        super().__init__()
        self.active = self.most = 0

    async def handle_message(self, message):
        self.active += 1
        self.most = max(self.most, self.active)
        try:
            await asyncio.sleep(0.05)
            await super().handle_message(message)
        finally:
            self.active -= 1


def nudge(server) -> None:
    headers = {"Authorization": f"Bearer {INBOX_TOKEN}"}
    assert requests.post(server.base + INBOX_PATH, headers=headers).status_code == 202


def test_instances_sharing_the_inbox_take_bounded_batches_and_answer_each_message_once(
    line_settings, graph
):
    people = {f"5190000000{p}": f"wa-{p}" for p in range(4)}
    for n in range(5):
        for phone, pseudonym in people.items():
            whatsapp_store.accept(
                pseudonym,
                phone,
                f"wamid.{phone}.{n}",
                utc_now(),
                {**TEXT, "text": f"m{n}"},
                queued=True,
            )
    agents = [SlowAgent(), SlowAgent()]
    servers = []
    try:
        for agent in agents:
            channel = WhatsAppInput()
            channel.max_in_flight = 2
            servers.append(ChannelServer(channel, agent))
        for server in servers:
            nudge(server)
        assert wait_until(lambda: len(graph.sent) == 20, 20), graph.texts()
        assert wait_until(all_done) and all(server.idle() for server in servers)
    finally:
        for server in servers:
            server.stop()
    for phone in people:  # once each, and each person's in the order they wrote
        assert [t for t, m in graph.received() if m["to"] == phone] == [
            f"eco: m{n}" for n in range(5)
        ]
    assert [agent.most <= 2 for agent in agents] == [True, True]
    assert all(agent.messages for agent in agents), "both instances took a share"
    assert all(row.attempts == 1 for row in inbox_rows())


def test_a_message_another_instance_took_meanwhile_is_not_answered_here(line_settings, graph):
    """The lease ran out while the message waited for the person's earlier turn here, and
    another instance took it: that one answers, this one does not."""
    first = whatsapp_store.accept(PERSON, PHONE, "wamid.1", utc_now(), {**TEXT, "text": "m1"})
    second = whatsapp_store.accept(PERSON, PHONE, "wamid.2", utc_now(), {**TEXT, "text": "m2"})
    release = asyncio.Event()
    lost = metrics.LEASE_LOST._value.get()

    class HeldAgent(FakeAgent):
        async def handle_message(self, message):
            self.messages.append(message)
            if message.text == "m1":
                await release.wait()
            await message.output_channel.send_text_message(
                message.sender_id, f"eco: {message.text}"
            )

    agent = HeldAgent()
    with running(agent) as server:
        channel = server.channel
        for inbox_id, text in ((first, "m1"), (second, "m2")):
            pending = whatsapp_store.Pending(inbox_id, PERSON, {**TEXT, "text": text}, 1)
            asyncio.run_coroutine_threadsafe(
                spawn(channel, pending, server.app.ctx.agent.handle_message), server.loop
            ).result(5)
        assert wait_until(lambda: agent.messages)  # m1 in hand, m2 waits behind it
        with session_scope() as session:  # another instance takes m2
            session.execute(
                update(whatsapp_store.WhatsAppInbox)
                .where(whatsapp_store.WhatsAppInbox.id == second)
                .values(attempts=2)
            )
        server.loop.call_soon_threadsafe(release.set)
        assert wait_until(lambda: not channel.background.running)
    assert [m.text for m in agent.messages] == ["m1"]
    assert graph.texts() == ["eco: m1"]
    assert metrics.LEASE_LOST._value.get() == lost + 1
    [one, two] = inbox_rows()
    assert one.done_at and two.done_at is None  # the other instance finishes it


async def spawn(channel, pending, handler):
    channel.background.spawn(
        channel._handle(
            pending.pseudonym,
            webhook_rules.stored_message(pending),
            pending.id,
            handler,
            pending.attempts,
        )
    )
