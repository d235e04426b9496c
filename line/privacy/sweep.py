"""The privacy sweep (issue #14): a conversation loses its identifiers once it is over,
and what is kept about a person goes after PRIVACY_DELETE_AFTER_DAYS.

- Anonymization, PRIVACY_ANONYMIZE_AFTER_MINUTES after a conversation's last event, or
  as soon as its ticket closes, never while a ticket is open (the operator needs the
  text): its events in the tracker store are redacted as the broker redacts them
  (line/privacy/events.py), in place, so Rasa loads the same events; then its tickets'
  message copies and summaries. How far each conversation was done is recorded, so a
  conversation is redone only when it has new events.
- Deletion, that many days on: conversations idle that long, and the sessions of a
  longer conversation that ended before then; WhatsApp contacts (phone <-> pseudonym),
  ratings, the message copies and summary of tickets closed that long ago, and media
  (line/media/retention.py).

One sweep at a time across instances: a lease row in the line's database, which works on
SQLite and PostgreSQL alike; a sweep that finds it held does nothing. Each conversation is
one transaction in the tracker store, then one in the line's database: a crash between
them only makes the next sweep redact it again, which changes nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import Column, DateTime, Float, String, delete, func, inspect, or_, select, update

from line.core import metrics
from line.core import settings as config
from line.core.db import Base, engine, forget_removed, session_scope, utc_now
from line.feedback.coding import EVENTS, Feedback
from line.feedback.ratings import Rating
from line.handoff.outbound import OutboundMessage
from line.handoff.tickets import OPEN_STATUSES, Ticket, TicketMessage
from line.media import retention as media_retention
from line.privacy.events import BOT, Said, redact_event
from line.privacy.pii import redact
from line.whatsapp.store import WhatsAppContact, WhatsAppOptions

logger = logging.getLogger(__name__)

LEASE_NAME = "sweep"
# A lease is renewed after every conversation; one left by a crashed sweep lapses after this.
LEASE = timedelta(minutes=10)
# How often each process that serves WhatsApp starts a sweep (`now_and_then`).
EVERY_SECONDS = 300
# The action Rasa runs first in every session, before its `session_started` event.
SESSION_START = "action_session_start"


class SweepLease(Base):
    __tablename__ = "privacy_sweep_lease"

    name = Column(String(32), primary_key=True)
    holder = Column(String(32))
    expires_at = Column(DateTime)


class Anonymized(Base):
    """How far a conversation was anonymized: the timestamp of its last event then."""

    __tablename__ = "privacy_anonymized"

    sender_id = Column(String(255), primary_key=True)
    through = Column(Float, nullable=False)
    done_at = Column(DateTime, nullable=False)


@dataclass
class Result:
    """What one sweep did; `ran` is False when another sweep held the lease."""

    ran: bool = False
    anonymized: int = 0  # conversations
    # Records deleted by kind (conversations, whatsapp_contacts, ratings, tickets whose
    # copies went, media): the metrics count what is no kind of theirs as "other".
    deleted: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        if not self.ran:
            return ["another sweep is running: nothing done"]
        return [f"anonymized conversations: {self.anonymized}"] + [
            f"deleted {kind}: {count}" for kind, count in self.deleted.items()
        ]


class LeaseLost(RuntimeError):
    """Another sweep took the lease (this one was stalled past LEASE): stop here."""


def _epoch(moment: datetime) -> float:
    """Rasa's event timestamps are Unix seconds; the line's columns naive UTC."""
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _take_lease(holder: str) -> bool:
    """Take or renew the lease in one conditional UPDATE: of two sweeps, one gets it."""
    now = utc_now()
    with session_scope() as session:
        return (
            session.execute(
                update(SweepLease)
                .where(
                    SweepLease.name == LEASE_NAME,
                    or_(
                        SweepLease.holder.is_(None),
                        SweepLease.holder == holder,
                        SweepLease.expires_at < now,
                    ),
                )
                .values(holder=holder, expires_at=now + LEASE)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )


def _renew(holder: str) -> None:
    if not _take_lease(holder):
        raise LeaseLost(holder)


def _release(holder: str) -> None:
    with session_scope() as session:
        session.execute(
            update(SweepLease)
            .where(SweepLease.name == LEASE_NAME, SweepLease.holder == holder)
            .values(holder=None, expires_at=None)
            .execution_options(synchronize_session=False)
        )


def _tracker():
    return engine(config.settings.tracker_db_url)


def _with_open_ticket():
    """The people an operator still serves: their data waits, whatever its age."""
    return select(Ticket.sender_id).where(Ticket.status.in_(OPEN_STATUSES))


def _open_senders(session) -> set[str]:
    return set(session.execute(_with_open_ticket()).scalars())


def _due_for_anonymization(now: datetime) -> list[tuple[str, float]]:
    """(sender, last event) of the conversations idle long enough or whose ticket closed
    since they were last done, with events not done yet and no open ticket."""
    idle_before = _epoch(now - timedelta(minutes=config.settings.privacy_anonymize_after_minutes))
    with session_scope() as session:
        open_senders = _open_senders(session)
        done = dict(session.execute(select(Anonymized.sender_id, Anonymized.through)).all())
        closed = {
            sender: _epoch(closed_at)
            for sender, closed_at in session.execute(
                select(Ticket.sender_id, func.max(Ticket.closed_at))
                .where(Ticket.closed_at.is_not(None))
                .group_by(Ticket.sender_id)
            )
        }
    with _tracker().connect() as connection:
        last_events = connection.execute(
            select(EVENTS.c.sender_id, func.max(EVENTS.c.timestamp)).group_by(EVENTS.c.sender_id)
        ).all()
    due = []
    for sender, last in last_events:
        through = done.get(sender)
        if sender in open_senders or last is None or (through is not None and last <= through):
            continue
        if last < idle_before or closed.get(sender, 0.0) > (through or 0.0):
            due.append((sender, last))
    return due


def _anonymize_events(sender: str, up_to: float) -> tuple[Said, float]:
    """Redact the conversation's events in the tracker store, in one transaction; what
    the person said is remembered, for the ticket copies."""
    said = Said()
    through = up_to
    with _tracker().begin() as connection:
        rows = connection.execute(
            select(EVENTS.c.id, EVENTS.c.timestamp, EVENTS.c.data)
            .where(EVENTS.c.sender_id == sender)
            .order_by(EVENTS.c.id)
        ).all()
        for event_id, timestamp, data in rows:
            event = json.loads(data)
            redacted = redact_event(event, said)
            if redacted != event:
                connection.execute(
                    update(EVENTS).where(EVENTS.c.id == event_id).values(data=json.dumps(redacted))
                )
            through = max(through, timestamp or 0.0)
    return said, through


def _anonymize_tickets(session, sender: str, said: Said) -> None:
    """The tickets' copies: the bot's keep their wording, as in the tracker store; the
    operators' messages as sent (outbound_messages) are redacted like their copies."""
    tickets = session.execute(select(Ticket).where(Ticket.sender_id == sender)).scalars()
    for ticket in tickets:
        ticket.summary = redact(said.hide(sender, ticket.summary or ""))
        for message in ticket.messages:
            text = said.hide(sender, message.text)
            message.text = text if message.author == BOT else redact(text)
    sent = session.execute(
        select(OutboundMessage).where(OutboundMessage.sender_id == sender)
    ).scalars()
    for message in sent:
        message.text = redact(said.hide(sender, message.text))


