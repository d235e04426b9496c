"""The WhatsApp gateway (line/whatsapp/gateway.py) on a real aiohttp server, on
SQLite and PostgreSQL: Meta's side (handshake, signatures, copies), the 200 before
Rasa is nudged, nudges that fail, and the gateway with Rasa's channel behind it."""

import dataclasses
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import requests

from line.core import pseudonyms
from line.core import settings as config
from line.core.db import utc_now
from line.whatsapp import store as whatsapp_store
from line.whatsapp.webhook import INBOX_PATH
from tests.support.net import free_port, serve_http, stop_http, wait_until
from tests.support.proxy import Balancer
from tests.support.whatsapp import (
    INBOX_TOKEN,
    PHONE,
    PSEUDONYM_SECRET,
    ChannelServer,
    FakeAgent,
    GatewayThread,
    assert_verification_needs_the_token,
    configured,
    inbox_rows,
    payload,
    sign,
)

PERSON = pseudonyms.pseudonym(PHONE, PSEUDONYM_SECRET)
ROOT = Path(__file__).resolve().parents[3]
HOLD_SECONDS = 5.0


class FakeRasa:
    """Stands in for a Rasa instance: records each nudge (answered `status`) and
    forwarded body (answered 200); when `slow`, sleeps HOLD_SECONDS first (close() ends
    the sleep)."""

    def __init__(self, status=202, slow=False):
        self.status, self.slow, self.nudges, self.forwarded = status, slow, [], []
        self.released, self.finished = threading.Event(), threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps a connection open, as Rasa's Sanic does

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == INBOX_PATH:
                    fake.nudges.append(self.headers.get("Authorization"))
                else:
                    fake.forwarded.append(
                        (self.path, body, self.headers.get("X-Hub-Signature-256"))
                    )
                if fake.slow:
                    fake.released.wait(HOLD_SECONDS)
                try:
                    self.send_response(fake.status if self.path == INBOX_PATH else 200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                fake.finished.set()

            def log_message(self, *args):
                pass

        self.server = serve_http(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.released.set()
        stop_http(self.server)


def closed_url():
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def store(migrated, graph, monkeypatch):
    """WhatsApp configured against the fake Graph API, on SQLite and PostgreSQL."""
    monkeypatch.setattr(config, "settings", configured(migrated, graph.url))
    return migrated


def start(monkeypatch, *rasa_urls, **settings):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, whatsapp_rasa_urls=tuple(rasa_urls), **settings),
    )
    running = GatewayThread()
    running.gateway.client.sleep = lambda seconds: None
    return running


@pytest.fixture
def rasa():
    fake = FakeRasa()
    yield fake
    fake.close()


@pytest.fixture
def gateway(store, rasa, monkeypatch):
    running = start(monkeypatch, rasa.url)
    yield running
    running.stop()


def test_verification_echoes_the_challenge_only_for_the_right_token(gateway):
    assert_verification_needs_the_token(gateway.url)
    health = requests.get(f"http://127.0.0.1:{gateway.port}/webhooks/whatsapp/")
    assert health.json() == {"status": "ok"}


def test_bad_bodies_are_refused_and_nothing_is_stored(store, rasa, monkeypatch):
    gateway = start(monkeypatch, rasa.url, whatsapp_max_body_bytes=4000)
    body, big = payload("text.json"), b"{" + b" " * 4000 + b"}"
    try:
        assert gateway.post(body, signature=None).status_code == 401
        assert gateway.post(body, signature=sign(body, "other secret")).status_code == 401
        assert gateway.post(body + b" ", signature=sign(body)).status_code == 401
        assert gateway.post(b"{not json", signature=sign(b"{not json")).status_code == 400
        assert gateway.post(big, signature=sign(big)).status_code == 413
        assert inbox_rows() == [] and rasa.nudges == []
    finally:
        gateway.stop()


def test_a_message_is_stored_for_rasa_then_acknowledged_and_rasa_nudged(gateway, rasa, graph):
    assert gateway.post(payload("text.json")).status_code == 200
    [row] = inbox_rows()
    assert row.pseudonym == PERSON and row.attempts == 0 and row.done_at is None
    assert PHONE not in row.message and "wamid" not in row.message
    assert whatsapp_store.contact(PERSON).phone == PHONE
    assert wait_until(lambda: rasa.nudges) and rasa.nudges == [f"Bearer {INBOX_TOKEN}"]
    assert wait_until(lambda: graph.reads) and graph.reads[0]["status"] == "read"


def test_a_copy_delivered_again_is_stored_once(gateway, rasa):
    body = payload("text.json")
    assert gateway.post(body).status_code == 200
    assert gateway.post(body).status_code == 200
    assert len(inbox_rows()) == 1
    assert gateway.idle() and len(rasa.nudges) == 1


def test_the_200_comes_before_rasa_has_taken_the_nudge(store, monkeypatch):
    slow = FakeRasa(slow=True)
    running = start(monkeypatch, slow.url)
    try:
        response = running.post(payload("text.json"))
        answered_while_held = not slow.finished.is_set()
        assert response.status_code == 200 and answered_while_held
        [row] = inbox_rows()
        assert row.done_at is None
        assert wait_until(lambda: slow.nudges)  # the nudge went out after the 200
        assert not slow.finished.is_set()
    finally:
        slow.close()
        running.stop()


