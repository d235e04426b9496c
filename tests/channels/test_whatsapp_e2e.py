"""End to end with the trained model: the real Rasa server app with the WhatsApp
channel and the action server, in-process; Meta and Graph are local fakes.

Skipped when models/line.tar.gz is absent (`make test` trains it first)."""

import dataclasses
import json
from datetime import datetime, timedelta
from functools import partial
from uuid import uuid4

import pytest
import requests
from rasa.core.run import configure_app, load_agent_on_start
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.endpoint import create_app as create_action_app

from channels.whatsapp import WhatsAppInput
from line.alerts import broadcasts, subscriptions
from line.alerts.broadcasts import Draft
from line.alerts.worker import Worker
from line.core import db, pseudonyms
from line.core import settings as config
from line.handoff import accounts
from line.whatsapp import store as whatsapp_store
from tests.support.clock import without_quiet_hours
from tests.support.net import wait_until
from tests.support.whatsapp import (
    MEDIA_KEY,
    PSEUDONYM_SECRET,
    FakeGraph,
    GatewayThread,
    SanicThread,
    configured,
    faq,
    payload,
    post,
    say,
)


@pytest.fixture(scope="module")
def rasa(tmp_path_factory, trained_model):
    """Graph fake, action server and Rasa with the channel, shared by this module's tests."""
    graph = FakeGraph()
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'line.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "settings", configured(url, graph.url))
        db.migrate(url)
        actions = SanicThread(create_action_app("actions"))
        endpoints = AvailableEndpoints(action=EndpointConfig(url=f"{actions.base}/webhook"))
        channel = WhatsAppInput()
        app = configure_app(input_channels=[channel], enable_api=True, route="/webhooks/")
        app.register_listener(
            partial(load_agent_on_start, str(trained_model), endpoints, None), "before_server_start"
        )
        server = SanicThread(app, start_timeout=300)
        try:
            assert app.ctx.agent and app.ctx.agent.is_ready(), (
                f"{trained_model} did not load: see the rasa.core.agent error above (`make train`?)"
            )
            yield graph, server
        finally:
            server.stop()
            actions.stop()
            graph.close()
            db.engine(url).dispose()


def test_a_faq_asked_on_whatsapp_is_answered_at_the_graph_api(rasa):
    graph, server = rasa
    phone = "51911000001"
    question, answer = faq("covid_testing")
    say(server, question, phone)
    assert wait_until(lambda: answer in graph.texts(), 60), graph.texts()
    assert all(message["to"] == phone for message in graph.sent)
    person = pseudonyms.pseudonym(phone, PSEUDONYM_SECRET)
    tracker = saved_tracker(server, person, lambda t: t["latest_input_channel"] == "whatsapp")
    assert tracker["sender_id"] == person and phone not in json.dumps(tracker)


def test_a_location_pin_starts_the_service_search_and_a_number_answers_it(rasa):
    graph, server = rasa
    phone = "51911000002"
    body = payload("location.json").replace(b"51987654321", phone.encode())
    assert post(f"{server.base}/webhooks/whatsapp/webhook", body).status_code == 200
    person = pseudonyms.pseudonym(phone, PSEUDONYM_SECRET)
    tracker = saved_tracker(server, person, lambda t: t["active_loop"].get("name"))
    pin = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert pin["parse_data"]["intent"]["name"] == "share_location"
    assert (pin["metadata"]["latitude"], pin["metadata"]["longitude"]) == (-8.1116, -79.0287)
    assert tracker["active_loop"]["name"] == "service_search_form"
    asked = [m["text"]["body"] for m in graph.sent if m["to"] == phone and m["type"] == "text"]
    assert any("7. Albergue" in text for text in asked), asked  # 14 options: numbered text
    say(server, "7", phone)
    tracker = saved_tracker(server, person, lambda t: t["slots"].get("service_category"))
    assert tracker["slots"]["service_category"] == "shelter"


def test_a_faq_posted_to_the_gateway_is_answered_at_the_graph_api(rasa, monkeypatch):
    """The gateway stores and acknowledges; its nudge makes Rasa answer long before the
    channel's next replay (60 s)."""
    graph, server = rasa
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, whatsapp_rasa_urls=(server.base,))
    )
    assert config.settings.whatsapp_replay_seconds == 60
    gateway = GatewayThread()
    try:
        phone = "51911000003"
        question, answer = faq("help_is_free")
        say(server, question, phone, url=gateway.url)

        def answered():
            mine = [m for m in list(graph.sent) if m["to"] == phone]
            return answer in [
                m["text"]["body"] if m["type"] == "text" else m["interactive"]["body"]["text"]
                for m in mine
            ]

        assert wait_until(answered, 50), graph.texts()
        person = pseudonyms.pseudonym(phone, PSEUDONYM_SECRET)
        tracker = saved_tracker(server, person, lambda t: t["latest_input_channel"] == "whatsapp")
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == [question]
    finally:
        gateway.stop()


def tap(server, payload_id: str, phone: str) -> None:
    """A tap on a reply button, as Meta delivers it."""
    body = payload("button_reply.json").replace(b"/request_human", payload_id.encode())
    body = body.replace(b"51987654321", phone.encode()).replace(
        b"MDAwMDAzAA==", uuid4().hex.encode()
    )
    assert post(f"{server.base}/webhooks/whatsapp/webhook", body).status_code == 200


