"""The shared store, on SQLite and PostgreSQL (and Redis when a server can run):
contacts and their window, redeliveries across instances, offered options."""

import dataclasses
import subprocess
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select, update

from line.core import settings as config
from line.core.db import session_scope, utc_now
from line.whatsapp import store as whatsapp_store
from tests.support.net import at_once, free_port, wait_until
from tests.support.whatsapp import PHONE


@pytest.fixture
def store(whatsapp_db, monkeypatch):
    monkeypatch.setattr(whatsapp_store, "PURGE_EVERY_SECONDS", 0)
    return whatsapp_db


def test_the_contact_keeps_the_newest_inbound_time(store):
    now = utc_now()
    whatsapp_store.record_inbound("wa-1", PHONE, now - timedelta(hours=2))
    whatsapp_store.record_inbound("wa-1", PHONE, now)
    whatsapp_store.record_inbound("wa-1", PHONE, now - timedelta(hours=30))  # a late redelivery
    person = whatsapp_store.contact("wa-1")
    assert person.phone == PHONE and person.last_inbound_at == now and person.within_window()
    assert not person.within_window(now + timedelta(hours=24))
    assert whatsapp_store.contact("wa-2") is None


def test_a_message_id_is_first_seen_once_even_by_racing_instances(store):
    results = at_once(lambda _: whatsapp_store.first_delivery("wamid.RACE"), 8)
    assert sorted(results) == [False] * 7 + [True]
    assert whatsapp_store.first_delivery("wamid.OTHER")


def test_seen_ids_are_kept_48_hours_then_purged(store, monkeypatch):
    assert whatsapp_store.first_delivery("wamid.OLD")
    with session_scope() as session:
        session.execute(
            update(whatsapp_store.WhatsAppSeenMessage).values(
                seen_at=utc_now() - timedelta(hours=47)
            )
        )
    monkeypatch.setattr(whatsapp_store, "PURGE_EVERY_SECONDS", 0)
    assert not whatsapp_store.first_delivery("wamid.OLD")  # 47 hours: still a redelivery
    with session_scope() as session:
        session.execute(
            update(whatsapp_store.WhatsAppSeenMessage).values(
                seen_at=utc_now() - timedelta(hours=49)
            )
        )
    monkeypatch.setattr(whatsapp_store, "PURGE_EVERY_SECONDS", 0)
    whatsapp_store.first_delivery("wamid.NEW")
    with session_scope() as session:
        left = session.execute(select(whatsapp_store.WhatsAppSeenMessage.key)).scalars().all()
    assert len(left) == 1


def test_options_are_remembered_replaced_forgotten_and_expire(store):
    whatsapp_store.remember_options("wa-1", ["/a", "/b", "/c"])
    assert [whatsapp_store.option("wa-1", n) for n in (0, 1, 3, 4)] == [None, "/a", "/c", None]
    whatsapp_store.remember_options("wa-1", ["/x"])
    assert whatsapp_store.option("wa-1", 1) == "/x" and whatsapp_store.option("wa-1", 2) is None
    whatsapp_store.remember_options("wa-1", [])
    assert whatsapp_store.option("wa-1", 1) is None
    whatsapp_store.remember_options("wa-1", ["/y"])
    with session_scope() as session:
        session.execute(
            update(whatsapp_store.WhatsAppOptions).values(created_at=utc_now() - timedelta(hours=2))
        )
    assert whatsapp_store.option("wa-1", 1) is None


@pytest.fixture
def redis_url(monkeypatch, store, redis_program):
    """A throwaway redis-server, as several Rasa instances would share it."""
    port = free_port()
    process = subprocess.Popen(
        [redis_program, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        assert wait_until(lambda: _pings(redis.Redis.from_url(url)), 10)
        monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, redis_url=url))
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_with_redis_ids_are_shared_there_and_expire(redis_url):
    results = at_once(lambda _: whatsapp_store.first_delivery("wamid.R"), 5)
    assert sorted(results) == [False] * 4 + [True]
    client = redis.Redis.from_url(redis_url)
    [key] = client.keys("whatsapp:seen:*")
    assert b"wamid" not in key and 47 * 3600 < client.ttl(key) <= 48 * 3600
    with session_scope() as session:  # nothing went to the database
        assert not session.execute(select(whatsapp_store.WhatsAppSeenMessage)).first()
