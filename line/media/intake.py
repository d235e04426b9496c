"""A voice note, photo or file arrives: the person is told kindly, and a person of the
team takes it.

The first one of a ticket opens a handoff (reason `media`, line/handoff/request.py), or
joins the ticket already open, and gets the reply for its kind, with the hours when
operators are away. Later ones join the same ticket: one ticket per conversation, not
one per note, and a short "received" at most every QUIET minutes, so a person who sends
five notes in a row is not answered five times. A sticker is thanked once a day at most
and opens nothing. What to say is returned as domain response names; the channel says it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy.exc import SQLAlchemyError

from line.core.db import DatabaseUnavailable
from line.handoff import hours, request, spool
from line.media import kinds, store

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (DatabaseUnavailable, SQLAlchemyError)
FIRST = {kinds.AUDIO: "utter_media_audio", kinds.IMAGE: "utter_media_image"}
FILE = "utter_media_file"  # documents, videos and anything else
ADDED = "utter_media_added"
AFTER_HOURS = "utter_media_after_hours"
STICKER = "utter_media_sticker"
NOT_KEPT = "utter_handoff_failed"
# Every response this module may name (the channel checks the domain has them).
RESPONSES = (*FIRST.values(), FILE, ADDED, AFTER_HOURS, STICKER, NOT_KEPT)
QUIET = timedelta(minutes=10)
STICKER_QUIET = timedelta(hours=24)


@dataclass(frozen=True)
class Received:
    """What the channel does next: fetch this row (None: nothing to fetch) and say
    these responses (name, values), in one message."""

    media_id: Optional[int]
    say: tuple[tuple[str, dict], ...]


def receive(
    sender_id: str,
    channel: str,
    message_type: str,
    graph_id: str,
    mime_type: str,
    now: Optional[datetime] = None,
) -> Received:
    """Blocking (database, spool): call it off the event loop."""
    now = now or hours.current_time()
    kind = kinds.kind_of(message_type)
    if kind == kinds.STICKER:
        return _sticker(sender_id, channel, graph_id, now)
    declared = kinds.base_type(mime_type)
    state, reason = store.PENDING, None
    if declared and declared not in kinds.SIGNATURES:  # a video, an unknown format
        state, reason = store.REFUSED, kinds.WRONG_TYPE
    try:
        media_id, new = store.add(sender_id, channel, kind, graph_id, declared, state, reason)
    except DATABASE_ERRORS as exc:
        logger.error("%s of %s not kept: %s", kind, sender_id, type(exc).__name__)
        media_id, new = None, True
    if not new:  # handled before an instance died: answered and fetched already
        return Received(None, ())
    handoff = request.from_media(sender_id, channel, kind, kept=media_id is not None)
    try:
        receipt = spool.open_or_keep(handoff)
    except OSError:
        logger.exception("NO TICKET for %s: neither the database nor the spool took it", sender_id)
        return Received(None, ((NOT_KEPT, {}),))
    if media_id is None or receipt is None:  # the database is down: the spool has it
        return Received(None, _first(kind, now))
    try:
        say = _acknowledgement(sender_id, kind, receipt, now)
        store.attach(media_id, receipt.ticket_id, _naive(now) if say else None)
    except DATABASE_ERRORS as exc:
        logger.error("%s of %s not attached: %s", kind, sender_id, type(exc).__name__)
        say = _first(kind, now)
    return Received(media_id if state == store.PENDING else None, say)


def _acknowledgement(sender_id: str, kind: str, receipt, now: datetime) -> tuple:
    if receipt.new or not store.ticket_acknowledged(receipt.ticket_id):
        return _first(kind, now)
    last = store.last_acknowledged(sender_id, stickers=False)
    return ((ADDED, {}),) if last is None or _naive(now) - last >= QUIET else ()


def _first(kind: str, now: datetime) -> tuple:
    said = ((FIRST.get(kind, FILE), {}),)
    if hours.is_open(now):
        return said
    opens = hours.next_opening(now)
    when = {"day": opens.strftime("%d/%m"), "time": opens.strftime("%H:%M")}
    return said + ((AFTER_HOURS, when),)


def _sticker(sender_id: str, channel: str, graph_id: str, now: datetime) -> Received:
    """Thanked once a day at most; never a ticket, never fetched."""
    try:
        last = store.last_acknowledged(sender_id, stickers=True)
        thank = last is None or _naive(now) - last >= STICKER_QUIET
        media_id, new = store.add(sender_id, channel, kinds.STICKER, graph_id, "", store.SKIPPED)
        thank = thank and new
        if thank:
            store.attach(media_id, None, _naive(now))
    except DATABASE_ERRORS as exc:
        logger.error("sticker of %s not noted: %s", sender_id, type(exc).__name__)
        thank = False
    return Received(None, ((STICKER, {}),) if thank else ())


def _naive(moment: datetime) -> datetime:
    """The database's naive UTC."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
