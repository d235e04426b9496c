"""Media goes PRIVACY_DELETE_AFTER_DAYS after its ticket closed, at once on "borrar mis
datos", and with its ticket when that is deleted first."""

import dataclasses
from datetime import timedelta

from sqlalchemy import delete, select, update

from line.core import settings as config
from line.core.db import session_scope, utc_now
from line.feedback import erasure
from line.handoff import tickets
from line.handoff.tickets import Ticket, TicketMessage
from line.media import retention, store
from line.media.store import Media


def voice(sender: str, ticket_id=None) -> int:
    media_id, _ = store.add(
        sender, "whatsapp", "audio", str(abs(hash(sender)) % 10**9), "audio/ogg"
    )
    store.keep(media_id, b"OggS" + sender.encode(), "audio/ogg", 3.0, None)
    store.attach(media_id, ticket_id, None)
    return media_id


def closed_ticket(sender: str, days_ago: float) -> int:
    ticket_id = tickets.open_ticket(sender, "media").ticket_id
    with session_scope() as session:
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(status="closed", closed_at=utc_now() - timedelta(days=days_ago))
        )
    return ticket_id


def left() -> set[str]:
    with session_scope() as session:
        return set(session.execute(select(Media.sender_id)).scalars())


def test_the_sweep_deletes_what_is_due_and_nothing_else(media_db):
    voice("old", closed_ticket("old", 181))
    voice("recent", closed_ticket("recent", 179))
    voice("open", tickets.open_ticket("open", "media").ticket_id)
    gone = closed_ticket("gone", 1)
    voice("gone", gone)
    with session_scope() as session:  # another sweep deleted the ticket first
        session.execute(delete(TicketMessage).where(TicketMessage.ticket_id == gone))
        session.execute(delete(Ticket).where(Ticket.id == gone))
    sticker, _ = store.add("sticker", "whatsapp", "sticker", "1", "", store.SKIPPED)
    with session_scope() as session:
        session.execute(
            update(Media)
            .where(Media.id == sticker)
            .values(created_at=utc_now() - timedelta(days=200))
        )
    voice("fresh sticker-like")
    assert retention.sweep() == 3
    assert left() == {"recent", "open", "fresh sticker-like"}
    assert retention.sweep() == 0  # again: nothing more


def test_the_retention_days_come_from_the_privacy_setting(media_db, monkeypatch):
    voice("a", closed_ticket("a", 10))
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, privacy_delete_after_days=7)
    )
    assert retention.sweep() == 1 and left() == set()


def test_borrar_mis_datos_deletes_a_persons_media_at_once(media_db):
    voice("ana", tickets.open_ticket("ana", "media").ticket_id)
    voice("beto", tickets.open_ticket("beto", "media").ticket_id)
    erasure.request("ana")
    assert left() == {"beto"}
