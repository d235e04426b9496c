"""endpoints.production.yml on the real services, without a model: Rasa reads it with
its own loader and builds the stores and the broker with its own factories, so a
wrong key or an unexpanded ${VAR} fails here and not at the first message. Each
test skips, saying why, when its service is not reachable on this machine."""

import asyncio
import dataclasses
import json
import uuid
from pathlib import Path

import aio_pika
import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from line.core import access
from line.core import settings as config
from stores.broker import RedactingPikaEventBroker
from tests.support.requirements import RABBITMQ, REDIS

ENDPOINTS = Path(__file__).resolve().parents[2] / "endpoints.production.yml"


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """What make run-production exports, pointed at this test's own names; the tracker
    store URL is added by the PostgreSQL test, which alone needs a database. The tracker
    store's journal (stores/journal.py) is the test's own, not the project's var/."""
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_journal=tmp_path / "journal" / "tracker.db"),
    )
    queue = f"line_test_{uuid.uuid4().hex[:8]}"
    values = {
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
        "ACTION_SERVER_TOKEN": "a-shared-secret",
        "TRACKER_DB_URL": "postgresql://unused@127.0.0.1:5432/unused",
        "REDIS_HOST": REDIS[0],
        "REDIS_PORT": str(REDIS[1]),
        "REDIS_LOCK_DB": "1",
        "REDIS_PASSWORD": "",
        "RABBITMQ_HOST": RABBITMQ[0],
        "RABBITMQ_PORT": str(RABBITMQ[1]),
        "RABBITMQ_USER": "guest",
        "RABBITMQ_PASSWORD": "guest",
        "RABBITMQ_QUEUE": queue,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_every_value_comes_from_the_environment(environment):
    endpoints = read_endpoints_from_path(ENDPOINTS)
    assert endpoints.action.url == environment["ACTION_ENDPOINT_URL"]
    # Rasa sends the secret with every action call, where the action server looks for it.
    assert endpoints.action.headers == {
        access.ACTION_TOKEN_HEADER: environment["ACTION_SERVER_TOKEN"]
    }
    assert endpoints.tracker_store.url == environment["TRACKER_DB_URL"]
    assert endpoints.lock_store.kwargs["password"] == ""
    assert endpoints.event_broker.kwargs["queues"] == [environment["RABBITMQ_QUEUE"]]


def test_a_missing_variable_stops_rasa_at_start(environment, monkeypatch):
    monkeypatch.delenv("REDIS_HOST")
    with pytest.raises(Exception, match="REDIS_HOST"):
        read_endpoints_from_path(ENDPOINTS)


def test_conversations_are_kept_in_postgresql(environment, monkeypatch, postgres_url):  # noqa: F811
    monkeypatch.setenv("TRACKER_DB_URL", postgres_url)
    endpoints = read_endpoints_from_path(ENDPOINTS)
    store = TrackerStore.create(endpoints.tracker_store, domain=Domain.empty())
    # The factory falls back to memory on a bad configuration; that must not pass.
    assert isinstance(store, SQLTrackerStore)
    sender = f"deploy-{uuid.uuid4().hex}"
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("donde me vacuno en trujillo", {"name": "find_service"}),
        BotUttered("Te busco un lugar 🙂"),
    ]

    async def save_and_read():
        await store.save(DialogueStateTracker.from_events(sender, events))
        # A second store is a second Rasa instance reading what the first wrote.
        other = TrackerStore.create(endpoints.tracker_store, domain=Domain.empty())
        return await other.retrieve_full_tracker(sender)

    tracker = asyncio.run(save_and_read())
    assert [type(e) for e in tracker.events] == [type(e) for e in events]
    assert tracker.latest_message.text == "donde me vacuno en trujillo"
    assert tracker.latest_bot_utterance.text == "Te busco un lugar 🙂"
    store.engine.dispose()


def test_a_conversation_lock_is_shared_through_redis(environment, redis_service):
    endpoints = read_endpoints_from_path(ENDPOINTS)
    first, second = (LockStore.create(endpoints.lock_store) for _ in range(2))
    assert isinstance(first, RedisLockStore)
    conversation = f"deploy-{uuid.uuid4().hex}"

    async def hold_and_release():
        async with first.lock(conversation):
            # A message for the same person on another instance waits its turn...
            waiting = second.issue_ticket(conversation)
            assert second.get_lock(conversation).is_locked(waiting)
        # ...and goes as soon as the first instance is done.
        assert not second.get_lock(conversation).is_locked(waiting)
        second.cleanup(conversation, waiting)

    asyncio.run(hold_and_release())
    assert not second.get_lock(conversation)


def test_events_reach_rabbitmq_redacted(environment, rabbitmq_service):
    endpoints = read_endpoints_from_path(ENDPOINTS)
    queue_name = environment["RABBITMQ_QUEUE"]
    said = "hola, me llamo Yuleisy Carrasquel, DNI 45678912, mi cel 987654321"
    event = {"event": "user", "sender_id": f"deploy-{uuid.uuid4().hex}", "text": said}

    async def publish_and_consume():
        broker = await EventBroker.create(endpoints.event_broker)
        assert isinstance(broker, RedactingPikaEventBroker)
        broker.publish(event)
        for _ in range(100):  # published within 10 s
            if not broker.in_flight:
                break
            await asyncio.sleep(0.1)
        await broker.close()
        # Consumed with aio-pika, the AMQP client Rasa's "pika" broker is built on.
        connection = await aio_pika.connect_robust(
            f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/"
        )
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(queue_name, durable=True)
            message = await queue.get(timeout=5, fail=False)
            for _ in range(50):
                if message:
                    break
                await asyncio.sleep(0.1)
                message = await queue.get(timeout=5, fail=False)
            await queue.delete(if_unused=False, if_empty=False)
        return message

    message = asyncio.run(publish_and_consume())
    assert message is not None, "nothing arrived in the queue"
    body = json.loads(message.body)
    assert body["sender_id"] == event["sender_id"]
    assert body["text"] == "hola, me llamo <NOMBRE>, DNI <DOCUMENTO>, mi cel <TELEFONO>"
    assert all(part not in message.body.decode() for part in ("Yuleisy", "45678912", "987654321"))
