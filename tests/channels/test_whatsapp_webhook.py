"""The webhook as Meta sees it: verification, signatures, bad input, redeliveries,
and what each kind of message becomes for Rasa."""

import asyncio
import dataclasses
import json
import logging
import threading
import time

import pytest
import requests
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from channels.whatsapp import WhatsAppInput
from line.core import pseudonyms
from line.core import settings as config
from line.core.db import session_scope
from line.handoff import tickets
from line.whatsapp import store
from tests.support.net import at_once, wait_until
from tests.support.whatsapp import (
    PHONE,
    ChannelServer,
    FakeAgent,
    assert_verification_needs_the_token,
    payload,
    sign,
)

PERSON = pseudonyms.pseudonym(PHONE, "pseudonym-secret")


def test_verification_echoes_the_challenge_only_for_the_right_token(server):
    assert_verification_needs_the_token(server.url)


def test_an_unconfigured_channel_refuses_everything(line_settings, monkeypatch, caplog):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(
            line_settings,
            whatsapp_verify_token="",
            whatsapp_app_secret="",
            whatsapp_access_token="",
            whatsapp_phone_number_id="",
        ),
    )
    server = ChannelServer(WhatsAppInput(), FakeAgent())
    try:
        assert "not fully configured" in caplog.text
        assert (
            requests.get(
                server.url,
                params={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"},
            ).status_code
            == 403
        )
        body = payload("text.json")
        assert server.post(body, signature=sign(body, "")).status_code == 401
    finally:
        server.stop()


def test_no_message_is_taken_without_a_pseudonym_secret(line_settings, monkeypatch):
    monkeypatch.setattr(config, "settings", dataclasses.replace(line_settings, pseudonym_secret=""))
    with pytest.raises(pseudonyms.MissingSecret):
        WhatsAppInput()


def test_a_text_is_acknowledged_then_answered_under_a_pseudonym(server, graph):
    response = server.post(payload("text.json"))
    assert response.status_code == 200
    assert wait_until(lambda: graph.sent)
    [message] = server.agent.messages
    assert message.text == "hola, la prueba de covid es gratis?"
    assert message.sender_id == PERSON and PHONE not in message.sender_id
    assert message.input_channel == "whatsapp" and message.metadata is None
    [reply] = graph.sent
    assert reply["to"] == PHONE
    assert reply["text"]["body"] == "eco: hola, la prueba de covid es gratis?"
    assert graph.attempts[0]["path"] == "/v20.0/109876543210/messages"
    assert graph.attempts[0]["auth"] == "Bearer access-token"
    assert wait_until(lambda: graph.reads)
    assert graph.reads[0]["message_id"].startswith("wamid.") and graph.reads[0]["status"] == "read"


def test_the_acknowledgement_does_not_wait_for_the_model(server, graph):
    release = threading.Event()
    answer = server.agent.handle_message

    async def slow(message):
        while not release.is_set():
            await asyncio.sleep(0.01)
        await answer(message)

    server.agent.handle_message = slow
    started = time.monotonic()
    assert server.post(payload("text.json")).status_code == 200
    assert time.monotonic() - started < 2
    assert not graph.sent
    release.set()
    assert wait_until(lambda: graph.sent)


def test_signatures_are_checked_on_the_raw_bytes_with_accents_and_emoji(server, graph):
    body = payload("text_accents.json")
    assert "ñ".encode() in body and "👶🏽".encode() in body  # raw UTF-8, not \u escapes
    assert server.post(body).status_code == 200
    assert wait_until(lambda: graph.sent)
    assert server.agent.messages[0].text.startswith("Señorita, ¿dónde me vacuno en Piñas?")
    # The same JSON re-encoded (escaped) has another signature: the raw bytes count.
    reencoded = json.dumps(json.loads(body)).encode()
    assert reencoded != body
    assert server.post(reencoded, signature=sign(body)).status_code == 401


def test_a_wrong_or_missing_signature_is_refused_and_nothing_is_processed(server, graph, caplog):
    body = payload("text_accents.json")
    caplog.set_level(logging.INFO)
    good = sign(body)
    flipped = good[:-1] + ("1" if good[-1] == "0" else "0")
    for signature in (
        None,
        "",
        "sha256=",
        sign(body, "another-secret"),
        flipped,
        good.upper(),
        good.replace("sha256=", "sha1="),
        "ñ" * 71,
    ):
        headers = {} if signature is None else {"X-Hub-Signature-256": signature}
        response = requests.post(server.url, data=body, headers=headers, timeout=10)
        assert response.status_code == 401, signature
    assert server.idle() and not server.agent.messages and not graph.attempts
    logged = caplog.text
    assert "signature" in logged and "Piñas" not in logged and PHONE not in logged


def test_malformed_bodies_get_4xx_and_no_contents_in_the_logs(server, caplog):
    caplog.set_level(logging.INFO)
    malformed = payload("malformed.json")
    assert server.post(malformed).status_code == 400
    assert server.post(b"\xff\xfe\x00garbage").status_code == 400
    assert server.post(b"[" * 100_000).status_code == 400
    assert server.post(b"").status_code == 400
    huge = b'{"object": "whatsapp_business_account", "entry": [' + b" " * (2 * 1024 * 1024) + b"]}"
    assert server.post(huge).status_code == 413
    assert server.post(huge, signature=None).status_code == 413
    assert server.idle() and not server.agent.messages
    assert PHONE not in caplog.text and "hola" not in caplog.text


def test_bodies_without_messages_are_acknowledged_and_ignored(server, graph):
    for name in ("empty_entry.json", "status.json"):
        assert server.post(payload(name)).status_code == 200
    for body in (
        b"{}",
        b"[]",
        b"null",
        b"42",
        b'"text"',
        b'{"object": "page", "entry": [{"changes": []}]}',
        b'{"object": "whatsapp_business_account", "entry": {"not": "a list"}}',
    ):
        assert server.post(body).status_code == 200
    assert server.idle() and not server.agent.messages and not graph.attempts


def test_a_message_to_another_number_of_the_account_is_not_ours(server, graph):
    body = payload("text.json").replace(
        b'"phone_number_id": "109876543210"', b'"phone_number_id": "555"'
    )
    assert server.post(body).status_code == 200
    assert server.idle() and not server.agent.messages


def test_a_redelivery_is_answered_once(server, graph):
    body = payload("duplicate.json")  # the same message twice in one body
    assert server.post(body).status_code == 200
    assert server.post(body).status_code == 200  # and the whole body again
    assert wait_until(lambda: graph.sent) and server.idle()  # every copy handled
    assert len(server.agent.messages) == 1 and len(graph.sent) == 1


def test_five_concurrent_copies_are_answered_once(server, graph):
    body = payload("text.json")
    assert at_once(lambda _: server.post(body).status_code, 5) == [200] * 5
    assert wait_until(lambda: graph.sent) and server.idle()  # every copy handled
    assert len(server.agent.messages) == 1 and len(graph.sent) == 1


def test_one_persons_messages_are_handled_in_order(server, graph):
    texts = [f"mensaje {n}" for n in range(8)]
    for n, text in enumerate(texts):
        body = payload("text.json").replace(b"hola, la prueba de covid es gratis?", text.encode())
        body = body.replace(b"MDAwMDAxAA==", f"ORDER{n}".encode())
        assert server.post(body).status_code == 200
    assert wait_until(lambda: len(graph.sent) == len(texts))
    assert [m.text for m in server.agent.messages] == texts
    assert graph.texts() == [f"eco: {text}" for text in texts]


def test_button_and_list_replies_become_their_payloads(server):
    server.post(payload("button_reply.json"))
    assert wait_until(lambda: len(server.agent.messages) == 1)
    server.post(payload("list_reply.json"))
    assert wait_until(lambda: len(server.agent.messages) == 2)
    assert [m.text for m in server.agent.messages] == [
        "/request_human",
        '/inform{"service_category": "shelter"}',
    ]


def test_typed_text_cannot_pose_as_an_intent(server):
    body = payload("text.json").replace(b"hola, la prueba de covid es gratis?", b"/request_human")
    server.post(body)
    assert wait_until(lambda: server.agent.messages)
    assert server.agent.messages[0].text == "request_human"


def test_a_location_pin_becomes_share_location_with_coordinates(server):
    server.post(payload("location.json"))
    assert wait_until(lambda: server.agent.messages)
    [message] = server.agent.messages
    assert message.text == "/share_location"
    assert message.metadata == {"latitude": -8.1116, "longitude": -79.0287}


def test_what_the_line_cannot_open_gets_a_kind_reply_and_a_note_for_the_operator(
    server, graph, channel
):
    tickets.open_ticket(PERSON, "requested", channel="whatsapp")
    server.post(payload("unknown_type.json"))
    assert wait_until(lambda: len(graph.sent) == 1)
    assert not server.agent.messages  # nothing for the model to misread
    assert graph.texts() == [channel.please_write]
    assert "audio" in channel.please_write  # wording from domain.yml
    [ticket] = tickets.queue()
    notes = [m for m in tickets.ticket(ticket["id"])["messages"] if m["author"] == "note"]
    assert [n["text"] for n in notes] == ["[contacts]"]


def test_a_number_answers_the_options_last_offered(server, graph):
    def say(text, n):
        body = payload("text.json").replace(b"hola, la prueba de covid es gratis?", text.encode())
        server.post(body.replace(b"MDAwMDAxAA==", f"NUM{n}".encode()))

    say("menu 14", 1)
    assert wait_until(lambda: graph.sent)
    listing = graph.sent[0]["text"]["body"]
    assert listing.startswith("Elige una\n\n1. Opción 1\n2. Opción 2")
    assert "14. Opción 14" in listing
    say("7", 2)
    assert wait_until(lambda: len(server.agent.messages) == 2)
    assert server.agent.messages[1].text == '/pick{"n": 7}'
    # The echo of that choice offered no options: a later number is just text.
    assert wait_until(lambda: len(graph.sent) == 2)
    say("7", 3)
    assert wait_until(lambda: len(server.agent.messages) == 3)
    assert server.agent.messages[2].text == "7"


def test_a_reply_outside_the_24_hour_window_is_refused(server, graph, caplog):
    caplog.set_level(logging.INFO)
    server.post(payload("text.json", sent_at=time.time() - 25 * 3600))
    assert wait_until(lambda: server.agent.messages) and server.idle()
    assert not graph.attempts
    assert "outside the 24-hour window" in caplog.text


def test_logs_and_stored_ids_never_hold_the_number(server, graph, caplog):
    caplog.set_level(logging.DEBUG)
    server.post(payload("text.json"))
    server.post(payload("audio.json"))
    assert wait_until(lambda: len(graph.sent) == 2) and server.idle()
    assert PHONE not in caplog.text and "wamid" not in caplog.text
    with session_scope() as session:
        keys = session.execute(select(store.WhatsAppSeenMessage.key)).scalars().all()
    assert len(keys) == 2 and not any("wamid" in key or PHONE in key for key in keys)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    signed=st.booleans(),
    query=st.text(max_size=40),
)
def test_nothing_a_caller_sends_gets_a_500(server, body, signed, query):
    assert server.post(body, signature="sign" if signed else None).status_code in (200, 400, 401)
    status = requests.get(
        server.url,
        params={"hub.mode": "subscribe", "hub.verify_token": query, "hub.challenge": query},
    ).status_code
    assert status in (200, 403)
    raw = requests.get(server.url + "?hub.mode=subscribe&hub.verify_token=%FF%FE&hub.challenge=%C3")
    assert raw.status_code in (400, 403)
