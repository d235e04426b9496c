"""The WhatsApp side's metrics, after a conversation full of identifiers through the gateway
and Rasa's channel (with a stand-in agent): acknowledgements, messages stored, nudges,
sends and read receipts are counted, and no number, name, pseudonym or text of it reaches
a label or a value of the metrics port."""

import dataclasses
import uuid

from prometheus_client import REGISTRY

from line.core import metrics, pseudonyms
from line.core import settings as config
from tests.support.metrics import IDENTIFYING_MESSAGES, PHONES, assert_clean, scrape, secrets_of
from tests.support.net import free_port, wait_until
from tests.support.whatsapp import PSEUDONYM_SECRET, GatewayThread, payload, sign


def value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_conversation_full_of_identifiers_is_counted_and_named_nowhere(
    server, graph, monkeypatch
):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, whatsapp_rasa_urls=(server.base,))
    )
    gateway = GatewayThread()
    acks = value("line_whatsapp_webhooks_total", receiver="gateway", status="200")
    stored = value("line_whatsapp_messages_total", receiver="gateway", result="stored")
    sent = value("line_whatsapp_sends_total", kind="message", result="ok")
    refused = value("line_whatsapp_webhooks_total", receiver="gateway", status="401")
    try:
        for n, text in enumerate(IDENTIFYING_MESSAGES):
            phone = PHONES[n % len(PHONES)]
            body = payload("text.json").replace(
                b"hola, la prueba de covid es gratis?", text.encode()
            )
            body = body.replace(b"51987654321", phone.encode())
            body = body.replace(b"MDAwMDAxAA==", uuid.uuid4().hex.encode())
            assert gateway.post(body).status_code == 200
        assert gateway.post(body, signature=sign(body, "not the app secret")).status_code == 401
        count = len(IDENTIFYING_MESSAGES)
        assert wait_until(lambda: len(graph.sent) == count, 20), graph.texts()
        assert gateway.idle() and server.idle()
    finally:
        gateway.stop()
    assert value("line_whatsapp_webhooks_total", receiver="gateway", status="200") == acks + count
    assert value("line_whatsapp_webhooks_total", receiver="gateway", status="401") == refused + 1
    assert value("line_whatsapp_messages_total", receiver="gateway", result="stored") == (
        stored + count
    )
    assert value("line_whatsapp_sends_total", kind="message", result="ok") == sent + count
    assert value("line_whatsapp_nudges_total", result="taken") >= 1
    assert value("line_whatsapp_ack_seconds_count", receiver="gateway") >= count
    assert value("line_whatsapp_in_flight") == 0

    text = scrape(metrics.serve(free_port()))
    people = [pseudonyms.pseudonym(phone, PSEUDONYM_SECRET) for phone in PHONES]
    assert_clean(text, secrets_of(more=people))
