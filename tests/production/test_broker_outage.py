"""RabbitMQ, the event broker, is down (issue #7, docs/failures.md). The broker alone
first, then the whole line with the trained model, which was started while RabbitMQ
was unreachable (see conftest.py)."""

import asyncio
import dataclasses
import time
import uuid

import pytest
from aiormq.exceptions import AMQPConnectionError
from rasa.core.brokers.pika import PikaEventBroker
from rasa.utils.endpoints import EndpointConfig

from line.core import settings as config
from stores.broker import BufferedPikaEventBroker
from tests.production.conftest import Queue, stored_events
from tests.support.requirements import RABBITMQ


@pytest.fixture
def queue():
    made = Queue(f"line_test_{uuid.uuid4().hex[:8]}")
    yield made
    made.delete()


@pytest.fixture
def endpoint(proxies, queue, monkeypatch):
    """As endpoints.production.yml configures it."""
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, broker_retry_seconds=0.5)
    )
    return EndpointConfig(
        url=RABBITMQ[0],
        type="stores.broker.BufferedPikaEventBroker",
        port=proxies.rabbitmq.port,
        username="guest",
        password="guest",
        queues=[queue.name],
    )


def events(sender: str, count: int, start: int = 0) -> list[dict]:
    return [
        {"event": "user", "sender_id": sender, "text": f"mensaje {n}", "timestamp": time.time()}
        for n in range(start, start + count)
    ]


async def settle(broker, until, timeout: float = 20) -> None:
    """Let the broker work until `until()` or the timeout."""
    for _ in range(int(timeout * 10)):
        if until():
            return
        await asyncio.sleep(0.1)


def assert_all_queued(line, sender: str) -> None:
    """Every event the tracker store holds reached the queue, and nothing else. At least
    once and not in order: events that failed are sent again as they failed."""
    stored = sorted((e["event"], e["timestamp"]) for e in stored_events(line.db.direct, sender))
    queued = line.queue.events(sender, wait_for=len(stored))
    assert sorted({(e["event"], e["timestamp"]) for e in queued}) == stored


def test_rasa_own_broker_does_not_start_without_rabbitmq(proxies, endpoint):
    """Why the broker is replaced (with Rasa's 20 attempts at 5 s, after 100 s)."""
    proxies.rabbitmq.down()
    with pytest.raises((OSError, AMQPConnectionError)):
        asyncio.run(
            PikaEventBroker.from_endpoint_config(
                EndpointConfig(
                    **{
                        **endpoint.kwargs,
                        "url": endpoint.url,
                        "connection_attempts": 1,
                        "retry_delay_in_seconds": 0,
                    }
                )
            )
        )


def test_started_without_rabbitmq_events_wait_and_then_arrive(proxies, endpoint, queue):
    sender = f"mq-{uuid.uuid4().hex[:10]}"
    proxies.rabbitmq.down()

    async def publish():
        started = time.monotonic()
        broker = await BufferedPikaEventBroker.from_endpoint_config(endpoint)
        assert time.monotonic() - started < 5
        for event in events(sender, 3):
            broker.publish(event)
        await settle(broker, lambda: broker.waiting == 3)
        proxies.rabbitmq.up()
        await settle(
            broker, lambda: broker.connected and not broker.waiting and not broker.in_flight
        )
        await broker.close()

    asyncio.run(publish())
    assert [e["text"] for e in queue.events(sender, wait_for=3)] == [
        "mensaje 0",
        "mensaje 1",
        "mensaje 2",
    ]


def test_events_published_while_rabbitmq_is_away_arrive_when_it_is_back(proxies, endpoint, queue):
    sender = f"mq-{uuid.uuid4().hex[:10]}"

    async def publish():
        broker = await BufferedPikaEventBroker.from_endpoint_config(endpoint)
        for event in events(sender, 2):
            broker.publish(event)
        proxies.rabbitmq.down()
        for event in events(sender, 3, start=2):
            broker.publish(event)
        await settle(broker, lambda: broker.waiting >= 3 and not broker.in_flight)
        proxies.rabbitmq.up()
        await settle(
            broker, lambda: not broker.waiting and not broker.in_flight and broker.connected
        )
        broker.publish(events(sender, 1, start=5)[0])
        await settle(broker, lambda: not broker.in_flight)
        await broker.close()

    asyncio.run(publish())
    texts = [e["text"] for e in queue.events(sender, wait_for=6)]
    # At least once: every event arrives; one whose confirmation was cut may come twice.
    assert set(texts) == {f"mensaje {n}" for n in range(6)}


def test_the_line_started_without_rabbitmq_answered_and_its_events_arrived(line):
    person = line.started_without_rabbitmq
    assert line.first_replies, "the line must answer while RabbitMQ is down"
    assert_all_queued(line, person.sender)


def test_the_line_answers_while_rabbitmq_is_down_and_no_event_is_lost(person, proxies, line):
    proxies.rabbitmq.down()
    assert person.say("el seguro sis atiende a los venezolanos?")
    assert person.say("quiero hablar con una persona")
    proxies.rabbitmq.up()
    assert_all_queued(line, person.sender)
