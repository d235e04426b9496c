"""Who opened which conversation, file or transcript in the console, and when.

Append-only: this module only adds and reads, and the migration (0013) makes the
database itself refuse UPDATE and DELETE on the table, so the log cannot be made
to forget a reading. It keeps no text of the people, only who looked and where.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, Column, DateTime, Integer, String, select

from line.core.db import Base, session_scope, utc_now

CONVERSATION = "conversation"
FILE = "file"
TRANSCRIPT = "transcript"
LIMIT = 500


class View(Base):
    __tablename__ = "console_views"

    id = Column(Integer, primary_key=True)
    viewed_at = Column(DateTime, nullable=False, default=utc_now, index=True)
    operator = Column(String(64), nullable=False)
    # No foreign keys: retention deletes tickets and media, the log of their readings stays.
    ticket_id = Column(Integer, nullable=False, index=True)
    media_id = Column(Integer, nullable=True, index=True)
    what = Column(String(16), nullable=False)  # conversation, file, transcript
    # Whether the identifiers were shown (the holder), or only the redacted text.
    identifiers = Column(Boolean, nullable=False)


FIELDS = ("id", "viewed_at", "operator", "ticket_id", "media_id", "what", "identifiers")


def record(
    operator: str,
    ticket_id: int,
    what: str,
    identifiers: bool,
    media_id: Optional[int] = None,
    now: Optional[datetime] = None,
) -> None:
    with session_scope() as session:
        session.add(
            View(
                viewed_at=now or utc_now(),
                operator=operator,
                ticket_id=ticket_id,
                media_id=media_id,
                what=what,
                identifiers=identifiers,
            )
        )


def views(
    ticket_id: Optional[int] = None, media_id: Optional[int] = None, limit: int = LIMIT
) -> list[dict]:
    """The latest readings first, of one ticket or one file when asked."""
    query = select(View).order_by(View.id.desc()).limit(limit)
    if ticket_id is not None:
        query = query.where(View.ticket_id == ticket_id)
    if media_id is not None:
        query = query.where(View.media_id == media_id)
    with session_scope() as session:
        rows = session.execute(query).scalars()
        return [{name: getattr(row, name) for name in FIELDS} for row in rows]
