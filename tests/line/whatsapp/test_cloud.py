"""The Cloud API without the webhook: the parser, message shapes and limits,
retries without double sends, pseudonyms and the 24-hour rule."""

import asyncio
import json
import time
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from line.core import pseudonyms
from line.core.db import session_scope, utc_now
from line.handoff import outbound, tickets
from line.whatsapp import store
from line.whatsapp.cloud import (
    BUTTON_BODY_LIMIT,
    TEXT_LIMIT,
    GraphClient,
    WhatsAppOutbound,
    button_messages,
    length,
    parse_statuses,
    parse_webhook,
    shorten,
    split_text,
)
from tests.support.net import free_port, wait_until
from tests.support.whatsapp import PHONE, PHONE_NUMBER_ID, payload

PERSON = pseudonyms.pseudonym(PHONE, "pseudonym-secret")


# --- The parser ---------------------------------------------------------------------


def parsed(name):
    return parse_webhook(json.loads(payload(name)), PHONE_NUMBER_ID)


def test_each_fixture_becomes_what_the_line_does_with_it():
    [text] = parsed("text.json")
    assert (text.kind, text.text, text.sender) == (
        "text",
        "hola, la prueba de covid es gratis?",
        PHONE,
    )
    assert abs((datetime.utcnow() - text.sent_at).total_seconds()) < 5
    assert [(m.kind, m.text) for m in parsed("button_reply.json")] == [("reply", "/request_human")]
    assert [(m.kind, m.text) for m in parsed("list_reply.json")] == [
        ("reply", '/inform{"service_category": "shelter"}')
    ]
    [pin] = parsed("location.json")
    assert (pin.kind, pin.latitude, pin.longitude) == ("location", -8.1116, -79.0287)
    assert [(m.kind, m.type) for m in parsed("audio.json")] == [("media", "audio")]
    assert [(m.kind, m.text) for m in parsed("image.json")] == [("media", "mi carnet vencido")]
    assert [(m.kind, m.type) for m in parsed("unknown_type.json")] == [("unsupported", "contacts")]
    assert parsed("status.json") == [] and parsed("empty_entry.json") == []
    assert len(parsed("duplicate.json")) == 2  # de-duplication is the store's job


def test_odd_but_signed_messages_are_read_safely():
    def one(message):
        body = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "metadata": {"phone_number_id": PHONE_NUMBER_ID},
                                "messages": [message],
                            },
                        }
                    ]
                }
            ],
        }
        return parse_webhook(body, PHONE_NUMBER_ID)

    base = {"from": PHONE, "id": "wamid.x", "timestamp": "1"}
    assert one({**base, "type": "reaction", "reaction": {"emoji": "👍"}}) == []
    assert one({**base, "type": "text"})[0].kind == "unsupported"
    assert (
        one({**base, "type": "location", "location": {"latitude": 200, "longitude": 0}})[0].kind
        == "unsupported"
    )
    assert (
        one({**base, "type": "location", "location": {"latitude": True, "longitude": 1}})[0].kind
        == "unsupported"
    )
    assert (
        one({**base, "type": "location", "location": {"latitude": "NaN", "longitude": 1}})[0].kind
        == "unsupported"
    )
    assert (
        one({**base, "type": "button", "button": {"payload": "/deny", "text": "No"}})[0].text
        == "/deny"
    )
    assert one({"id": "wamid.x", "type": "text", "text": {"body": "hi"}}) == []  # no sender
    by_user_id = one(
        {"from_user_id": "US.1349", "id": "w", "type": "text", "text": {"body": "hola"}}
    )
    assert by_user_id[0].sender == "US.1349"
    future = one(
        {
            **base,
            "timestamp": str(int(time.time()) + 86400),
            "type": "text",
            "text": {"body": "hola"},
        }
    )[0]
    assert future.sent_at <= datetime.utcnow() + timedelta(seconds=1)
    millis = one(
        {
            **base,
            "timestamp": str(int(time.time() * 1000)),
            "type": "text",
            "text": {"body": "hola"},
        }
    )[0]
    assert abs((datetime.utcnow() - millis.sent_at).total_seconds()) < 5


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)
ODD = st.text(max_size=8) | st.sampled_from(
    [
        None,
        0,
        -1,
        1.5,
        float("inf"),
        True,
        "",
        [],
        {},
        [None],
        {"id": None},
        "text",
        "interactive",
        "location",
        "list_reply",
        "messages",
        PHONE_NUMBER_ID,
        "whatsapp_business_account",
    ]
)


