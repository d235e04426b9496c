"""Voice notes, photos and files in the console: the holder of the ticket hears and sees
them, nobody else does, every opening is logged, failures say what to do, and the queue
names them."""

from __future__ import annotations

import dataclasses

import pytest

from line.core import settings as config
from line.handoff import audit
from line.media import store
from tests.console.conftest import waiting_ticket
from tests.support import media as files
from tests.support.whatsapp import MEDIA_KEY


@pytest.fixture(autouse=True)
def keyed(database, monkeypatch):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, media_key=MEDIA_KEY)
    )


def media_ticket(rasa, sender="lucia", text="") -> int:
    return waiting_ticket(sender, "media", text=text, rasa=rasa)


def kept(ticket_id: int, content: bytes, mime_type: str, kind="audio", sender="lucia") -> int:
    media_id, _ = store.add(sender, "whatsapp", kind, str(len(content)), mime_type)
    store.attach(media_id, ticket_id, None)
    from line.media import kinds

    store.keep(media_id, content, mime_type, kinds.duration(content, mime_type), None)
    return media_id


def test_the_queue_names_the_voice_note_instead_of_an_empty_message(login, rasa):
    ticket_id = media_ticket(rasa)
    kept(ticket_id, files.ogg_opus(42), "audio/ogg")
    page = login("ana").get("/").text
    row = page[page.index(f'id="caso-{ticket_id}"') :]
    assert "🎧 audio 0:42" in row[: row.index("</tr>")]
    assert "Envió audio, foto o archivo" in row[: row.index("</tr>")]


def test_the_holder_hears_sees_and_downloads_and_every_opening_is_logged(login, rasa):
    ticket_id = media_ticket(rasa)
    voice, photo, notice = files.ogg_opus(5), files.png(), files.pdf()
    voice_id = kept(ticket_id, voice, "audio/ogg")
    photo_id = kept(ticket_id, photo, "image/png", "image")
    pdf_id = kept(ticket_id, notice, "application/pdf", "document")
    ana = login("ana")
    ana.submit("/", f"/casos/{ticket_id}/tomar")
    page = ana.get(f"/casos/{ticket_id}").text
    assert f'<audio controls preload="metadata" src="/casos/{ticket_id}/medios/{voice_id}"' in page
    assert f'<img src="/casos/{ticket_id}/medios/{photo_id}"' in page
    assert f'href="/casos/{ticket_id}/medios/{pdf_id}" download' in page

    got = ana.get(f"/casos/{ticket_id}/medios/{voice_id}")
    assert (got.status_code, got.content, got.headers["Content-Type"]) == (200, voice, "audio/ogg")
    assert got.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "no-store"
    assert ana.get(f"/casos/{ticket_id}/medios/{photo_id}").content == photo
    download = ana.get(f"/casos/{ticket_id}/medios/{pdf_id}")
    assert download.content == notice
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert [(v["operator"], v["ticket_id"], v["what"]) for v in audit.views(media_id=voice_id)] == [
        ("ana", ticket_id, "file")
    ]


def test_only_the_holder_opens_a_file(login, rasa):
    ticket_id = media_ticket(rasa)
    voice_id = kept(ticket_id, files.ogg_opus(5), "audio/ogg")
    beto = login("beto")
    # Nobody holds the ticket yet: nobody opens the file.
    refused = beto.get(f"/casos/{ticket_id}/medios/{voice_id}")
    assert refused.status_code == 403 and "Solo para quien atiende el caso" in refused.text
    ana = login("ana")
    ana.submit("/", f"/casos/{ticket_id}/tomar")
    assert beto.get(f"/casos/{ticket_id}/medios/{voice_id}").status_code == 403
    assert "<audio" not in beto.get(f"/casos/{ticket_id}").text  # refused altogether
    page = login("coco").get(f"/casos/{ticket_id}").text
    assert "<audio" not in page and "Solo quien atiende el caso puede escucharlo" in page
    # A file of another ticket is not reached through one's own.
    other = media_ticket(rasa, sender="pedro")
    other_voice = kept(other, files.ogg_opus(1), "audio/ogg", sender="pedro")
    assert ana.get(f"/casos/{ticket_id}/medios/{other_voice}").status_code == 404
    assert audit.views(media_id=voice_id) == [] and audit.views(media_id=other_voice) == []


def test_a_download_that_failed_tells_the_operator_what_to_do(login, rasa):
    ticket_id = media_ticket(rasa)
    failed, _ = store.add("lucia", "whatsapp", "audio", "77", "audio/ogg")
    store.attach(failed, ticket_id, None)
    store.give_up(failed, store.FAILED, "graph_500")
    big, _ = store.add("lucia", "whatsapp", "image", "78", "image/jpeg")
    store.attach(big, ticket_id, None)
    store.give_up(big, store.REFUSED, "too_large")
    waiting, _ = store.add("lucia", "whatsapp", "audio", "79", "audio/ogg")
    store.attach(waiting, ticket_id, None)
    ana = login("ana")
    ana.submit("/", f"/casos/{ticket_id}/tomar")
    page = ana.get(f"/casos/{ticket_id}").text
    assert "audio no disponible: pide a la persona que lo reenvíe." in page
    assert "foto no admitido: pesa más de lo que la línea guarda (16 MB)" in page
    assert f'id="descargando-{waiting}"' in page
    assert ana.get(f"/casos/{ticket_id}/medios/{failed}").status_code == 404


def test_the_transcript_is_shown_beside_the_audio_to_the_holder_only(login, rasa):
    ticket_id = media_ticket(rasa)
    voice_id = kept(ticket_id, files.ogg_opus(5), "audio/ogg")
    store.keep_transcript(voice_id, "necesito un albergue en lima")
    ana = login("ana")
    ana.submit("/", f"/casos/{ticket_id}/tomar")
    assert "necesito un albergue en lima" in ana.get(f"/casos/{ticket_id}").text
    assert "necesito un albergue" not in login("coco").get(f"/casos/{ticket_id}").text
    # Each reading is logged (after claiming, and again), none for the other operator.
    assert [(v["operator"], v["what"]) for v in audit.views(media_id=voice_id)] == [
        ("ana", "transcript")
    ] * 2


def test_a_changed_key_is_said_plainly(login, rasa, monkeypatch):
    from line.media import crypto

    ticket_id = media_ticket(rasa)
    voice_id = kept(ticket_id, files.ogg_opus(5), "audio/ogg")
    ana = login("ana")
    ana.submit("/", f"/casos/{ticket_id}/tomar")
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, media_key=crypto.new_key())
    )
    got = ana.get(f"/casos/{ticket_id}/medios/{voice_id}")
    assert got.status_code == 500 and "MEDIA_KEY" in got.text
