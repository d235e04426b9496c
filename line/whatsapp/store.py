"""What the WhatsApp channel must remember between messages and across Rasa instances.

- `whatsapp_contacts` is the only place a phone number is kept: the pseudonym
  Rasa knows the person by, the number replies go to, and the last time the
  person wrote (WhatsApp allows free replies for 24 hours after that).
- Message ids already received, so a redelivered webhook is answered once; in
  Redis when REDIS_URL is set, else in the database. Both are shared by every
  instance, and ids are stored only as keyed digests (they embed the number).
- The options last offered to a person, so "2" can stand for the second one.
- The inbox: every message is stored before Meta gets its 200 and marked done
  once its turn is over, so a message whose Rasa instance died mid-turn is
  handled again (docs/failures.md). Its text is cleared when done; the row stays
  as long as seen ids, so a late copy of the message is never taken again. The
  gateway (line/whatsapp/gateway.py) stores rows nobody has taken yet; a Rasa
  instance takes them with the same lease.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Collection, Optional, Sequence

import redis
from sqlalchemy import Column, DateTime, Integer, String, Text, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from line.core import pseudonyms
from line.core import settings as config
from line.core.db import Base, engine, forget_removed, session_scope, utc_now

WINDOW = timedelta(hours=24)
PURGE_EVERY_SECONDS = 3600
# The lease of an inbox row stored by the gateway: taken by no one yet, so any
# instance takes it at once.
NOT_TAKEN = datetime(1970, 1, 1)
# Rows read past a taker's limit, to see the messages held elsewhere without reading a
# whole backlog.
SCAN_BEYOND_LIMIT = 200
_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


class WhatsAppContact(Base):
    __tablename__ = "whatsapp_contacts"

    pseudonym = Column(String(64), primary_key=True)
    phone = Column(String(64), nullable=False)
    last_inbound_at = Column(DateTime, nullable=False)


class WhatsAppSeenMessage(Base):
    __tablename__ = "whatsapp_seen_messages"

    key = Column(String(64), primary_key=True)
    seen_at = Column(DateTime, nullable=False, index=True)


class WhatsAppOptions(Base):
    __tablename__ = "whatsapp_options"

    pseudonym = Column(String(64), primary_key=True)
    payloads = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)


class WhatsAppInbox(Base):
    __tablename__ = "whatsapp_inbox"

    id = Column(Integer, primary_key=True)  # arrival order
    key = Column(String(64), nullable=False, unique=True)  # pseudonyms.message_key
    pseudonym = Column(String(64), nullable=False)
    # JSON of what handling needs (kind, type, text, coordinates, sent_at): never the
    # number or the message id. Cleared once handled.
    message = Column(Text, nullable=True)
    # When an instance last took the message: a lease, renewed by each new attempt.
    claimed_at = Column(DateTime, nullable=False, index=True)
    attempts = Column(Integer, nullable=False, default=1)
    done_at = Column(DateTime, nullable=True, index=True)


@dataclass(frozen=True)
class Contact:
    phone: str
    last_inbound_at: datetime

    def within_window(self, at: Optional[datetime] = None) -> bool:
        """WhatsApp refuses free-form messages 24 hours after the person last wrote."""
        return (at or utc_now()) - self.last_inbound_at < WINDOW


@dataclass(frozen=True)
class Pending:
    """An inbox message to handle again; `attempts` is also the lease's token (`renew`)."""

    id: int
    pseudonym: str
    message: dict
    attempts: int


@dataclass(frozen=True)
class Batch:
    """What one instance took from the inbox, and whether messages were left that it may
    take later (beyond its limit, or behind an earlier message of the same person that
    another instance holds)."""

    taken: list
    more: bool


def _upsert(session, model, values: dict, key: str, where=None) -> None:
    """One statement, so two instances writing the same person cannot collide."""
    insert = _INSERTS[session.get_bind().dialect.name](model).values(**values)
    update = {name: insert.excluded[name] for name in values if name != key}
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[key], set_=update, where=where(insert.excluded) if where else None
        )
    )


def record_inbound(pseudonym: str, phone: str, at: datetime) -> None:
    """Remember where to reply and when the person wrote; a late redelivery of an
    older message never moves the window back."""
    with session_scope() as session:
        _remember(session, pseudonym, phone, at)


