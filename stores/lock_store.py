"""Rasa's Redis lock store, made to keep answering when Redis is down.

Rasa's own raises LockError when Redis cannot be reached; agent.handle_message lets it
through before the message is even read, so the person gets no answer and the message
is not stored anywhere. If Redis fails after the turn, releasing the lock raises too,
and the ticket left in Redis holds the person's next message until it expires (60 s).

Here a lock is first tried in Redis for LOCK_STORE_RETRY_SECONDS. If Redis stays down,
the turn runs under this instance's own in-memory lock, and tickets that could not be
released are released as soon as Redis answers again. What remains while Redis is down:
one person's messages reaching the same instance are still handled one at a time in
the order they arrived; two messages of one person reaching different instances at the
same moment may run side by side, each without the other's turn (both are answered and
both are stored, see stores/tracker_store.py).

Rasa's store also changes a lock by reading it, changing it in Python and writing it
back. Two instances taking a ticket at the same moment both get the first one and run
the person's two messages side by side, each without the other's turn (most of the
simultaneous pairs in tests/production/test_two_instances.py), and a release can
delete a ticket issued meanwhile, whose message then fails with LockError. Here every
change of a lock is one Redis transaction (WATCH/MULTI), retried when another instance
changed the lock in between.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Callable, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

from components import rasa_compat
from line.core import metrics
from line.core import settings as config
from stores.retry import Retry, reason

logger = logging.getLogger(__name__)

# Rasa's locking, re-implemented here (checked against the installed Rasa).
REPLACED = tuple(
    rasa_compat.Replaced(
        "lock store that survives Redis (stores/lock_store.py)", LockStore, name, digest
    )
    for name, digest in (
        ("lock", "8b9b716c031a3444"),
        ("issue_ticket", "4dfdfb5e62c1dda9"),
        ("update_lock", "d56816a13451e7a5"),
        ("cleanup", "f2ba1745c8153f92"),
    )
)


class FallbackRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        rasa_compat.check(*REPLACED)
        settings = config.settings
        super().__init__(
            host=endpoint_config.url,
            **{"socket_timeout": settings.lock_store_timeout_seconds, **endpoint_config.kwargs},
        )
        self.redis = Retry("Redis (lock store)", (RedisError,), settings.lock_store_retry_seconds)
        self._local = InMemoryLockStore()
        self._unreleased: list[tuple[str, int]] = []

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        # A turn of this person already running on the local lock keeps the others
        # there, so Redis coming back does not let the next one overtake it.
        held = None
        if self._local.get_lock(conversation_id) is None:
            held = await self._redis_lock(conversation_id, lock_lifetime, wait_time_in_seconds)
        if held is None:
            async with self._local.lock(
                conversation_id, lock_lifetime, wait_time_in_seconds
            ) as lock:
                yield lock
            return
        lock, ticket = held
        try:
            yield lock
        finally:
            self._release(conversation_id, ticket)

    async def _redis_lock(
        self, conversation_id: str, lifetime: float, wait: float
    ) -> Optional[tuple[TicketLock, int]]:
        """The Redis lock and its ticket, or None when Redis cannot be reached."""
        try:
            ticket = await self.redis.run(self._issue, conversation_id, lifetime)
        except RedisError as exc:
            self._log_fallback(conversation_id, exc)
            return None
        try:
            self._release_unreleased()
            return await self._acquire_lock(conversation_id, ticket, wait), ticket
        except RedisError as exc:
            self._log_fallback(conversation_id, exc)
            self._unreleased.append((conversation_id, ticket))
            return None

    @staticmethod
    def _log_fallback(conversation_id: str, exc: RedisError) -> None:
        metrics.lock_fallback()
        logger.error(
            "conversation %s locked in this instance only, Redis unavailable: %s",
            conversation_id,
            reason(exc),
        )

    def _issue(self, conversation_id: str, lifetime: float) -> int:
        """Rasa's issue_ticket, atomic and without its wrapping of every error in
        LockError."""
        return self._change(conversation_id, lambda lock: lock.issue_ticket(lifetime))

    def update_lock(self, conversation_id: str) -> None:
        """Drops expired tickets (a waiting turn does this every second)."""
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Removes the ticket, and the lock once nobody waits."""
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def _change(self, conversation_id: str, change: Callable[[TicketLock], object]):
        """Read, change and write one lock as a Redis transaction; a lock left without
        tickets is deleted."""
        key = self.key_prefix + conversation_id

        def transaction(pipe):
            stored = pipe.get(key)
            lock = (
                TicketLock.from_dict(json.loads(stored))
                if stored
                else self.create_lock(conversation_id)
            )
            result = change(lock)
            pipe.multi()
            if lock.tickets:
                pipe.set(key, lock.dumps())
            else:
                pipe.delete(key)
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def _release(self, conversation_id: str, ticket: int) -> None:
        try:
            self.cleanup(conversation_id, ticket)
        except RedisError as exc:
            logger.error(
                "lock of conversation %s released when Redis is back: %s",
                conversation_id,
                reason(exc),
            )
            self._unreleased.append((conversation_id, ticket))

    def _release_unreleased(self) -> None:
        while self._unreleased:
            self.cleanup(*self._unreleased[0])
            self._unreleased.pop(0)