@st.composite
def near_webhooks(draw):
    """Webhook-shaped bodies whose every part may be missing, mistyped or odd."""

    def maybe(value):
        return draw(st.one_of(st.just(value), ODD))

    message = {
        key: maybe(value)
        for key, value in {
            "from": PHONE,
            "id": "wamid.x",
            "timestamp": "1700000000",
            "type": draw(
                st.sampled_from(
                    [
                        "text",
                        "interactive",
                        "location",
                        "audio",
                        "image",
                        "button",
                        "reaction",
                        "sticker",
                        "x",
                    ]
                )
            ),
            "text": {"body": maybe("hola")},
            "interactive": {
                "type": maybe("list_reply"),
                "list_reply": {"id": maybe("/x")},
                "button_reply": maybe({"id": "/y"}),
            },
            "location": {"latitude": maybe(-12.0), "longitude": maybe(-77.0)},
            "button": maybe({"payload": "/z"}),
            "audio": maybe({"caption": "c"}),
        }.items()
        if draw(st.booleans())
    }
    value = {
        "metadata": {"phone_number_id": maybe(PHONE_NUMBER_ID)},
        "messages": maybe([message, maybe(message)]),
        "statuses": maybe([{}]),
    }
    return {
        "object": maybe("whatsapp_business_account"),
        "entry": maybe([{"changes": maybe([{"field": maybe("messages"), "value": maybe(value)}])}]),
    }


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, near_webhooks()))
def test_the_parser_never_raises(body):
    for message in parse_webhook(body, PHONE_NUMBER_ID):
        assert message.kind in ("text", "reply", "location", "media", "unsupported")
        assert isinstance(message.sender, str) and message.sender.strip()
        assert isinstance(message.message_id, str) and message.message_id
    for status in parse_statuses(body, PHONE_NUMBER_ID):
        assert status.message_id and status.status


# --- Shapes and limits ------------------------------------------------------------


def test_long_text_is_split_on_paragraphs_then_lines_within_the_limit():
    paragraphs = [f"*Párrafo {n}* " + "palabra " * 150 for n in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text)
    assert len(parts) > 1 and all(length(part) <= TEXT_LIMIT for part in parts)
    assert all(part.startswith("*Párrafo") for part in parts)  # never mid-paragraph here
    assert "\n\n".join(parts).split() == text.split()
    one_line = "🙂 " * 3000  # emoji count double
    assert all(length(part) <= TEXT_LIMIT for part in split_text(one_line))
    assert all(length(part) <= 100 for part in split_text("x" * 1000, 100))
    assert split_text("  ") == [] and split_text("hola") == ["hola"]


def test_titles_are_shortened_at_a_word_with_an_ellipsis():
    assert shorten("Hablar con una persona", 20) == "Hablar con una…"
    assert shorten("Sí, con una persona", 20) == "Sí, con una persona"
    assert shorten("Protecciónyviolenciadegénero", 20) == "Protecciónyviolenci…"
    assert length(shorten("🙂" * 30, 20)) <= 20


def buttons(count, title="Opción {n}", payload='/pick{{"n": {n}}}'):
    return [
        {"title": title.format(n=n), "payload": payload.format(n=n)} for n in range(1, count + 1)
    ]


def test_up_to_three_buttons_are_reply_buttons_with_short_titles():
    offered = [
        {"title": "Sí, con una persona", "payload": "/request_human"},
        {"title": "No, gracias, ya me ayudaste mucho", "payload": "/deny"},
        {"title": "Hablar con una persona", "payload": "/other"},
    ]
    messages, payloads = button_messages("¿Quieres que te pase con una persona?", offered, "Ver")
    [message] = messages
    assert message["type"] == "interactive" and message["interactive"]["type"] == "button"
    shown = message["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in shown] == [
        "Sí, con una persona",
        "No, gracias, ya me…",
        "Hablar con una…",
    ]
    assert all(length(b["reply"]["title"]) <= 20 for b in shown)
    assert [b["reply"]["id"] for b in shown] == payloads == ["/request_human", "/deny", "/other"]


