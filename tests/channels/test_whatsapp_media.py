"""Voice notes, photos and files over the WhatsApp channel, against the fake Graph API
(media endpoints included): the kind reply, one ticket per conversation, the file
fetched and kept encrypted, failures shown, bad input refused and the conversation
going on."""

import asyncio
import dataclasses
import json
import logging
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from line.core import pseudonyms
from line.core import settings as config
from line.core.db import session_scope
from line.handoff import hours, tickets
from line.media import fetch, speech
from line.media import store as media_store
from line.media.store import Media
from line.whatsapp import store as whatsapp_store
from tests.support import media as files
from tests.support.net import wait_until
from tests.support.whatsapp import PHONE, payload

PERSON = pseudonyms.pseudonym(PHONE, "pseudonym-secret")
VOICE_ID = "1348562876053371"
MP3_ID = "1348562876053372"
IMAGE_ID = "2754859441498128"
PDF_ID = "2754859441498130"
# A Tuesday at 10:00 in Lima (operators answer) and a Sunday night (they do not).
OPEN = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
CLOSED = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def media_server(server, monkeypatch):
    """The channel server, at an hour operators answer, retrying media without waiting."""
    monkeypatch.setattr(hours, "current_time", lambda: OPEN)
    waits = []

    async def no_wait(seconds):
        waits.append(seconds)

    server.channel.pause = no_wait
    server.waits = waits
    return server


def another(name: str, n: int, media_id: str) -> bytes:
    """The fixture `name` as a new message (its own message id) carrying `media_id`."""
    body = json.loads(payload(name))
    [message] = body["entry"][0]["changes"][0]["value"]["messages"]
    message["id"] = f"wamid.another.{n}"
    message[message["type"]]["id"] = media_id
    return json.dumps(body).encode()


def rows() -> list[Media]:
    with session_scope() as session:
        return list(session.execute(select(Media).order_by(Media.id)).scalars())


def settled(server, count: int):
    """Wait until `count` media rows exist and none is waiting to be fetched."""
    assert wait_until(lambda: len(rows()) == count and all(r.state != "pending" for r in rows())), [
        (r.kind, r.state, r.reason) for r in rows()
    ]
    assert server.idle()
    return rows()


def test_a_voice_note_gets_a_kind_reply_a_ticket_and_is_kept_encrypted(
    media_server, graph, channel
):
    voice = files.ogg_opus(42)
    graph.media[VOICE_ID] = ("audio/ogg", voice)
    media_server.post(payload("audio.json"))
    [row] = settled(media_server, 1)
    assert graph.texts() == [channel.texts["utter_media_audio"]]
    assert "Recibí tu audio 🎧" in graph.texts()[0]
    assert not media_server.agent.messages  # no caption: nothing for the model
    [ticket] = tickets.queue()
    assert (ticket["reason"], ticket["priority"], ticket["sender_id"]) == ("media", 2, PERSON)
    assert (row.state, row.kind, row.mime_type, row.duration_seconds) == (
        "stored",
        "audio",
        "audio/ogg",
        42.0,
    )
    assert row.ticket_id == ticket["id"] and row.size == len(voice)
    # Encrypted at rest: the stored bytes are not the file, nor contain it.
    assert row.content != voice and voice[:64] not in row.content
    assert media_store.content(row.id) == (voice, "audio/ogg")
    # Media id -> URL -> bytes, each with the access token.
    assert graph.fetches == [
        (f"/v20.0/{VOICE_ID}", "Bearer access-token"),
        (f"/files/{VOICE_ID}", "Bearer access-token"),
    ]


def test_one_ticket_per_conversation_not_one_per_note(media_server, graph, channel):
    for n, media_id in enumerate(("11", "12", "13"), start=1):
        graph.media[media_id] = ("audio/ogg", files.ogg_opus(n))
        media_server.post(another("audio.json", n, media_id))
    graph.media[MP3_ID] = ("audio/mpeg", files.mp3(5))
    media_server.post(payload("audio_mp3.json"))
    found = settled(media_server, 4)
    [ticket] = tickets.queue()
    assert {r.ticket_id for r in found} == {ticket["id"]}
    assert [r.state for r in found] == ["stored"] * 4
    # The first is answered; the next ones, seconds later, join quietly.
    assert graph.texts() == [channel.texts["utter_media_audio"]]
    assert [r.duration_seconds for r in found] == [1.0, 2.0, 3.0, 5.0]


def test_media_joins_a_ticket_already_open_and_says_so(media_server, graph, channel):
    receipt = tickets.open_ticket(PERSON, "emergency", channel="whatsapp", danger="violence")
    graph.media[PDF_ID] = ("application/pdf", files.pdf())
    media_server.post(payload("document.json"))
    [row] = settled(media_server, 1)
    [ticket] = tickets.queue()
    assert ticket["id"] == row.ticket_id == receipt.ticket_id
    assert (ticket["reason"], ticket["priority"]) == ("emergency", 0)  # never lowered
    assert graph.texts() == [channel.texts["utter_media_file"]]
    assert row.mime_type == "application/pdf"


