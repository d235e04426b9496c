"""People's rights over their data (Ley 29733: access, cancellation): what is stored
about one person, counted for "qué datos tienen de mí" and exported whole for a
written request. Erasing is line/feedback/erasure.py's, for both.

A person is their Rasa sender id: a WhatsApp phone number is only ever stored in
`whatsapp_contacts`, so a request that names a number is found by its pseudonym.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import func, select

from line.alerts.subscriptions import Subscription
from line.core import pseudonyms
from line.core import settings as config
from line.core.db import engine, session_scope, utc_now
from line.feedback.coding import EVENTS, Feedback, sender_hash, tracker_available
from line.feedback.ratings import Rating
from line.handoff.outbound import OutboundMessage
from line.handoff.tickets import Ticket, TicketMessage
from line.media.store import FIELDS as MEDIA_FIELDS
from line.media.store import Media
from line.whatsapp.store import WhatsAppContact

CLOSED = "closed"


@dataclass(frozen=True)
class Summary:
    conversations: int
    messages: int
    open_tickets: int
    closed_tickets: int
    ratings: int
    media: int
    whatsapp_contact: bool
    retention_days: int
    alerts: bool = False  # an active alert subscription

    @property
    def empty(self) -> bool:
        """Nothing the person said, sent or rated (the contact is told apart)."""
        return not (
            self.messages or self.open_tickets or self.closed_tickets or self.ratings or self.media
        )


def sender_of(identifier: str) -> str:
    """The sender id a written request names: a phone number ("+51 987 654 321")
    becomes its pseudonym; anything else is the sender id itself (a pseudonym, or
    the id a REST client chose)."""
    normalized = pseudonyms.normalize(identifier)
    if normalized.isdigit():
        return pseudonyms.pseudonym(normalized)
    return normalized


def _tracker_rows(sender_id: str, tracker_url: Optional[str]) -> list:
    """The person's events in Rasa's tracker store, oldest first; none while the
    default SQLite store does not exist yet."""
    if tracker_url is None and not tracker_available():
        return []
    with engine(tracker_url or config.settings.tracker_db_url).connect() as connection:
        return list(
            connection.execute(
                select(EVENTS.c.type_name, EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender_id)
                .order_by(EVENTS.c.id)
            )
        )


def summary(sender_id: str, tracker_url: Optional[str] = None) -> Summary:
    """Counts, not contents: the reply goes to a phone others may read."""
    kinds = [row.type_name for row in _tracker_rows(sender_id, tracker_url)]
    messages = kinds.count("user")
    with session_scope() as session:
        statuses = dict(
            session.execute(
                select(Ticket.status == CLOSED, func.count())
                .where(Ticket.sender_id == sender_id)
                .group_by(Ticket.status == CLOSED)
            ).all()
        )
        ratings = session.execute(
            select(func.count()).where(Rating.sender_hash == sender_hash(sender_id))
        ).scalar()
        media = session.execute(select(func.count()).where(Media.sender_id == sender_id)).scalar()
        contact = session.get(WhatsAppContact, sender_id) is not None
        subscription = session.get(Subscription, sender_id)
    return Summary(
        # A conversation stored before sessions were recorded still counts as one.
        conversations=max(kinds.count("session_started"), 1 if messages else 0),
        messages=messages,
        open_tickets=statuses.get(False, 0),
        closed_tickets=statuses.get(True, 0),
        ratings=ratings,
        media=media,
        whatsapp_contact=contact,
        retention_days=config.settings.privacy_delete_after_days,
        alerts=subscription is not None and subscription.opted_out_at is None,
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _columns(row, names=None) -> dict:
    names = names or [c.name for c in row.__table__.columns]
    return {name: _plain(getattr(row, name)) for name in names}


def export(sender_id: str, tracker_url: Optional[str] = None) -> dict:
    """Everything stored about one person, ready for json.dumps: the conversation
    event by event, tickets with their messages, the operators' messages as sent,
    ratings, feedback codes, media (what was sent, never the file) and the WhatsApp
    contact."""
    conversation = [json.loads(row.data or "{}") for row in _tracker_rows(sender_id, tracker_url)]
    hashed = sender_hash(sender_id)
    with session_scope() as session:
        tickets = []
        for ticket in session.scalars(
            select(Ticket).where(Ticket.sender_id == sender_id).order_by(Ticket.id)
        ):
            messages = session.scalars(
                select(TicketMessage)
                .where(TicketMessage.ticket_id == ticket.id)
                .order_by(TicketMessage.id)
            )
            tickets.append({**_columns(ticket), "messages": [_columns(m) for m in messages]})
        ratings = session.scalars(select(Rating).where(Rating.sender_hash == hashed))
        codes = session.scalars(
            select(Feedback).where(Feedback.sender_hash == hashed).order_by(Feedback.timestamp)
        )
        sent = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.sender_id == sender_id)
            .order_by(OutboundMessage.id)
        )
        media = session.scalars(select(Media).where(Media.sender_id == sender_id))
        contact = session.get(WhatsAppContact, sender_id)
        subscription = session.get(Subscription, sender_id)
        return {
            "sender_id": sender_id,
            "exported_at": _plain(utc_now()),
            "retention_days": config.settings.privacy_delete_after_days,
            "conversation": conversation,
            "tickets": tickets,
            "operator_messages": [_columns(m) for m in sent],
            "ratings": [_columns(r) for r in ratings],
            "feedback": [_columns(c) for c in codes],
            "media": [_columns(m, MEDIA_FIELDS) for m in media],
            "whatsapp_contact": _columns(contact) if contact else None,
            "alert_subscription": _columns(subscription) if subscription else None,
        }