def _mark(session, sender: str, through: float) -> None:
    mark = session.get(Anonymized, sender)
    if mark is None:
        session.add(Anonymized(sender_id=sender, through=through, done_at=utc_now()))
    else:
        mark.through, mark.done_at = through, utc_now()


def anonymize(holder: str, now: datetime) -> int:
    """Anonymize every conversation due; how many were done."""
    done = 0
    for sender, last in _due_for_anonymization(now):
        _renew(holder)
        said, through = _anonymize_events(sender, last)
        with session_scope() as session:
            if sender in _open_senders(session):
                continue  # a handoff began meanwhile: its tickets keep their text
            _anonymize_tickets(session, sender, said)
            _mark(session, sender, through)
        done += 1
    return done


def _old_conversations(cutoff: float) -> list[tuple[str, bool]]:
    """(sender, whole) of the conversations with events older than `cutoff`: whole when
    idle since before it."""
    last = func.max(EVENTS.c.timestamp)
    with _tracker().connect() as connection:
        rows = connection.execute(
            select(EVENTS.c.sender_id, last)
            .group_by(EVENTS.c.sender_id)
            .having(func.min(EVENTS.c.timestamp) < cutoff)
        ).all()
    return [(sender, latest < cutoff) for sender, latest in rows]


def _sessions_before(connection, sender: str, cutoff: float) -> Optional[float]:
    """Where the first session still in use after `cutoff` starts: every event before it
    belongs to sessions that ended before `cutoff` (Rasa loads from a session start on)."""
    first_after = (
        select(func.min(EVENTS.c.timestamp))
        .where(EVENTS.c.sender_id == sender, EVENTS.c.timestamp >= cutoff)
        .scalar_subquery()
    )
    return connection.execute(
        select(func.max(EVENTS.c.timestamp)).where(
            EVENTS.c.sender_id == sender,
            EVENTS.c.action_name == SESSION_START,
            EVENTS.c.timestamp <= first_after,
        )
    ).scalar()


