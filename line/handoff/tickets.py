"""Handoff tickets: the queue of people waiting for a human operator.

One open ticket per person: a second handoff appends to it instead of queueing
the person twice. Emergencies go first, then the longest wait. An operator
claims a ticket with a conditional UPDATE, so two operators never answer the
same person; only the operator who claimed it may reply, note or close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional, Sequence

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import relationship

from line.core.db import Base, session_scope, utc_now
from line.handoff.reasons import PRIORITY

OPEN_STATUSES = ("waiting", "claimed")
OUTCOMES = ("resolved", "referred", "no_answer", "other")
SUMMARY_LENGTH = 280


class Ticket(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), default="rest")
    status = Column(String(16), nullable=False, default="waiting", index=True)
    priority = Column(Integer, nullable=False, default=2)
    reason = Column(String(16), nullable=False)
    topic = Column(String(64), nullable=True)
    region = Column(String(64), nullable=True)
    danger = Column(String(32), nullable=True)
    language = Column(String(8), nullable=True)  # when not Spanish ("en", "pt", "fr", "ht")
    summary = Column(Text, default="")
    created_at = Column(DateTime, nullable=False, default=utc_now)
    updated_at = Column(DateTime, default=utc_now)
    claimed_by = Column(String(64), nullable=True)
    claimed_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)
    outcome = Column(String(64), nullable=True)
    # Why the last message to the person could not be delivered (channel send failed).
    delivery_failure = Column(String(64), nullable=True)

    messages = relationship("TicketMessage", order_by="TicketMessage.id")


class TicketMessage(Base):
    __tablename__ = "ticket_messages"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("tickets.id"), nullable=False, index=True)
    author = Column(String(16), nullable=False)  # user, bot, operator, note
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, default=utc_now)
    operator = Column(String(64), nullable=True)
    # One stored message per form submission: a double click finds the first one.
    request_key = Column(String(64), nullable=True, unique=True)
    # Replies only. delivery: sending -> sent | refused; tracker_state (the copy
    # in the Rasa tracker): pending -> recording -> done, back to pending on failure.
    delivery = Column(String(16), nullable=True)
    delivery_reason = Column(String(64), nullable=True)
    tracker_state = Column(String(16), nullable=True)


@dataclass(frozen=True)
class Receipt:
    """What the person is told: their ticket and their place in the queue."""

    ticket_id: int
    position: int
    priority: int
    new: bool


def open_ticket(
    sender_id: str,
    reason: str,
    *,
    channel: str = "rest",
    topic: Optional[str] = None,
    region: Optional[str] = None,
    danger: Optional[str] = None,
    language: Optional[str] = None,
    messages: Sequence[tuple[str, str]] = (),
) -> Receipt:
    """Create the person's open ticket, or add to it; `messages` are (author, text)."""
    if reason not in PRIORITY:
        raise ValueError(f"unknown handoff reason {reason!r}")
    with session_scope() as session:
        ticket = _open_ticket_of(session, sender_id)
        new = ticket is None
        if new:
            ticket = Ticket(
                sender_id=sender_id,
                channel=channel,
                reason=reason,
                priority=PRIORITY[reason],
                status="waiting",
            )
            session.add(ticket)
        elif PRIORITY[reason] < ticket.priority:
            ticket.priority, ticket.reason = PRIORITY[reason], reason
        ticket.topic = topic or ticket.topic
        ticket.region = region or ticket.region
        ticket.danger = danger or ticket.danger
        ticket.language = language or ticket.language
        ticket.updated_at = utc_now()
        session.flush()
        _append(session, ticket, messages)
        user_texts = [text for author, text in messages if author == "user"]
        if user_texts:
            ticket.summary = user_texts[-1][:SUMMARY_LENGTH]
        session.flush()
        return Receipt(ticket.id, _position(session, ticket), ticket.priority, new)