def test_four_to_ten_options_are_a_list_with_short_rows():
    for count in (4, 10):
        offered = buttons(count, title="Opción número {n} con un título largo")
        [message], payloads = button_messages("Elige", offered, "Ver opciones")
        interactive = message["interactive"]
        assert interactive["type"] == "list" and interactive["action"]["button"] == "Ver opciones"
        [section] = interactive["action"]["sections"]
        assert len(section["rows"]) == count == len(payloads)
        assert all(length(row["title"]) <= 24 for row in section["rows"])
        assert section["rows"][0]["description"] == "Opción número 1 con un título largo"
        assert [row["id"] for row in section["rows"]] == payloads


def test_more_than_ten_options_are_numbered_text():
    messages, payloads = button_messages(
        "¿Qué buscas? Escribe el número:", buttons(14, title="{n}. Cosa {n}"), "Ver"
    )
    [message] = messages
    body = message["text"]["body"]
    assert body.startswith("¿Qué buscas? Escribe el número:\n\n1. Cosa 1\n2. Cosa 2")
    assert "1. 1." not in body and "14. Cosa 14" in body and len(payloads) == 14


def test_options_that_whatsapp_cannot_show_fall_back_to_numbered_text():
    same_titles = buttons(2, title="Una opción con el mismo comienzo {n}")
    [message], _ = button_messages("Elige", same_titles, "Ver")
    assert message["type"] == "interactive" and message["interactive"]["type"] == "list"
    long_payload = buttons(2, payload="/x" + "y" * 300 + "{n}")
    [message], payloads = button_messages("Elige", long_payload, "Ver")
    assert message["type"] == "text" and len(payloads) == 2
    [message], _ = button_messages("", buttons(2), "Ver")
    assert message["type"] == "text"


def test_a_long_text_with_buttons_sends_the_text_first_and_a_short_body_last():
    text = "\n".join(f"Línea {n} " + "texto " * 20 for n in range(60))
    messages, _ = button_messages(text, buttons(2), "Ver")
    *leading, last = messages
    assert leading and all(m["type"] == "text" for m in leading)
    assert length(last["interactive"]["body"]["text"]) <= BUTTON_BODY_LIMIT
    shown = " ".join([m["text"]["body"] for m in leading] + [last["interactive"]["body"]["text"]])
    assert shown.split() == text.split()


# --- Sending: retries without double sends -------------------------------------------


@pytest.fixture
def client(line_settings, graph):
    made = GraphClient.from_settings()
    made.sleep = lambda seconds: None
    return made


def hello():
    return {"type": "text", "text": {"body": "hola"}}


def test_429_and_5xx_are_retried_and_the_message_arrives_once(client, graph):
    graph.script = [(503, {"error": {"code": 2}}, 0, {}), (429, {}, 0, {"Retry-After": "0"})]
    assert client.send(PHONE, hello()).ok
    assert len(graph.attempts) == 3 and len(graph.sent) == 1
    graph.script = [(400, {"error": {"code": 130429, "message": "throughput"}}, 0, {})]
    assert client.send(PHONE, hello()).ok  # Graph's own throttling answer, too
    assert len(graph.attempts) == 5 and len(graph.sent) == 2


def test_attempts_are_bounded(client, graph):
    graph.script = [(500, {}, 0, {})] * 10
    delivery = client.send(PHONE, hello())
    assert not delivery.ok and delivery.reason == "graph_500"
    assert len(graph.attempts) == 3 and not graph.sent


def test_a_timeout_after_sending_is_not_retried(client, graph):
    client.timeout = 0.2
    graph.script = [(200, None, 0.5, {})]  # Graph takes it, but answers too late
    delivery = client.send(PHONE, hello())
    assert not delivery.ok and delivery.reason.startswith("unconfirmed")
    assert wait_until(lambda: graph.sent, 5)  # Graph did take it, late
    assert len(graph.attempts) == 1 and len(graph.sent) == 1  # exactly once, not twice


def test_no_connection_at_all_is_retried(line_settings):
    sleeps = []
    client = GraphClient(
        f"http://127.0.0.1:{free_port()}", "t", PHONE_NUMBER_ID, 1.0, 3, sleep=sleeps.append
    )
    delivery = client.send(PHONE, hello())
    assert not delivery.ok and delivery.reason == "unreachable" and len(sleeps) == 2
    assert sleeps[0] < sleeps[1] <= 30