def sent_to(graph, phone):
    return [
        m["text"]["body"] if m["type"] == "text" else m["interactive"]["body"]["text"]
        for m in list(graph.sent)
        if m["to"] == phone and m["type"] in ("text", "interactive")
    ]


def test_alerts_asked_for_accepted_with_a_button_and_stopped_with_baja(rasa):
    graph, server = rasa
    phone = "51911000004"
    person = pseudonyms.pseudonym(phone, PSEUDONYM_SECRET)
    say(server, "hola, quiero recibir avisos cuando haya novedades", phone)
    assert wait_until(lambda: any("BAJA" in t for t in sent_to(graph, phone)), 60), graph.texts()
    [offer] = [m for m in graph.sent if m["to"] == phone and m["type"] == "interactive"]
    consent = offer["interactive"]["body"]["text"]
    buttons = offer["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["/affirm", "/deny"]
    offered = len(sent_to(graph, phone))
    tap(server, "/affirm", phone)
    # The row is saved before the confirmation reaches Graph: count after both.
    assert wait_until(
        lambda: (
            subscriptions.subscriber(person) is not None and len(sent_to(graph, phone)) > offered
        ),
        60,
    ), graph.texts()
    kept = subscriptions.subscriber(person)
    assert kept.active and kept.channel == "whatsapp" and kept.consent_text == consent
    before = len(sent_to(graph, phone))
    say(server, "BAJA", phone)
    assert wait_until(lambda: not subscriptions.subscriber(person).active, 60)
    assert wait_until(lambda: len(sent_to(graph, phone)) == before + 1, 30), graph.texts()
    tracker = saved_tracker(server, person, lambda t: t["latest_message"]["text"] == "BAJA")
    assert tracker["latest_message"]["intent"]["name"] == "unsubscribe_alerts"


def test_a_reply_to_a_broadcast_carries_its_id_into_the_conversation(rasa, monkeypatch):
    graph, server = rasa
    without_quiet_hours(monkeypatch)
    phone = "51911000005"
    person = pseudonyms.pseudonym(phone, PSEUDONYM_SECRET)
    now = datetime.utcnow()
    whatsapp_store.record_inbound(person, phone, now - timedelta(days=2))
    subscriptions.subscribe(person, "whatsapp", "¿Avisos? Escribe BAJA para dejarlos.")
    for name in ("coco", "lola"):
        accounts.create(name, "PASSWORD-largo", "coordinator")
    values = {"tema": "Vacunas", "novedad": "Hay campaña de vacunación esta semana."}
    broadcast_id = broadcasts.create(Draft("coco", "aviso_novedad", values, now), now=now)
    broadcasts.approve(broadcast_id, "lola")
    worker = Worker()
    while worker.run_once():
        pass
    assert broadcasts.statistics(broadcast_id).sent == 1
    say(server, "y donde me vacuno?", phone)
    tracker = saved_tracker(
        server, person, lambda t: any(e["event"] == "user" for e in t["events"])
    )
    [reply] = [e for e in tracker["events"] if e["event"] == "user"]
    assert reply["metadata"][broadcasts.REPLY_KEY] == broadcast_id


def saved_tracker(server, person, ready):
    """Rasa sends replies before it saves the tracker: wait for the saved turn."""
    found = {}

    def check():
        found["tracker"] = requests.get(
            f"{server.base}/conversations/{person}/tracker", timeout=10
        ).json()
        return ready(found["tracker"])

    assert wait_until(check, 60), found.get("tracker")
    return found["tracker"]


def test_a_photo_whose_caption_signals_danger_gets_the_emergency_path(rasa, monkeypatch):
    """The caption goes through the model as the person's words: the emergency number
    first and a priority handoff; the photo joins that ticket and is kept."""
    from line.handoff import tickets
    from line.media import store as media_store
    from tests.support.media import jpeg

    graph, server = rasa
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, media_key=MEDIA_KEY)
    )
    phone = "51911000004"
    graph.media["2754859441498128"] = ("image/jpeg", jpeg())
    body = payload("image.json").replace(b"51987654321", phone.encode())
    body = body.replace(b"mi carnet vencido", "me estan pegando ahora, ayuda".encode())
    assert post(f"{server.base}/webhooks/whatsapp/webhook", body).status_code == 200
    person = pseudonyms.pseudonym(phone, PSEUDONYM_SECRET)

    def photo_kept():
        found = [t for t in tickets.queue() if t["sender_id"] == person]
        media = media_store.for_ticket(found[0]["id"]) if found else []
        return found and media and media[0]["state"] == "stored" and (found[0], media[0])

    found = wait_until(photo_kept, 60)
    assert found, tickets.queue()
    ticket, photo = found
    assert (ticket["reason"], ticket["priority"]) == ("emergency", 0)
    texts = [
        m["text"]["body"] for m in list(graph.sent) if m["to"] == phone and m["type"] == "text"
    ]
    # The emergency number before anything about the photo, which comes last.
    assert any("105" in text for text in texts[:-1]), texts
    assert "Recibí tu foto 📷" in texts[-1]
    assert media_store.content(photo["id"])[1] == "image/jpeg"