def add_messages(sender_id: str, messages: Sequence[tuple[str, str]]) -> Optional[int]:
    """Thread what a person wrote while waiting into their open ticket."""
    with session_scope() as session:
        ticket = _open_ticket_of(session, sender_id)
        if ticket is None:
            return None
        _append(session, ticket, messages)
        ticket.updated_at = utc_now()
        return ticket.id


def queue(limit: int = 100) -> list[dict]:
    """Open tickets in the order operators should take them."""
    with session_scope() as session:
        rows = session.execute(
            select(Ticket)
            .where(Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.priority, Ticket.created_at, Ticket.id)
            .limit(limit)
        ).scalars()
        return [_as_dict(t) for t in rows]


def _open_ticket_of(session, sender_id: str) -> Optional[Ticket]:
    """The person's one open (waiting or claimed) ticket, if any."""
    return session.execute(
        select(Ticket)
        .where(Ticket.sender_id == sender_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id)
        .limit(1)
    ).scalar_one_or_none()


def _append(session, ticket: Ticket, messages: Iterable[tuple[str, str]]) -> None:
    for author, text in messages:
        if text:
            session.add(TicketMessage(ticket_id=ticket.id, author=author, text=text))


def _position(session, ticket: Ticket) -> int:
    """1-based place among waiting tickets that will be taken before or with this one."""
    ahead = session.execute(
        select(func.count(Ticket.id)).where(
            Ticket.status == "waiting",
            (Ticket.priority < ticket.priority)
            | ((Ticket.priority == ticket.priority) & (Ticket.created_at < ticket.created_at))
            | (
                (Ticket.priority == ticket.priority)
                & (Ticket.created_at == ticket.created_at)
                & (Ticket.id < ticket.id)
            ),
        )
    ).scalar_one()
    return ahead + 1


# What the console reads of a ticket and of each message of its thread.
TICKET_FIELDS = (
    "id",
    "sender_id",
    "channel",
    "status",
    "priority",
    "reason",
    "topic",
    "region",
    "danger",
    "language",
    "summary",
    "created_at",
    "claimed_by",
    "claimed_at",
    "closed_at",
    "outcome",
    "delivery_failure",
)
MESSAGE_FIELDS = (
    "id",
    "ticket_id",
    "author",
    "text",
    "created_at",
    "operator",
    "delivery",
    "delivery_reason",
    "tracker_state",
)


def _fields(row, names: tuple[str, ...]) -> dict:
    return {name: getattr(row, name) for name in names}


def _as_dict(ticket: Ticket) -> dict:
    return _fields(ticket, TICKET_FIELDS)


def _message_dict(message: TicketMessage) -> dict:
    return _fields(message, MESSAGE_FIELDS)


class TicketConflict(RuntimeError):
    """The ticket cannot take this action now; `code` says why, for the operator:
    missing, closed, not_claimed (nobody took it), taken (someone else has it)."""

    def __init__(self, code: str, claimed_by: Optional[str] = None):
        super().__init__(code)
        self.code = code
        self.claimed_by = claimed_by


def _conflict(ticket: Optional[Ticket]) -> TicketConflict:
    if ticket is None:
        return TicketConflict("missing")
    if ticket.status not in OPEN_STATUSES:
        return TicketConflict("closed", ticket.claimed_by)
    if ticket.claimed_by is None:
        return TicketConflict("not_claimed")
    return TicketConflict("taken", ticket.claimed_by)


def _owned(session, ticket_id: int, operator: str) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.status != "claimed" or ticket.claimed_by != operator:
        raise _conflict(ticket)
    return ticket


def ticket(ticket_id: int) -> Optional[dict]:
    """One ticket with its thread (context, notes and replies), for the console."""
    with session_scope() as session:
        found = session.get(Ticket, ticket_id)
        if found is None:
            return None
        return {**_as_dict(found), "messages": [_message_dict(m) for m in found.messages]}


def owned(ticket_id: int, operator: str) -> dict:
    """The ticket if `operator` holds it; TicketConflict otherwise."""
    with session_scope() as session:
        return _as_dict(_owned(session, ticket_id, operator))