def test_a_refused_message_is_not_retried(client, graph):
    graph.script = [(400, {"error": {"code": 131047, "message": "Re-engagement"}}, 0, {})]
    assert client.send(PHONE, hello()).reason == "outside_24h_window"
    graph.script = [(400, {"error": {"code": 100, "message": "Invalid parameter"}}, 0, {})]
    assert client.send(PHONE, hello()).reason == "graph_error_100"
    assert len(graph.attempts) == 2


def test_a_user_id_is_addressed_as_recipient(client, graph):
    assert client.send("US.1349", hello()).ok
    assert graph.sent[0]["recipient"] == "US.1349" and "to" not in graph.sent[0]


# --- Operator replies and the 24-hour window ------------------------------------------


@pytest.fixture
def sender(client):
    return WhatsAppOutbound(client)


def test_operator_replies_reach_the_person_through_line_outbound(channel, graph):
    store.record_inbound(PERSON, PHONE, utc_now())
    assert outbound.deliver("whatsapp", PERSON, "Hola, soy Rosa de la Cruz Roja.").ok
    assert graph.sent[0]["to"] == PHONE
    assert graph.sent[0]["text"]["body"] == "Hola, soy Rosa de la Cruz Roja."


def test_a_reply_after_24_hours_is_refused_with_a_clear_reason(sender, graph):
    store.record_inbound(PERSON, PHONE, utc_now() - timedelta(hours=24, minutes=1))
    delivery = sender.send(PERSON, "¿Sigues ahí?")
    assert not delivery.ok and delivery.reason == "outside_24h_window" and not graph.attempts
    store.record_inbound(PERSON, PHONE, utc_now() - timedelta(hours=23))
    assert sender.send(PERSON, "¿Sigues ahí?").ok


def test_an_unknown_person_is_refused(sender, graph):
    assert sender.send("wa-unknown", "hola").reason == "unknown_recipient"
    assert not graph.attempts


def test_a_failed_send_stops_there_and_flags_the_open_ticket(sender, graph):
    store.record_inbound(PERSON, PHONE, utc_now())
    tickets.open_ticket(PERSON, "requested", channel="whatsapp")
    graph.script = [(200, None, 0, {})] + [(503, {}, 0, {})] * 3
    parts = "\n\n".join(["a" * 4000, "b" * 4000, "c" * 4000])
    delivery = sender.send(PERSON, parts)
    assert not delivery.ok and delivery.reason == "graph_503"
    assert len(graph.sent) == 1 and len(graph.attempts) == 4  # the third part is never sent
    with session_scope() as session:
        [flag] = session.execute(select(tickets.Ticket.delivery_failure)).scalars().all()
    assert flag == "graph_503"


def test_the_output_channel_serves_output_channel_latest(channel, graph):
    store.record_inbound(PERSON, PHONE, utc_now())
    output = channel.get_output_channel()
    assert output.name() == "whatsapp"
    asyncio.run(output.send_response(PERSON, {"text": "¿Te ayudo?", "buttons": buttons(2)}))
    assert graph.sent[0]["interactive"]["type"] == "button"
    assert store.option(PERSON, 2) == '/pick{"n": 2}'


# --- Pseudonyms ------------------------------------------------------------------------


def test_pseudonyms_are_keyed_stable_and_carry_no_number():
    first = pseudonyms.pseudonym("51987654321", "secret")
    assert first.startswith("wa-") and len(first) == 35 and "987654321" not in first
    assert pseudonyms.pseudonym("+51 987-654-321", "secret") == first
    assert pseudonyms.pseudonym("51987654321", "another secret") != first
    assert pseudonyms.pseudonym("51987654322", "secret") != first
    assert pseudonyms.message_key("51987654321", "secret")[:32] != first[3:]
    with pytest.raises(pseudonyms.MissingSecret):
        pseudonyms.pseudonym("51987654321", "")
    with pytest.raises(ValueError):
        pseudonyms.pseudonym("  ", "secret")


def test_media_carries_its_graph_id_and_declared_type():
    [voice] = parsed("audio.json")
    assert (voice.kind, voice.media_id, voice.mime_type) == (
        "media",
        "1348562876053371",
        "audio/ogg; codecs=opus",
    )
    [document] = parsed("document.json")
    assert (document.type, document.mime_type, document.text) == ("document", "application/pdf", "")
    [sticker] = parsed("sticker.json")
    assert (sticker.kind, sticker.type) == ("media", "sticker")