def delete_due(holder: str, now: datetime, in_tracker: bool = True) -> dict:
    """Delete what is past PRIVACY_DELETE_AFTER_DAYS; records deleted, by kind."""
    cutoff = now - timedelta(days=config.settings.privacy_delete_after_days)
    conversations = 0
    with session_scope() as session:
        open_senders = _open_senders(session)
    for sender, whole in _old_conversations(_epoch(cutoff)) if in_tracker else []:
        if sender in open_senders:
            continue
        _renew(holder)
        with _tracker().begin() as connection:
            before = (
                _epoch(cutoff) if whole else _sessions_before(connection, sender, _epoch(cutoff))
            )
            if before is not None:
                connection.execute(
                    delete(EVENTS).where(EVENTS.c.sender_id == sender, EVENTS.c.timestamp < before)
                )
        if whole:
            with session_scope() as session:
                session.execute(delete(Anonymized).where(Anonymized.sender_id == sender))
                session.execute(delete(WhatsAppOptions).where(WhatsAppOptions.pseudonym == sender))
            conversations += 1
    _renew(holder)
    with session_scope() as session:
        contacts = session.execute(
            delete(WhatsAppContact)
            .where(
                WhatsAppContact.last_inbound_at < cutoff,
                WhatsAppContact.pseudonym.not_in(_with_open_ticket()),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        rated = session.execute(delete(Rating).where(Rating.created_at < cutoff)).rowcount
        # The codes stay for the reports; the question's words, redacted as they are, go.
        worded = session.execute(
            update(Feedback)
            .where(Feedback.date < cutoff.date(), Feedback.text.is_not(None))
            .values(text=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        sent = session.execute(
            delete(OutboundMessage)
            .where(
                OutboundMessage.created_at < cutoff,
                OutboundMessage.sender_id.not_in(_with_open_ticket()),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        expired = list(
            session.execute(
                select(Ticket.id).where(
                    Ticket.closed_at < cutoff,
                    or_(Ticket.summary != "", Ticket.id.in_(select(TicketMessage.ticket_id))),
                )
            ).scalars()
        )
        session.execute(
            delete(TicketMessage)
            .where(TicketMessage.ticket_id.in_(expired))
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Ticket)
            .where(Ticket.id.in_(expired))
            .values(summary="")
            .execution_options(synchronize_session=False)
        )
    media = media_retention.sweep(now=now)
    return {
        "conversations": conversations,
        "whatsapp_contacts": contacts,
        "ratings": rated,
        "feedback": worded,
        "operator_messages": sent,
        "tickets": len(expired),
        "media": media,
    }


def run(now: Optional[datetime] = None) -> Result:
    """Anonymize and delete what is due now, unless another sweep is at it."""
    holder = uuid.uuid4().hex
    if not _take_lease(holder):
        return Result()
    now = now or utc_now()
    result = Result(ran=True)
    # Rasa creates its table when it first starts: before that there is no conversation.
    conversations = inspect(_tracker()).has_table(EVENTS.name)
    try:
        result.anonymized = anonymize(holder, now) if conversations else 0
        result.deleted = delete_due(holder, now, conversations)
        if result.anonymized or any(result.deleted.values()):
            forget_removed(_tracker())
            forget_removed(engine())
    finally:
        _release(holder)
    return result


_lock = threading.Lock()
_last: Optional[float] = None  # monotonic time of the last sweep started in this process


def now_and_then() -> None:
    """`run` every EVERY_SECONDS per process, on the way (the WhatsApp channel's loop); a
    failure is logged and left to the next one."""
    global _last
    with _lock:
        if _last is not None and time.monotonic() - _last < EVERY_SECONDS:
            return
        _last = time.monotonic()
    try:
        result = run()
    except Exception:  # the channel's loop must go on
        logger.exception("privacy sweep failed; the next one retries")
        return
    if result.ran:
        logger.info("privacy sweep: %s", "; ".join(result.lines()))


def main() -> int:
    """`make privacy-sweep` and the Kubernetes CronJob: one sweep now, its counts printed
    and pushed."""
    logging.basicConfig(level=logging.INFO)
    started = time.monotonic()
    try:
        result = run()
    except Exception:
        metrics.push(
            "line_privacy_sweep",
            metrics.sweep_registry(metrics.SweepFigures("failed", time.monotonic() - started)),
        )
        raise
    for line in result.lines():
        print(line)
    if result.ran:
        figures = metrics.SweepFigures("ok", time.monotonic() - started, result.deleted)
        metrics.push("line_privacy_sweep", metrics.sweep_registry(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