@pytest.mark.parametrize("answer", ["refused", "closed"])
def test_a_failed_nudge_leaves_the_message_pending(store, monkeypatch, answer):
    refusing = FakeRasa(status=503)
    target = refusing.url if answer == "refused" else closed_url()
    running = start(monkeypatch, target)
    try:
        assert running.post(payload("text.json")).status_code == 200
        assert running.idle()
        [row] = inbox_rows()
        assert row.done_at is None and row.attempts == 0
        assert [p.id for p in whatsapp_store.take_stale(timedelta(seconds=60)).taken] == [row.id]
    finally:
        refusing.close()
        running.stop()


def test_with_the_database_down_the_body_goes_to_rasa_as_it_came(store, rasa, monkeypatch):
    down = "postgresql://postgres@127.0.0.1:1/line"
    running = start(monkeypatch, closed_url(), rasa.url, database_url=down)
    try:
        body = payload("text.json")
        assert running.post(body).status_code == 200
        assert rasa.forwarded == [("/webhooks/whatsapp/webhook", body, sign(body))]
    finally:
        running.stop()
    nobody = start(monkeypatch, closed_url(), database_url=down)
    try:
        assert nobody.post(payload("text.json")).status_code == 503  # Meta delivers again
    finally:
        nobody.stop()


def test_nudges_through_a_service_reach_every_pod(store, monkeypatch):
    """A Service sends each new connection to a pod (kube-proxy): a kept connection would
    take every nudge to the first pod (docs/scale.md), one per nudge spreads them."""
    pods = [FakeRasa() for _ in range(3)]
    service = Balancer(*[("127.0.0.1", pod.server.server_port) for pod in pods]).up()
    running = start(monkeypatch, f"http://127.0.0.1:{service.port}")
    try:
        for n in range(9):
            body = payload("text.json").replace(b"MDAwMDAxAA==", f"nudge{n}".encode())
            assert running.post(body).status_code == 200
            assert wait_until(lambda n=n: sum(len(pod.nudges) for pod in pods) == n + 1)
        assert [len(pod.nudges) for pod in pods] == [3, 3, 3]
        assert service.connections == 9
    finally:
        running.stop()
        service.down()
        for pod in pods:
            pod.close()


# --- The gateway in front of Rasa's channel ------------------------------------------


@pytest.fixture
def channel_server(store):
    from channels.whatsapp import WhatsAppInput

    channel = WhatsAppInput()
    channel.client.sleep = lambda seconds: None
    running = ChannelServer(channel, FakeAgent())
    yield running
    running.stop()


def test_rasa_answers_what_the_gateway_stored_in_order(channel_server, graph, monkeypatch):
    """The channel replays only every 60 s here: the answers come from the nudges."""
    assert config.settings.whatsapp_replay_seconds == 60
    running = start(monkeypatch, channel_server.base)
    try:
        for n in range(3):
            body = payload("text.json").replace(
                b"hola, la prueba de covid es gratis?", f"m{n}".encode()
            )
            body = body.replace(b"MDAwMDAxAA==", f"id{n}".encode())
            assert running.post(body).status_code == 200
        assert wait_until(lambda: len(graph.sent) == 3), graph.texts()
        assert graph.texts() == ["eco: m0", "eco: m1", "eco: m2"]
        assert all(m["to"] == PHONE for m in graph.sent)
        assert [m.sender_id for m in channel_server.agent.messages] == [PERSON] * 3
        assert channel_server.idle()
        assert all(row.done_at and row.attempts == 1 for row in inbox_rows())
        assert wait_until(lambda: len(graph.reads) == 3)  # read receipts by the gateway
    finally:
        running.stop()


def test_an_unreadable_row_does_not_stop_the_channel_taking_the_others(
    channel_server, graph, monkeypatch
):
    whatsapp_store.accept(
        PERSON, PHONE, "wamid.BROKEN", utc_now(), {"text": "no kind, no time"}, queued=True
    )
    running = start(monkeypatch, channel_server.base)
    try:
        assert running.post(payload("text.json")).status_code == 200
        assert wait_until(lambda: len(graph.sent) == 1)
        assert graph.texts() == ["eco: hola, la prueba de covid es gratis?"]
        assert channel_server.idle() and all(row.done_at for row in inbox_rows())
    finally:
        running.stop()


def test_the_inbox_route_of_the_channel_needs_the_token(channel_server, monkeypatch):
    url = channel_server.base + INBOX_PATH
    assert requests.post(url).status_code == 401
    assert requests.post(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert requests.post(url, headers={"Authorization": f"Bearer {INBOX_TOKEN}"}).status_code == 202
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, whatsapp_inbox_token="")
    )
    assert requests.post(url, headers={"Authorization": "Bearer "}).status_code == 401


def test_the_gateway_never_loads_rasa():
    """A few tens of MB and no model: that is what keeps its 200 fast."""
    check = (
        "import sys, line.whatsapp.gateway; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'rasa_sdk', "
        "'tensorflow', 'sanic')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.strip() == "[]"
