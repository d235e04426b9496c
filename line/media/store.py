"""The media people sent, one row each, in the line's database.

The file itself is kept encrypted (line/media/crypto.py), once fetched; the Graph id
it is fetched by is kept, so the same message handled twice is one row. A row moves from
`pending` to `stored`, or to `failed` (the channel could not give it, retried with
backoff) or `refused` (not a type, size or source the line accepts); a sticker is
`skipped`, never fetched. `next_attempt_at` is both the backoff and a lease: a
conditional UPDATE takes a due row, so two instances never fetch the same file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    String,
    func,
    or_,
    select,
    update,
)

from line.core.db import Base, session_scope, utc_now
from line.media import crypto
from line.media.kinds import STICKER

PENDING = "pending"
STORED = "stored"
FAILED = "failed"
REFUSED = "refused"
SKIPPED = "skipped"
# A transcript (line/media/speech.py): waiting for the speech model, ready, its turn
# sent through the model, or failed.
TRANSCRIPT_WAITING = "waiting"
TRANSCRIPT_READY = "ready"
TRANSCRIPT_SENT = "sent"
TRANSCRIPT_FAILED = "failed"
SHOWN_TRANSCRIPTS = (TRANSCRIPT_READY, TRANSCRIPT_SENT)


class Media(Base):
    __tablename__ = "media"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    # The ticket it reached (none for a sticker); no foreign key, so that tickets can be
    # deleted in any order: retention deletes the media of a ticket that is gone.
    ticket_id = Column(Integer, nullable=True, index=True)
    channel = Column(String(32), nullable=False)
    kind = Column(String(16), nullable=False)
    mime_type = Column(String(100), nullable=True)
    graph_id = Column(String(100), nullable=True)
    state = Column(String(16), nullable=False, index=True)
    reason = Column(String(64), nullable=True)
    size = Column(Integer, nullable=True)
    duration_seconds = Column(Float, nullable=True)
    content = Column(LargeBinary, nullable=True)  # sealed
    transcript = Column(LargeBinary, nullable=True)  # sealed
    transcript_state = Column(String(16), nullable=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=True, index=True)
    acknowledged_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    stored_at = Column(DateTime, nullable=True)


# What the console and the channel read of a row (never the file or the transcript).
FIELDS = (
    "id",
    "sender_id",
    "ticket_id",
    "channel",
    "kind",
    "mime_type",
    "state",
    "reason",
    "size",
    "duration_seconds",
    "transcript_state",
    "attempts",
    "created_at",
    "stored_at",
)


def _as_dict(row: Media) -> dict:
    return {name: getattr(row, name) for name in FIELDS}


def _bound(media_id: int, field: str) -> str:
    return f"media:{media_id}:{field}"


def add(
    sender_id: str,
    channel: str,
    kind: str,
    graph_id: str,
    mime_type: str,
    state: str = PENDING,
    reason: Optional[str] = None,
) -> tuple[int, bool]:
    """The new row's id and True; or, for a file this person already sent (the same
    message handled again after a crash), the first row's id and False."""
    with session_scope() as session:
        if graph_id:
            found = session.execute(
                select(Media.id).where(Media.sender_id == sender_id, Media.graph_id == graph_id)
            ).scalar()
            if found is not None:
                return found, False
        row = Media(
            sender_id=sender_id,
            channel=channel,
            kind=kind,
            graph_id=graph_id or None,
            mime_type=mime_type or None,
            state=state,
            reason=reason,
            next_attempt_at=utc_now() if state == PENDING else None,
        )
        session.add(row)
        session.flush()
        return row.id, True


def ticket_acknowledged(ticket_id: int) -> bool:
    """Whether the person was already told about media of this ticket."""
    with session_scope() as session:
        return bool(
            session.execute(
                select(func.count(Media.id)).where(
                    Media.ticket_id == ticket_id, Media.acknowledged_at.is_not(None)
                )
            ).scalar_one()
        )


def last_acknowledged(sender_id: str, stickers: bool) -> Optional[datetime]:
    """When the person was last told about a sticker (or about any other media)."""
    kind = Media.kind == STICKER if stickers else Media.kind != STICKER
    with session_scope() as session:
        return session.execute(
            select(func.max(Media.acknowledged_at)).where(Media.sender_id == sender_id, kind)
        ).scalar()


def attach(media_id: int, ticket_id: Optional[int], acknowledged_at: Optional[datetime]) -> None:
    with session_scope() as session:
        session.execute(
            update(Media)
            .where(Media.id == media_id)
            .values(ticket_id=ticket_id, acknowledged_at=acknowledged_at)
            .execution_options(synchronize_session=False)
        )