def test_a_caption_goes_through_the_model_before_the_photo_reply(media_server, graph, channel):
    graph.media[IMAGE_ID] = ("image/jpeg", files.jpeg())
    media_server.post(payload("image.json"))
    [row] = settled(media_server, 1)
    assert [m.text for m in media_server.agent.messages] == ["mi carnet vencido"]
    assert graph.texts() == ["eco: mi carnet vencido", channel.texts["utter_media_image"]]
    assert row.state == "stored" and row.mime_type == "image/jpeg"


def test_outside_hours_the_reply_says_when_operators_answer(media_server, graph, monkeypatch):
    monkeypatch.setattr(hours, "current_time", lambda: CLOSED)
    graph.media[VOICE_ID] = ("audio/ogg", files.ogg_opus(3))
    media_server.post(payload("audio.json"))
    settled(media_server, 1)
    [text] = graph.texts()
    assert text.startswith("Recibí tu audio 🎧")
    assert "fuera de horario" in text and "*07/12*" in text and "*08:00*" in text


def test_stickers_are_thanked_once_and_open_no_ticket(media_server, graph, channel):
    media_server.post(payload("sticker.json"))
    assert wait_until(lambda: graph.sent) and media_server.idle()
    media_server.post(another("sticker.json", 2, "999"))
    assert wait_until(lambda: len(rows()) == 2) and media_server.idle()
    assert graph.texts() == [channel.texts["utter_media_sticker"]]
    assert tickets.queue() == []
    assert [r.state for r in rows()] == ["skipped", "skipped"]
    assert not [path for path, _ in graph.fetches]  # a sticker is never fetched


def test_a_video_is_refused_without_fetching_and_reaches_a_person(media_server, graph, channel):
    media_server.post(payload("video.json"))
    [row] = settled(media_server, 1)
    assert graph.texts() == [channel.texts["utter_media_file"]]
    assert (row.state, row.reason) == ("refused", "wrong_type")
    assert tickets.queue()[0]["id"] == row.ticket_id
    assert graph.fetches == []


def test_graph_down_is_retried_with_backoff_then_the_file_is_kept(media_server, graph, channel):
    graph.media[VOICE_ID] = ("audio/ogg", files.ogg_opus(2))
    graph.media_script = [(500, {"error": {"code": 2}}), (503, {"error": {"code": 2}})]
    media_server.post(payload("audio.json"))
    [row] = settled(media_server, 1)
    assert (row.state, row.attempts) == ("stored", 3)
    assert media_server.waits == list(fetch.BACKOFF_SECONDS[:2])
    assert graph.texts() == [channel.texts["utter_media_audio"]]  # said once


def test_an_expired_link_is_fetched_again_with_a_new_one(media_server, graph):
    graph.media[VOICE_ID] = ("audio/ogg", files.ogg_opus(2))
    graph.expired.add(VOICE_ID)

    async def time_passes(seconds):  # and Graph gives a fresh link
        graph.expired.clear()

    media_server.channel.pause = time_passes
    media_server.post(payload("audio.json"))
    [row] = settled(media_server, 1)
    assert (row.state, row.attempts) == ("stored", 2)
    assert [path for path, _ in graph.fetches].count(f"/files/{VOICE_ID}") == 2


def test_a_download_that_keeps_failing_is_shown_as_unavailable(media_server, graph, channel):
    graph.media[VOICE_ID] = ("audio/ogg", files.ogg_opus(2))
    graph.media_script = [(500, {})] * (len(fetch.BACKOFF_SECONDS) + 1)
    media_server.post(payload("audio.json"))
    [row] = settled(media_server, 1)
    assert (row.state, row.reason) == ("failed", "graph_500")
    assert row.content is None
    assert graph.texts() == [channel.texts["utter_media_audio"]]  # the person had a reply
    assert tickets.queue()[0]["id"] == row.ticket_id


@pytest.mark.parametrize(
    "media_id, setup, reason",
    [
        ("..%2Fme", None, "bad_media_id"),
        ("1234567", None, "graph_error_100"),
        (
            "20001",
            lambda graph: graph.media_script.append(
                (200, {"url": f"{graph.base}/files/20001", "file_size": 200 * 1024 * 1024})
            ),
            "too_large",
        ),
        (
            "20002",
            lambda graph: graph.media.update({"20002": ("image/jpeg", files.pdf())}),
            "wrong_type",
        ),
        (
            "20003",
            lambda graph: graph.media.update({"20003": ("application/zip", b"PK\x03\x04")}),
            "wrong_type",
        ),
        (
            "20004",
            lambda graph: (
                graph.media.update({"20004": ("audio/ogg", files.ogg_opus(1))}),
                graph.media_urls.update({"20004": "https://lookaside.evil.example/x.ogg"}),
            ),
            "foreign_url",
        ),
        (
            "20005",
            lambda graph: (
                graph.media.update({"20005": ("audio/ogg", files.ogg_opus(1))}),
                graph.media_urls.update({"20005": "http://lookaside.fbsbx.com/x.ogg"}),
            ),
            "foreign_url",
        ),
    ],
)
def test_bad_media_is_refused_logged_without_content_and_the_conversation_goes_on(
    media_server, graph, channel, caplog, media_id, setup, reason
):
    caplog.set_level(logging.DEBUG)
    if setup:
        setup(graph)
    media_server.post(another("audio.json", 1, media_id))
    [row] = settled(media_server, 1)
    assert (row.state, row.reason, row.content) == ("refused", reason, None)
    assert graph.texts() == [channel.texts["utter_media_audio"]]
    assert not [path for path, _ in graph.fetches if "evil" in path or path == "/files/20001"]
    assert "OggS" not in caplog.text and "%PDF" not in caplog.text and "evil" not in caplog.text
    media_server.post(payload("text.json"))  # the conversation goes on
    assert wait_until(lambda: "eco: hola, la prueba de covid es gratis?" in graph.texts())


def test_a_file_larger_than_it_said_is_cut_off_at_the_limit(media_server, graph, monkeypatch):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, media_max_bytes=10_000)
    )
    graph.media_script = [(200, {"url": f"{graph.base}/files/{VOICE_ID}", "file_size": 100})]
    graph.media[VOICE_ID] = ("audio/ogg", files.ogg_opus(60))
    assert len(files.ogg_opus(60)) > 10_000
    media_server.post(payload("audio.json"))
    [row] = settled(media_server, 1)
    assert (row.state, row.reason) == ("refused", "too_large")


def test_the_same_message_handled_twice_is_one_row_and_one_reply(media_server, graph, channel):
    from line.whatsapp.cloud import parse_webhook

    graph.media[VOICE_ID] = ("audio/ogg", files.ogg_opus(2))
    whatsapp_store.record_inbound(PERSON, PHONE, datetime.utcnow())
    [message] = parse_webhook(json.loads(payload("audio.json")), "109876543210")

    async def twice():
        for _ in range(2):
            await media_server.channel._dispatch(message, PERSON, media_server.agent.handle_message)

    asyncio.run_coroutine_threadsafe(twice(), media_server.loop).result(10)
    [row] = settled(media_server, 1)
    assert graph.texts() == [channel.texts["utter_media_audio"]]


def test_a_fetch_cut_short_by_a_crash_is_taken_again_by_the_replay(media_server, graph, channel):
    graph.media[VOICE_ID] = ("audio/ogg", files.ogg_opus(2))
    media_id, _ = media_store.add(PERSON, "whatsapp", "audio", VOICE_ID, "audio/ogg")
    asyncio.run_coroutine_threadsafe(
        media_server.channel._media_due(media_server.agent.handle_message), media_server.loop
    ).result(10)
    [row] = settled(media_server, 1)
    assert row.id == media_id and row.state == "stored"


class FakeTranscriber:
    def __init__(self):
        self.heard = []

    def transcribe(self, audio: bytes, mime_type: str) -> str:
        self.heard.append((len(audio), mime_type))
        return "  me estan pegando   ayuda "


def test_with_a_speech_model_the_transcript_goes_through_the_model(
    media_server, graph, monkeypatch
):
    fake = FakeTranscriber()
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, asr_model_dir="/models/asr")
    )
    monkeypatch.setattr(speech, "load", lambda model_dir: fake)
    voice = files.ogg_opus(4)
    graph.media[VOICE_ID] = ("audio/ogg", voice)
    media_server.post(payload("audio.json"))
    assert wait_until(lambda: media_server.agent.messages)
    [message] = media_server.agent.messages
    assert message.text == "me estan pegando ayuda"
    assert message.metadata == {"media_transcript": rows()[0].id}
    assert fake.heard == [(len(voice), "audio/ogg")]
    [row] = rows()
    assert row.transcript_state == "sent"
    assert b"pegando" not in row.transcript  # sealed too
    assert media_store.transcript(row.id) == "me estan pegando ayuda"


def test_without_a_speech_model_nothing_is_transcribed(media_server, graph):
    graph.media[VOICE_ID] = ("audio/ogg", files.ogg_opus(4))
    media_server.post(payload("audio.json"))
    [row] = settled(media_server, 1)
    assert row.transcript_state is None and not media_server.agent.messages