def _remember(session, pseudonym: str, phone: str, at: datetime) -> None:
    _upsert(
        session,
        WhatsAppContact,
        {"pseudonym": pseudonym, "phone": phone, "last_inbound_at": at},
        "pseudonym",
        where=lambda new: WhatsAppContact.last_inbound_at < new.last_inbound_at,
    )


def accept(
    pseudonym: str,
    phone: str,
    message_id: str,
    sent_at: datetime,
    message: dict,
    queued: bool = False,
) -> Optional[int]:
    """Before the 200: remember the person (see record_inbound) and store the message,
    in one transaction. Its inbox id, or None if this message id was already taken.
    Taken by the caller (attempt 1), or `queued` for whichever instance takes it."""
    try:
        with session_scope() as session:
            _remember(session, pseudonym, phone, sent_at)
            row = WhatsAppInbox(
                key=pseudonyms.message_key(message_id),
                pseudonym=pseudonym,
                message=json.dumps(message, ensure_ascii=False),
                claimed_at=NOT_TAKEN if queued else utc_now(),
                attempts=0 if queued else 1,
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def finish(inbox_id: int) -> None:
    """The turn is over: never handle it again, and forget its text."""
    with session_scope() as session:
        session.execute(
            update(WhatsAppInbox)
            .where(WhatsAppInbox.id == inbox_id)
            .values(done_at=utc_now(), message=None)
            .execution_options(synchronize_session=False)
        )


def take_stale(
    older_than: timedelta, skip: Collection[int] = (), limit: Optional[int] = None
) -> Batch:
    """Messages nobody has taken (queued by the gateway) or nobody finished within
    `older_than` of being taken, oldest first, at most `limit`, each taken by one
    instance only: the conditional UPDATE renews the lease. `skip` are the caller's own
    messages in hand. A person's message is never taken while an earlier one of theirs
    is in another instance's hands, so one person's messages are answered in order
    even when several instances share the inbox."""
    now = utc_now()
    limit = limit if limit is not None else math.inf
    taken, held = [], set()
    with session_scope() as session:
        query = (
            select(
                WhatsAppInbox.id,
                WhatsAppInbox.pseudonym,
                WhatsAppInbox.claimed_at,
                WhatsAppInbox.attempts,
            )
            .where(WhatsAppInbox.done_at.is_(None))
            .order_by(WhatsAppInbox.id)
        )
        scan = None if limit == math.inf else limit + len(skip) + SCAN_BEYOND_LIMIT
        rows = session.execute(query.limit(scan)).all()
        more = scan is not None and len(rows) == scan
        for row in rows:
            if row.id in skip:
                continue
            if row.pseudonym in held:
                more = True  # waits for an earlier message of the person, elsewhere
                continue
            if row.claimed_at >= now - older_than:
                held.add(row.pseudonym)  # in another instance's hands
                continue
            if len(taken) >= limit:
                more = True
                break
            won = (
                session.execute(
                    update(WhatsAppInbox)
                    .where(
                        WhatsAppInbox.id == row.id,
                        WhatsAppInbox.done_at.is_(None),
                        WhatsAppInbox.claimed_at == row.claimed_at,
                    )
                    .values(claimed_at=now, attempts=row.attempts + 1)
                    .execution_options(synchronize_session=False)
                ).rowcount
                == 1
            )
            if won:
                taken.append(row)
            else:
                held.add(row.pseudonym)  # another instance took it first
        # The texts of the messages taken only, not of every row looked at.
        ids = [row.id for row in taken]
        texts = dict(
            session.execute(
                select(WhatsAppInbox.id, WhatsAppInbox.message).where(WhatsAppInbox.id.in_(ids))
            ).all()
            if ids
            else ()
        )
    return Batch(
        [Pending(r.id, r.pseudonym, json.loads(texts[r.id]), r.attempts + 1) for r in taken], more
    )


def renew(inbox_id: int, attempts: int) -> bool:
    """Just before answering: False if another instance took the message meanwhile (its
    lease ran out while this one waited), so it is answered once. Renews the lease."""
    with session_scope() as session:
        return (
            session.execute(
                update(WhatsAppInbox)
                .where(
                    WhatsAppInbox.id == inbox_id,
                    WhatsAppInbox.attempts == attempts,
                    WhatsAppInbox.done_at.is_(None),
                )
                .values(claimed_at=utc_now())
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )


def backlog(now: Optional[datetime] = None) -> tuple[int, float]:
    """Messages stored and not yet answered, and the age in seconds of the oldest (from
    the time WhatsApp gives it), for the metrics (line/core/metrics.py)."""
    now = now or utc_now()
    with session_scope() as session:
        waiting, first = session.execute(
            select(func.count(WhatsAppInbox.id), func.min(WhatsAppInbox.id)).where(
                WhatsAppInbox.done_at.is_(None)
            )
        ).one()
        message = session.get(WhatsAppInbox, first).message if first is not None else None
    try:
        sent_at = datetime.fromisoformat(json.loads(message)["sent_at"])
    except (TypeError, ValueError, KeyError):  # none, or a row the channel will drop
        return waiting, 0.0
    return waiting, max(0.0, (now - sent_at).total_seconds())


def contact(pseudonym: str) -> Optional[Contact]:
    with session_scope() as session:
        row = session.get(WhatsAppContact, pseudonym)
        return Contact(row.phone, row.last_inbound_at) if row else None


def first_delivery(message_id: str) -> bool:
    """True the first time a message id is seen by any instance, False for a redelivery."""
    key = pseudonyms.message_key(message_id)
    ttl = purge_now_and_then()
    if config.settings.redis_url:
        seconds = int(ttl.total_seconds())
        return bool(
            _redis(config.settings.redis_url).set(f"whatsapp:seen:{key}", 1, nx=True, ex=seconds)
        )
    try:
        with session_scope() as session:
            session.add(WhatsAppSeenMessage(key=key, seen_at=utc_now()))
    except IntegrityError:
        return False
    return True


@lru_cache(maxsize=None)
def _redis(url: str) -> redis.Redis:
    timeout = config.settings.db_timeout_seconds
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


_purge_lock = threading.Lock()
_last_purge: Optional[float] = None  # monotonic time of the last purge in this process


def purge_now_and_then() -> timedelta:
    """Expired ids, options and handled inbox rows are deleted about once an hour per
    process, on the way. Returns how long ids are kept."""
    global _last_purge
    ttl = timedelta(hours=config.settings.whatsapp_dedup_hours)
    with _purge_lock:
        if _last_purge is not None and time.monotonic() - _last_purge < PURGE_EVERY_SECONDS:
            return ttl
        _last_purge = time.monotonic()
    options_ttl = timedelta(minutes=config.settings.whatsapp_options_minutes)
    with session_scope() as session:
        session.execute(
            delete(WhatsAppSeenMessage).where(WhatsAppSeenMessage.seen_at < utc_now() - ttl)
        )
        session.execute(
            delete(WhatsAppOptions).where(WhatsAppOptions.created_at < utc_now() - options_ttl)
        )
        session.execute(delete(WhatsAppInbox).where(WhatsAppInbox.done_at < utc_now() - ttl))
    forget_removed(engine())
    return ttl


def remember_options(pseudonym: str, payloads: Sequence[str]) -> None:
    """The payloads of the options just offered, in order; none forgets the last ones,
    so a number typed later is not taken for an answer to an old question."""
    with session_scope() as session:
        if payloads:
            _upsert(
                session,
                WhatsAppOptions,
                {
                    "pseudonym": pseudonym,
                    "created_at": utc_now(),
                    "payloads": json.dumps(list(payloads)),
                },
                "pseudonym",
            )
        else:
            session.execute(delete(WhatsAppOptions).where(WhatsAppOptions.pseudonym == pseudonym))


def option(pseudonym: str, number: int) -> Optional[str]:
    """The payload of option `number` (1-based) if it was offered recently."""
    fresh_since = utc_now() - timedelta(minutes=config.settings.whatsapp_options_minutes)
    with session_scope() as session:
        payloads = session.execute(
            select(WhatsAppOptions.payloads).where(
                WhatsAppOptions.pseudonym == pseudonym, WhatsAppOptions.created_at >= fresh_since
            )
        ).scalar_one_or_none()
    choices = json.loads(payloads) if payloads else []
    return choices[number - 1] if 1 <= number <= len(choices) else None