def claim(
    media_id: int, lease_until: datetime, after: Optional[int] = None
) -> Optional[tuple[str, str, int]]:
    """Take a row to fetch it: (Graph id, declared type, attempt number), or None when
    it is done or another fetcher has it. A due row is anyone's; the fetcher that made
    attempt `after` may go on before it is due (its own backoff). The attempt count is
    the row's version: of two fetchers, one wins."""
    now = utc_now()
    with session_scope() as session:
        row = session.execute(
            select(Media.graph_id, Media.mime_type, Media.attempts).where(
                Media.id == media_id,
                Media.state == PENDING,
                Media.attempts == after
                if after is not None
                else or_(Media.next_attempt_at.is_(None), Media.next_attempt_at <= now),
            )
        ).one_or_none()
        if row is None:
            return None
        won = session.execute(
            update(Media)
            .where(Media.id == media_id, Media.state == PENDING, Media.attempts == row.attempts)
            .values(attempts=row.attempts + 1, next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        ).rowcount
        return (row.graph_id, row.mime_type or "", row.attempts + 1) if won == 1 else None


def keep(
    media_id: int,
    content: bytes,
    mime_type: str,
    duration_seconds: Optional[float],
    transcript_state: Optional[str],
) -> None:
    """The fetched file, sealed."""
    with session_scope() as session:
        session.execute(
            update(Media)
            .where(Media.id == media_id)
            .values(
                state=STORED,
                reason=None,
                content=crypto.seal(content, _bound(media_id, "content")),
                mime_type=mime_type,
                size=len(content),
                duration_seconds=duration_seconds,
                transcript_state=transcript_state,
                next_attempt_at=None,
                stored_at=utc_now(),
            )
            .execution_options(synchronize_session=False)
        )


def retry_at(media_id: int, when: datetime, reason: str) -> None:
    with session_scope() as session:
        session.execute(
            update(Media)
            .where(Media.id == media_id, Media.state == PENDING)
            .values(next_attempt_at=when, reason=reason)
            .execution_options(synchronize_session=False)
        )


def give_up(media_id: int, state: str, reason: str) -> None:
    """`failed` or `refused`, for good: nothing left to fetch."""
    with session_scope() as session:
        session.execute(
            update(Media)
            .where(Media.id == media_id)
            .values(state=state, reason=reason[:64], next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )


def due(now: Optional[datetime] = None) -> list[int]:
    """Rows to fetch now: never tried, due for a retry, or whose fetcher died."""
    with session_scope() as session:
        return list(
            session.execute(
                select(Media.id)
                .where(Media.state == PENDING, Media.next_attempt_at <= (now or utc_now()))
                .order_by(Media.id)
            ).scalars()
        )


def item(media_id: int) -> Optional[dict]:
    with session_scope() as session:
        row = session.get(Media, media_id)
        return _as_dict(row) if row else None


def for_ticket(ticket_id: int) -> list[dict]:
    with session_scope() as session:
        rows = session.execute(
            select(Media).where(Media.ticket_id == ticket_id).order_by(Media.id)
        ).scalars()
        return [_as_dict(row) for row in rows]


def latest_by_ticket(ticket_ids: Iterable[int]) -> dict[int, dict]:
    """The last media of each ticket, for the queue ("🎧 audio 0:42")."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    with session_scope() as session:
        rows = session.execute(
            select(Media).where(Media.ticket_id.in_(ids)).order_by(Media.id)
        ).scalars()
        return {row.ticket_id: _as_dict(row) for row in rows}


def content(media_id: int) -> tuple[bytes, str]:
    """The file, opened, and its type; KeyError when there is none (yet)."""
    with session_scope() as session:
        row = session.get(Media, media_id)
        if row is None or row.state != STORED or row.content is None:
            raise KeyError(media_id)
        return crypto.open_sealed(row.content, _bound(media_id, "content")), row.mime_type


def keep_transcript(media_id: int, text: Optional[str]) -> None:
    """The transcript, sealed, or a failure (None)."""
    with session_scope() as session:
        session.execute(
            update(Media)
            .where(Media.id == media_id, Media.state == STORED)
            .values(
                transcript=(
                    crypto.seal(text.encode(), _bound(media_id, "transcript")) if text else None
                ),
                transcript_state=TRANSCRIPT_READY if text else TRANSCRIPT_FAILED,
            )
            .execution_options(synchronize_session=False)
        )


def transcript(media_id: int) -> Optional[str]:
    with session_scope() as session:
        row = session.get(Media, media_id)
        if row is None or row.transcript is None:
            return None
        return crypto.open_sealed(row.transcript, _bound(media_id, "transcript")).decode()


def take_transcript_turn(media_id: int) -> bool:
    """True once only: the transcript goes through the model one time."""
    with session_scope() as session:
        return (
            session.execute(
                update(Media)
                .where(Media.id == media_id, Media.transcript_state == TRANSCRIPT_READY)
                .values(transcript_state=TRANSCRIPT_SENT)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )
