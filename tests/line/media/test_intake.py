"""What the person is told about a voice note, photo or file, and which ticket it joins."""

from datetime import datetime, timedelta, timezone

import pytest

from line.handoff import spool, tickets
from line.media import intake, store

OPEN = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)  # Tuesday 10:00 in Lima


def receive(kind="audio", graph_id="1", mime="audio/ogg", at=OPEN, sender="ana"):
    return intake.receive(sender, "whatsapp", kind, graph_id, mime, at)


def test_later_media_join_the_ticket_with_a_short_word_at_most_every_ten_minutes(media_db):
    first = receive(graph_id="1")
    assert first.say == (("utter_media_audio", {}),) and first.media_id
    assert receive(graph_id="2", at=OPEN + timedelta(minutes=3)).say == ()
    assert receive(graph_id="3", at=OPEN + timedelta(minutes=14)).say == (
        ("utter_media_added", {}),
    )
    [ticket] = tickets.queue()
    assert {m["ticket_id"] for m in store.for_ticket(ticket["id"])} == {ticket["id"]}
    assert len(store.for_ticket(ticket["id"])) == 3


def test_the_first_media_of_a_ticket_opened_for_another_reason_gets_the_full_reply(media_db):
    tickets.open_ticket("ana", "requested")
    assert receive(kind="image", mime="image/jpeg").say == (("utter_media_image", {}),)
    assert tickets.queue()[0]["reason"] == "requested"


def test_a_new_ticket_after_the_last_one_closed_gets_the_full_reply_again(media_db):
    receive(graph_id="1")
    [ticket] = tickets.queue()
    tickets.claim(ticket["id"], "op")
    tickets.close(ticket["id"], "op", "resolved")
    again = receive(
        kind="document", graph_id="2", mime="application/pdf", at=OPEN + timedelta(minutes=1)
    )
    assert again.say == (("utter_media_file", {}),)
    assert tickets.queue()[0]["id"] != ticket["id"]


def test_a_sticker_is_thanked_once_a_day(media_db):
    assert receive(kind="sticker", graph_id="1").say == (("utter_media_sticker", {}),)
    assert receive(kind="sticker", graph_id="2", at=OPEN + timedelta(hours=5)).say == ()
    assert receive(kind="sticker", graph_id="3", at=OPEN + timedelta(hours=25)).say == (
        ("utter_media_sticker", {}),
    )
    assert tickets.queue() == []


def test_a_declared_type_the_line_does_not_keep_is_refused_before_any_download(media_db):
    got = receive(kind="video", mime="video/mp4")
    assert got.media_id is None and got.say == (("utter_media_file", {}),)
    [ticket] = tickets.queue()
    [row] = store.for_ticket(ticket["id"])
    assert (row["state"], row["reason"]) == ("refused", "wrong_type")


def test_with_the_database_down_the_ticket_is_spooled_with_a_note_and_the_person_told(
    media_db, monkeypatch, tmp_path
):
    import dataclasses

    from line.core import settings as config
    from line.core.db import DatabaseUnavailable

    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, ticket_spool_file=tmp_path / "spool.jsonl"),
    )
    monkeypatch.setattr(spool, "keep_retrying", lambda: None)

    def down(*args, **kwargs):
        raise DatabaseUnavailable("down")

    monkeypatch.setattr(store, "add", down)
    monkeypatch.setattr(tickets, "open_ticket", down)
    got = receive()
    assert got == intake.Received(None, (("utter_media_audio", {}),))
    kept = (tmp_path / "spool.jsonl").read_text()
    assert '"media"' in kept and "audio not kept: database unavailable" in kept


def test_when_nothing_can_keep_the_ticket_the_person_is_told_to_try_again(media_db, monkeypatch):
    def broken(handoff):
        raise OSError("disk full")

    monkeypatch.setattr(spool, "open_or_keep", broken)
    assert receive().say == (("utter_handoff_failed", {}),)


@pytest.mark.parametrize("name", intake.RESPONSES)
def test_every_response_named_is_in_the_domain(name):
    import yaml

    from line.core import settings as config

    domain = yaml.safe_load(config.settings.domain_file.read_text(encoding="utf-8"))
    [variant] = domain["responses"][name]
    assert len(variant["text"]) <= 700
