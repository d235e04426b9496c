"""The production stores against the real PostgreSQL, Redis and RabbitMQ of this machine,
each behind a Proxy (tests/support/proxy.py) that a test takes down to simulate an
outage. The services themselves are never stopped.

`line` starts the action server and Rasa with the trained model and the real
endpoints.production.yml, its variables pointing at the proxies, a throwaway
PostgreSQL database, a queue of its own and a journal in a temporary folder. Rasa is
started while RabbitMQ is unreachable (a case of its own), and one conversation is
held then; RabbitMQ comes back once that is done.
"""

import asyncio
import dataclasses
import json
import uuid
from types import SimpleNamespace

import aio_pika
import psycopg2
import pytest
from sqlalchemy.engine import make_url

from line.core import settings as config
from tests.support.net import free_port
from tests.support.proxy import Proxy
from tests.support.requirements import RABBITMQ, RABBITMQ_URL, REDIS, ROOT
from tests.support.servers import (
    ACTION_SECRET,
    Conversation,
    environment,
    load_sample,
    start_actions,
    start_rasa,
    stop,
)


@pytest.fixture(scope="session")
def proxies(postgres_url, redis_service, rabbitmq_service):
    found = SimpleNamespace(
        postgres=Proxy(("127.0.0.1", 5432)).up(),
        redis=Proxy(REDIS).up(),
        rabbitmq=Proxy(RABBITMQ).up(),
    )
    yield found
    for proxy in vars(found).values():
        proxy.down()


@pytest.fixture(autouse=True)
def services_come_back(request):
    """Whatever a test took down is up again for the next one."""
    yield
    if "proxies" in request.fixturenames:
        for proxy in vars(request.getfixturevalue("proxies")).values():
            proxy.up()


@pytest.fixture(scope="session")
def tracker_db(postgres_url, proxies):
    """The throwaway database: `direct` for checking, `proxied` for the code under test."""
    url = make_url(postgres_url)
    return SimpleNamespace(
        direct=postgres_url, proxied=url.set(port=proxies.postgres.port).render_as_string(False)
    )


@pytest.fixture
def journal(tmp_path, monkeypatch):
    path = tmp_path / "journal" / "tracker.db"
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_journal=path, tracker_store_retry_seconds=3.0),
    )
    return path


def stored_events(db_url: str, sender_id: str) -> list[dict]:
    """What PostgreSQL really holds for one conversation, read past the proxy."""
    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender_id,))
        return [json.loads(data) for (data,) in cursor.fetchall()]


def stored_texts(db_url: str, sender_id: str) -> list[str]:
    """What the person wrote, as PostgreSQL holds it."""
    return user_texts(stored_events(db_url, sender_id))


def user_texts(events: list[dict]) -> list[str]:
    return [e["text"] for e in events if e["event"] == "user"]


class Queue:
    """The test session's RabbitMQ queue, read directly (not through the proxy)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: list[dict] = []

    def events(self, sender_id: str, wait_for: int = 0, timeout: float = 30) -> list[dict]:
        """This conversation's events so far, waiting until at least `wait_for` arrived."""

        async def drain():
            connection = await aio_pika.connect_robust(RABBITMQ_URL)
            async with connection:
                queue = await (await connection.channel()).declare_queue(self.name, durable=True)
                for _ in range(int(timeout * 10)):
                    while message := await queue.get(fail=False, no_ack=True):
                        self.received.append(json.loads(message.body))
                    if len(self._of(sender_id)) >= wait_for:
                        break
                    await asyncio.sleep(0.1)

        asyncio.run(drain())
        return self._of(sender_id)

    def _of(self, sender_id: str) -> list[dict]:
        return [e for e in self.received if e.get("sender_id") == sender_id]

    def delete(self) -> None:
        async def delete():
            connection = await aio_pika.connect_robust(RABBITMQ_URL)
            async with connection:
                channel = await connection.channel()
                await channel.queue_delete(self.name)

        asyncio.run(delete())


@pytest.fixture(scope="session")
def line(tmp_path_factory, trained_model, proxies, tracker_db):
    work = tmp_path_factory.mktemp("production")
    actions_port, rasa_port = free_port(), free_port()
    queue = Queue(f"line_test_{uuid.uuid4().hex[:8]}")
    env = environment(
        DIRECTORY_DB_URL=tracker_db.proxied,
        TRACKER_DB_URL=tracker_db.proxied,
        REDIS_HOST=REDIS[0],
        REDIS_PORT=str(proxies.redis.port),
        REDIS_LOCK_DB="1",
        REDIS_PASSWORD="",
        RABBITMQ_HOST=RABBITMQ[0],
        RABBITMQ_PORT=str(proxies.rabbitmq.port),
        RABBITMQ_USER="guest",
        RABBITMQ_PASSWORD="guest",
        RABBITMQ_QUEUE=queue.name,
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions_port}/webhook",
        ACTION_SERVER_TOKEN=ACTION_SECRET,
        TRACKER_JOURNAL=str(work / "journal" / "tracker.db"),
        BROKER_RETRY_SECONDS="1",
        LINE_TICKET_SPOOL=str(work / "pending_tickets.jsonl"),
        LINE_TICKET_RETRY="1",
    )
    load_sample(env)
    proxies.rabbitmq.down()
    processes = []
    try:
        processes.append(start_actions(actions_port, env, work))
        processes.append(start_rasa(rasa_port, ROOT / "endpoints.production.yml", env, work))
        url = f"http://127.0.0.1:{rasa_port}"
        started_without_rabbitmq = Conversation(url)
        replies = started_without_rabbitmq.say("el seguro sis atiende a los venezolanos?")
        proxies.rabbitmq.up()
        yield SimpleNamespace(
            url=url,
            db=tracker_db,
            queue=queue,
            log=work / "rasa.log",
            started_without_rabbitmq=started_without_rabbitmq,
            first_replies=replies,
        )
    finally:
        for process in processes:
            stop(process)
        queue.delete()


@pytest.fixture
def person(line, monkeypatch):
    """Someone writing to the line; the line's own code (tickets) reads the same database."""
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, database_url=line.db.direct)
    )
    return Conversation(line.url)