def claim(ticket_id: int, operator: str) -> dict:
    """Take a waiting ticket. Atomic: the UPDATE only matches while nobody holds it,
    and its row count says who won. Claiming one's own ticket again is fine."""
    now = utc_now()
    with session_scope() as session:
        won = (
            session.execute(
                update(Ticket)
                .where(
                    Ticket.id == ticket_id, Ticket.status == "waiting", Ticket.claimed_by.is_(None)
                )
                .values(status="claimed", claimed_by=operator, claimed_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )
        found = session.get(Ticket, ticket_id)
        if not won and (found is None or found.status != "claimed" or found.claimed_by != operator):
            raise _conflict(found)
        return _as_dict(found)


def release(ticket_id: int, operator: str) -> None:
    """Put one's ticket back in the queue, at its original place (created_at is kept)."""
    with session_scope() as session:
        released = session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket_id, Ticket.status == "claimed", Ticket.claimed_by == operator
            )
            .values(status="waiting", claimed_by=None, claimed_at=None, updated_at=utc_now())
            .execution_options(synchronize_session=False)
        ).rowcount
        if not released:
            raise _conflict(session.get(Ticket, ticket_id))


def release_all(operator: str) -> int:
    """Return every ticket of an operator who is leaving (deactivated) to the queue."""
    with session_scope() as session:
        return session.execute(
            update(Ticket)
            .where(Ticket.status == "claimed", Ticket.claimed_by == operator)
            .values(status="waiting", claimed_by=None, claimed_at=None, updated_at=utc_now())
            .execution_options(synchronize_session=False)
        ).rowcount


def _add_operator_message(
    ticket_id: int, operator: str, author: str, text: str, key: str, **state
) -> tuple[int, bool]:
    """Store once per form submission: (message id, whether it is new)."""

    def existing() -> Optional[int]:
        with session_scope() as session:
            return session.execute(
                select(TicketMessage.id).where(
                    TicketMessage.request_key == key,
                    TicketMessage.ticket_id == ticket_id,
                    TicketMessage.operator == operator,
                )
            ).scalar_one_or_none()

    found = existing()
    if found is not None:
        return found, False
    try:
        with session_scope() as session:
            ticket = _owned(session, ticket_id, operator)
            message = TicketMessage(
                ticket_id=ticket.id,
                author=author,
                text=text,
                operator=operator,
                request_key=key,
                **state,
            )
            session.add(message)
            ticket.updated_at = utc_now()
            session.flush()
            return message.id, True
    except IntegrityError:
        # The same submission arrived twice at once: the other request stored it.
        found = existing()
        if found is None:
            raise
        return found, False


def add_reply(ticket_id: int, operator: str, text: str, key: str) -> tuple[int, bool]:
    """Store a reply before it is sent. Only a new one may be sent: a repeated key
    (double click, resubmitted form) returns the stored reply, never a second send."""
    return _add_operator_message(
        ticket_id, operator, "operator", text, key, delivery="sending", tracker_state="pending"
    )


def add_note(ticket_id: int, operator: str, text: str, key: str) -> tuple[int, bool]:
    """An internal note for the team; it is never sent to the person."""
    return _add_operator_message(ticket_id, operator, "note", text, key)


def message(message_id: int) -> Optional[dict]:
    with session_scope() as session:
        found = session.get(TicketMessage, message_id)
        return _message_dict(found) if found else None


def record_delivery(message_id: int, ok: bool, reason: Optional[str]) -> None:
    """A refused reply will never be in the tracker, so it leaves no pending copy."""
    with session_scope() as session:
        found = session.get(TicketMessage, message_id)
        found.delivery = "sent" if ok else "refused"
        found.delivery_reason = reason
        if not ok:
            found.tracker_state = None


