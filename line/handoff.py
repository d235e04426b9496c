"""Handoff tickets: the queue of people waiting for a human operator.

One open ticket per person: a second handoff appends to it instead of queueing
the person twice. Emergencies go first, then the longest wait.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Optional, Sequence

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import relationship

from line.db import Base, session_scope

# Lower number = answered first.
PRIORITY = {"emergency": 0, "case": 1, "requested": 2, "unresolved": 2}
REASONS = tuple(PRIORITY)
OPEN_STATUSES = ("waiting", "claimed")
SUMMARY_LENGTH = 280


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


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
    summary = Column(Text, default="")
    created_at = Column(DateTime, nullable=False, default=_now)
    updated_at = Column(DateTime, default=_now)
    claimed_by = Column(String(64), nullable=True)
    closed_at = Column(DateTime, nullable=True)
    outcome = Column(String(64), nullable=True)

    messages = relationship("TicketMessage", order_by="TicketMessage.id")


class TicketMessage(Base):
    __tablename__ = "ticket_messages"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("tickets.id"), nullable=False, index=True)
    author = Column(String(16), nullable=False)  # user, bot, operator, note
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, default=_now)


@dataclass(frozen=True)
class Receipt:
    """What the person is told: their ticket and their place in the queue."""

    ticket_id: int
    position: int
    priority: int
    new: bool


def open_ticket(sender_id: str, reason: str, *, channel: str = "rest",
                topic: Optional[str] = None, region: Optional[str] = None,
                danger: Optional[str] = None,
                messages: Sequence[tuple[str, str]] = ()) -> Receipt:
    """Create the person's open ticket, or add to it; `messages` are (author, text)."""
    if reason not in PRIORITY:
        raise ValueError(f"unknown handoff reason {reason!r}")
    with session_scope() as session:
        ticket = session.execute(
            select(Ticket).where(Ticket.sender_id == sender_id,
                                 Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id).limit(1)
        ).scalar_one_or_none()
        new = ticket is None
        if new:
            ticket = Ticket(sender_id=sender_id, channel=channel, reason=reason,
                            priority=PRIORITY[reason], status="waiting")
            session.add(ticket)
        elif PRIORITY[reason] < ticket.priority:
            ticket.priority, ticket.reason = PRIORITY[reason], reason
        ticket.topic = topic or ticket.topic
        ticket.region = region or ticket.region
        ticket.danger = danger or ticket.danger
        ticket.updated_at = _now()
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
        ticket = session.execute(
            select(Ticket).where(Ticket.sender_id == sender_id,
                                 Ticket.status.in_(OPEN_STATUSES))
        ).scalar_one_or_none()
        if ticket is None:
            return None
        _append(session, ticket, messages)
        ticket.updated_at = _now()
        return ticket.id


def queue(limit: int = 100) -> list[dict]:
    """Open tickets in the order operators should take them."""
    with session_scope() as session:
        rows = session.execute(
            select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.priority, Ticket.created_at, Ticket.id).limit(limit)
        ).scalars()
        return [_as_dict(t) for t in rows]


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
            | ((Ticket.priority == ticket.priority) & (Ticket.created_at == ticket.created_at)
               & (Ticket.id < ticket.id)))
    ).scalar_one()
    return ahead + 1


def _as_dict(ticket: Ticket) -> dict:
    return {column: getattr(ticket, column) for column in
            ("id", "sender_id", "channel", "status", "priority", "reason", "topic",
             "region", "danger", "summary", "created_at", "claimed_by")}
