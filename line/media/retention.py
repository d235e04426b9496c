"""When media is deleted: PRIVACY_DELETE_AFTER_DAYS after its ticket closed (issue #14),
or at once when the person asks "borrar mis datos".

`sweep` is run by the privacy sweep (line/privacy/sweep.py); `erase` is called by the
erasure of one person (line/feedback/erasure.py).
Media whose ticket is gone (erased, or deleted by the sweep first) goes too, and media
that never reached a ticket (stickers, a ticket kept in the spool) goes that many days
after it arrived. The views log keeps no content and stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from line.core import settings as config
from line.core.db import session_scope, utc_now
from line.handoff.tickets import Ticket
from line.media.store import Media


def sweep(now: Optional[datetime] = None, days: Optional[int] = None) -> int:
    """Delete what is past retention; how many files went. Safe to run anywhere, any
    number of times, several instances at once."""
    keep_for = timedelta(days=config.settings.privacy_delete_after_days if days is None else days)
    cutoff = (now or utc_now()) - keep_for
    with session_scope() as session:
        return session.execute(
            delete(Media)
            .where(
                or_(
                    Media.ticket_id.in_(select(Ticket.id).where(Ticket.closed_at < cutoff)),
                    and_(Media.ticket_id.is_not(None), Media.ticket_id.not_in(select(Ticket.id))),
                    and_(Media.ticket_id.is_(None), Media.created_at < cutoff),
                )
            )
            .execution_options(synchronize_session=False)
        ).rowcount


def erase(session: Session, sender_id: str) -> None:
    """Everything a person sent, inside the erasure's own transaction."""
    session.execute(delete(Media).where(Media.sender_id == sender_id))