def begin_tracking(message_id: int) -> bool:
    """Reserve a sent reply for copying into the Rasa tracker; False if it is
    already copied or being copied (a double click on "retry")."""
    with session_scope() as session:
        return (
            session.execute(
                update(TicketMessage)
                .where(
                    TicketMessage.id == message_id,
                    TicketMessage.delivery == "sent",
                    TicketMessage.tracker_state == "pending",
                )
                .values(tracker_state="recording")
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )


def end_tracking(message_id: int, ok: bool) -> None:
    with session_scope() as session:
        session.execute(
            update(TicketMessage)
            .where(TicketMessage.id == message_id)
            .values(tracker_state="done" if ok else "pending")
            .execution_options(synchronize_session=False)
        )


def close(ticket_id: int, operator: str, outcome: str) -> None:
    """Close one's own ticket with an outcome; conditional, so it closes once."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    now = utc_now()
    with session_scope() as session:
        closed = session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket_id, Ticket.status == "claimed", Ticket.claimed_by == operator
            )
            .values(status="closed", outcome=outcome, closed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not closed:
            raise _conflict(session.get(Ticket, ticket_id))


def stats(since: datetime, now: Optional[datetime] = None) -> dict:
    """Coordinator figures. Waiting time is time until an operator claimed the
    ticket: the average over tickets claimed since `since` (naive UTC)."""
    now = now or utc_now()
    with session_scope() as session:
        by_status = dict(
            session.execute(
                select(Ticket.status, func.count(Ticket.id)).group_by(Ticket.status)
            ).all()
        )
        closed_since = dict(
            session.execute(
                select(Ticket.outcome, func.count(Ticket.id))
                .where(Ticket.status == "closed", Ticket.closed_at >= since)
                .group_by(Ticket.outcome)
            ).all()
        )
        claimed = session.execute(
            select(Ticket.created_at, Ticket.claimed_at).where(
                Ticket.claimed_at.is_not(None), Ticket.claimed_at >= since
            )
        ).all()
        oldest = session.execute(
            select(func.min(Ticket.created_at)).where(Ticket.status == "waiting")
        ).scalar()
        load = dict(
            session.execute(
                select(Ticket.claimed_by, func.count(Ticket.id))
                .where(Ticket.status == "claimed")
                .group_by(Ticket.claimed_by)
            ).all()
        )
    waits = [(claimed_at - created_at).total_seconds() for created_at, claimed_at in claimed]
    return {
        "waiting": by_status.get("waiting", 0),
        "claimed": by_status.get("claimed", 0),
        "open": sum(by_status.get(status, 0) for status in OPEN_STATUSES),
        "closed": sum(closed_since.values()),
        "closed_by_outcome": {outcome: closed_since.get(outcome, 0) for outcome in OUTCOMES},
        "average_wait_seconds": sum(waits) / len(waits) if waits else None,
        "longest_wait_seconds": (now - oldest).total_seconds() if oldest else None,
        "claimed_by": load,
    }


def backlog(now: Optional[datetime] = None) -> tuple[dict, dict]:
    """Open tickets by (reason, status), and how long the oldest waiting ticket of each
    reason has waited, in seconds (the metrics: line/core/metrics.py)."""
    now = now or utc_now()
    with session_scope() as session:
        rows = session.execute(
            select(Ticket.reason, Ticket.status, func.count(Ticket.id), func.min(Ticket.created_at))
            .where(Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.reason, Ticket.status)
        ).all()
    counts = {(reason, status): count for reason, status, count, _ in rows}
    oldest = {
        reason: (now - first).total_seconds()
        for reason, status, _, first in rows
        if status == "waiting"
    }
    return counts, oldest


def flag_delivery_failure(sender_id: str, reason: str) -> Optional[int]:
    """Mark the person's open ticket when a message to them finally failed, so an
    operator knows they may not have read the last answer."""
    with session_scope() as session:
        ticket = _open_ticket_of(session, sender_id)
        if ticket is None:
            return None
        ticket.delivery_failure = reason[:64]
        ticket.updated_at = utc_now()
        return ticket.id
