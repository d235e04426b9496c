"""Redis, the lock store, is down (issue #7, docs/failures.md). The store alone first,
then the whole line with the trained model."""

import asyncio
import dataclasses
import time
import uuid

import pytest
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from line.core import settings as config
from line.handoff import tickets
from stores.lock_store import FallbackRedisLockStore
from tests.production.conftest import stored_texts
from tests.support.requirements import REDIS


@pytest.fixture
def new_store(proxies, monkeypatch):
    """Built as Rasa builds it from endpoints.production.yml; one per Rasa instance."""
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(
            config.settings, lock_store_retry_seconds=1.0, lock_store_timeout_seconds=1.0
        ),
    )
    endpoint = EndpointConfig(
        url=REDIS[0],
        type="stores.lock_store.FallbackRedisLockStore",
        port=proxies.redis.port,
        db=1,
        password="",
        key_prefix="line",
    )
    return lambda: FallbackRedisLockStore(endpoint_config=endpoint)


def conversation() -> str:
    return f"lock-{uuid.uuid4().hex[:10]}"


def test_rasa_own_store_refuses_the_turn_when_redis_is_down(proxies):
    """Why the store is replaced: agent.handle_message never reads the message."""
    proxies.redis.down()
    store = RedisLockStore(host=REDIS[0], port=proxies.redis.port, db=1, socket_timeout=1)

    async def turn():
        async with store.lock(conversation()):
            pass

    with pytest.raises(LockError):
        asyncio.run(turn())


def test_with_redis_down_a_turn_runs_after_a_short_retry(new_store, proxies):
    store = new_store()
    proxies.redis.down()

    async def turn():
        started = time.monotonic()
        async with store.lock(conversation()):
            return time.monotonic() - started

    assert 0.5 < asyncio.run(turn()) < 3


def test_with_redis_down_one_persons_messages_still_go_one_at_a_time_in_order(new_store, proxies):
    store = new_store()
    proxies.redis.down()
    person, handled = conversation(), []

    async def turn(text, delay):
        await asyncio.sleep(delay)
        async with store.lock(person, wait_time_in_seconds=0.05):
            handled.append(f"{text} start")
            await asyncio.sleep(0.3)
            handled.append(f"{text} end")

    async def three_messages():
        await asyncio.gather(turn("uno", 0), turn("dos", 0.01), turn("tres", 0.02))

    asyncio.run(three_messages())
    assert handled == ["uno start", "uno end", "dos start", "dos end", "tres start", "tres end"]


def test_with_redis_down_two_instances_may_run_one_person_side_by_side(new_store, proxies):
    """The documented limit: without Redis, instances do not see each other's locks."""
    first, second = new_store(), new_store()
    proxies.redis.down()
    person, running = conversation(), []

    async def turn(store):
        async with store.lock(person):
            running.append(store)
            await asyncio.sleep(0.3)
            return len(running)

    async def both():
        return await asyncio.gather(turn(first), turn(second))

    assert asyncio.run(both()) == [2, 2]


def test_redis_failing_mid_turn_does_not_hold_the_next_message(new_store, proxies):
    store = new_store()
    person = conversation()

    async def turns():
        async with store.lock(person):
            proxies.redis.down()  # the lock cannot be released in Redis now
        proxies.redis.up()
        started = time.monotonic()
        async with store.lock(person):  # without releasing it first: 60 s of waiting
            waited = time.monotonic() - started
        return waited

    assert asyncio.run(turns()) < 2
    assert store.get_lock(person) is None


def test_redis_back_shares_the_lock_across_instances_again(new_store, proxies):
    first, second = new_store(), new_store()
    person = conversation()
    proxies.redis.restart(0.2)

    async def turns():
        async with first.lock(person):
            waiting = second.issue_ticket(person)
            assert second.get_lock(person).is_locked(waiting)
        second.cleanup(person, waiting)

    asyncio.run(turns())


def test_the_line_answers_and_hands_off_with_redis_down(person, proxies, line):
    proxies.redis.down()
    replies = person.say("el seguro sis atiende a los venezolanos?")
    assert "utter_faq/health_insurance_sis" in person.utters() and replies
    replies = person.say("quiero hablar con una persona")
    assert any("fila" in r.get("text", "") for r in replies)
    [ticket] = [t for t in tickets.queue() if t["sender_id"] == person.sender]
    proxies.redis.up()
    person.say("sigo esperando")
    assert stored_texts(line.db.direct, person.sender) == [
        "el seguro sis atiende a los venezolanos?",
        "quiero hablar con una persona",
        "sigo esperando",
    ]
    assert tickets.ticket(ticket["id"])["status"] == "waiting"
