""" "Borrar mis datos": erase one person's conversations, tickets, codes, ratings, media
and alert subscription.

Asked by the person, in two steps, because the request arrives inside a Rasa
turn: Rasa saves the turn after the action runs, and would write back what was
deleted under it. So
`request` deletes at once what the line owns (tickets, feedback codes, ratings)
and records a pending erasure; `sweep` deletes the conversation from the tracker
store, and the phone number, once that turn is stored and the confirmation sent.
Asked in writing, a coordinator erases from the console (`erase_now`): no turn of
the person's is under way, so everything goes at once.
Only the date of each erasure is kept, so reports can count them.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, delete, func, select

from line.alerts import broadcasts
from line.core import settings as config
from line.core.db import Base, engine, forget_removed, session_scope, utc_now
from line.feedback import ratings
from line.feedback.coding import EVENTS, Feedback, sender_hash, tracker_available
from line.handoff.outbound import OutboundMessage
from line.handoff.tickets import Ticket, TicketMessage
from line.media import retention as media_retention
from line.whatsapp.store import WhatsAppContact, WhatsAppOptions

logger = logging.getLogger(__name__)
# The action that confirms an erasure, and where Rasa ends every turn.
ERASE_ACTION = "action_erase_data"
END_OF_TURN = "action_listen"


class Erasure(Base):
    __tablename__ = "erasures"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128))  # cleared once the erasure is complete
    requested_at = Column(DateTime, nullable=False, default=utc_now)
    completed_at = Column(DateTime)


def _erase_owned(session, sender_id: str) -> None:
    tickets = select(Ticket.id).where(Ticket.sender_id == sender_id)
    session.execute(
        delete(TicketMessage)
        .where(TicketMessage.ticket_id.in_(tickets))
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(Ticket).where(Ticket.sender_id == sender_id))
    session.execute(delete(OutboundMessage).where(OutboundMessage.sender_id == sender_id))
    hashed = sender_hash(sender_id)
    session.execute(delete(Feedback).where(Feedback.sender_hash == hashed))
    ratings.erase(session, hashed)
    media_retention.erase(session, sender_id)
    broadcasts.forget(session, sender_id)


def _erase_contact_and_owned(session, sender_id: str) -> None:
    _erase_owned(session, sender_id)
    session.execute(delete(WhatsAppContact).where(WhatsAppContact.pseudonym == sender_id))
    session.execute(delete(WhatsAppOptions).where(WhatsAppOptions.pseudonym == sender_id))


def request(sender_id: str) -> None:
    """Erase what the line owns now; the conversation follows in `sweep`."""
    with session_scope() as session:
        _erase_owned(session, sender_id)
        session.add(Erasure(sender_id=sender_id))


def _turn_end(connection, sender_id: str) -> Optional[float]:
    """Timestamp of the end of the erasure turn (the first action_listen after the
    erase action), or None while Rasa has not stored that turn yet."""
    erased_at = (
        select(func.max(EVENTS.c.timestamp))
        .where(EVENTS.c.sender_id == sender_id, EVENTS.c.action_name == ERASE_ACTION)
        .scalar_subquery()
    )
    return connection.execute(
        select(func.min(EVENTS.c.timestamp)).where(
            EVENTS.c.sender_id == sender_id,
            EVENTS.c.action_name == END_OF_TURN,
            EVENTS.c.timestamp > erased_at,
        )
    ).scalar()


def pending_senders() -> set[str]:
    """People whose erasure is asked for and not complete: nothing of theirs is coded."""
    with session_scope() as session:
        return set(
            session.execute(
                select(Erasure.sender_id).where(Erasure.completed_at.is_(None))
            ).scalars()
        )


def sweep(tracker_url: Optional[str] = None) -> int:
    """Complete the erasures whose turn is stored and whose grace time passed.
    Returns how many were completed; safe to run anywhere, any number of times."""
    grace = timedelta(seconds=config.settings.erasure_grace_seconds)
    with session_scope() as session:
        pending = list(
            session.execute(
                select(Erasure.id, Erasure.sender_id).where(
                    Erasure.completed_at.is_(None), Erasure.requested_at <= utc_now() - grace
                )
            )
        )
    tracker = engine(tracker_url or config.settings.tracker_db_url)
    done = 0
    for erasure_id, sender_id in pending:
        with tracker.begin() as connection:
            end = _turn_end(connection, sender_id)
            if end is None:
                logger.warning("erasure %s waits: its turn is not stored yet", erasure_id)
                continue
            connection.execute(
                delete(EVENTS).where(EVENTS.c.sender_id == sender_id, EVENTS.c.timestamp <= end)
            )
            left = connection.execute(
                select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id == sender_id)
            ).scalar()
            logger.info("erasure %s: conversation deleted, %s later events kept", erasure_id, left)
        with session_scope() as session:
            _erase_contact_and_owned(session, sender_id)
            erasure = session.get(Erasure, erasure_id)
            erasure.sender_id, erasure.completed_at = None, utc_now()
        done += 1
    if done:
        forget_removed(tracker)
        forget_removed(engine())
    return done


def erase_now(sender_id: str, tracker_url: Optional[str] = None) -> None:
    """Erase one person's data completely, for a written request; only the date stays.
    A turn of theirs under way at that very moment is stored when it ends (that turn's
    events only): the console's summary afterwards shows it."""
    if tracker_url is not None or tracker_available():
        tracker = engine(tracker_url or config.settings.tracker_db_url)
        with tracker.begin() as connection:
            connection.execute(delete(EVENTS).where(EVENTS.c.sender_id == sender_id))
        forget_removed(tracker)
    with session_scope() as session:
        _erase_contact_and_owned(session, sender_id)
        now = utc_now()
        session.add(Erasure(sender_id=None, requested_at=now, completed_at=now))
    forget_removed(engine())


def count_completed() -> int:
    with session_scope() as session:
        return session.execute(
            select(func.count()).select_from(Erasure).where(Erasure.completed_at.is_not(None))
        ).scalar()
