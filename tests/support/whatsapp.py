"""WhatsApp without Meta: payloads as Meta sends them, a fake Graph API that records what
the line sends, the channel served the way Rasa mounts it (with a stand-in agent) and the
gateway on a real aiohttp server, all local. Plugin of tests/conftest.py (fixtures
`graph`, `line_settings`, `channel`, `server`)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler

import pytest
import requests
import yaml
from aiohttp import web
from sanic import Sanic
from sqlalchemy import select

from line.core import db
from line.core import settings as config
from line.whatsapp.gateway import Gateway
from tests.support.net import free_port, serve_http, stop_http, wait_until
from tests.support.requirements import ROOT, fresh_sqlite

PAYLOADS = ROOT / "tests" / "channels" / "payloads"
PHONE = "51987654321"
PHONE_NUMBER_ID = "109876543210"
APP_SECRET = "app-secret-ñ"
VERIFY_TOKEN = "verify-token"
PSEUDONYM_SECRET = "pseudonym-secret"
INBOX_TOKEN = "inbox-token"
MEDIA_KEY = "q4U3M5e1lq2Pn2m0d7w2oB9mX3Jr8k2Qh1sZ6yT0cVw="  # 32 bytes, for tests only
# Several Sanic servers in one process: test mode keeps Sanic 21.12 from patching
# its own code a second time.
Sanic.test_mode = True


def payload(name: str, sent_at: float = None) -> bytes:
    """A fixture body, raw bytes as Meta would send them, stamped with a time."""
    raw = (PAYLOADS / name).read_bytes()
    return raw.replace(b"{{now}}", str(int(sent_at or time.time())).encode())


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def say(server, text: str, phone: str, url: str = None) -> None:
    """A text message from `phone` as Meta would deliver it, with a new message id, to the
    webhook of `server` (or at `url`)."""
    body = payload("text.json").replace(b"hola, la prueba de covid es gratis?", text.encode())
    body = body.replace(b"51987654321", phone.encode())
    body = body.replace(b"MDAwMDAxAA==", uuid.uuid4().hex.encode())
    assert post(url or f"{server.base}/webhooks/whatsapp/webhook", body).status_code == 200


def assert_verification_needs_the_token(url: str) -> None:
    """Meta's GET handshake at `url`: the challenge comes back only for the right token."""
    ok = requests.get(
        url,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"},
        {},
    ):
        assert requests.get(url, params=params).status_code == 403


def inbox_rows() -> list:
    """Every row of the WhatsApp inbox, in arrival order."""
    from line.core.db import session_scope
    from line.whatsapp.store import WhatsAppInbox

    with session_scope() as session:
        return list(session.execute(select(WhatsAppInbox).order_by(WhatsAppInbox.id)).scalars())


def faq(topic: str) -> tuple[str, str]:
    """A question of the topic's file and the answer the line gives to it."""
    data = yaml.safe_load((ROOT / "data" / "faq" / f"{topic}.yml").read_text(encoding="utf-8"))
    question = data["nlu"][0]["examples"].splitlines()[1].lstrip("- ").strip()
    return question, data["responses"][f"utter_faq/{topic}"][0]["text"]


class FakeGraph:
    """Records what the line sends. `script` holds (status, body, delay, headers)
    answers for the next sends; when empty, sends succeed.

    Media as Graph serves it: GET /v20.0/{media id} gives a URL (on this server, or
    `media_urls[id]`), the URL gives the bytes. `media` maps an id to (MIME type, bytes),
    `media_script` holds (status, body) answers for the next lookups, `expired` ids whose
    URL answers 404, and `fetches` records every GET with its Authorization header."""

    def __init__(self):
        self.sent, self.reads, self.attempts, self.script = [], [], [], []
        self.media, self.media_urls, self.media_script = {}, {}, []
        self.expired, self.fetches = set(), []
        self.lock = threading.Lock()
        graph = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status, data: bytes, content_type="application/json"):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading (a file over the limit)

            def do_GET(self):
                path = self.path.split("?")[0]
                with graph.lock:
                    graph.fetches.append((path, self.headers.get("Authorization")))
                    scripted = graph.media_script.pop(0) if graph.media_script else None
                lookup = re.fullmatch(r"/v20\.0/([^/]+)", path)
                download = re.fullmatch(r"/files/([^/]+)", path)
                if lookup and scripted:
                    status, body = scripted
                    return self._answer(status, json.dumps(body).encode())
                if lookup and lookup.group(1) in graph.media:
                    media_id = lookup.group(1)
                    mime_type, content = graph.media[media_id]
                    info = {
                        "messaging_product": "whatsapp",
                        "url": graph.media_urls.get(media_id, f"{graph.base}/files/{media_id}"),
                        "mime_type": mime_type,
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "file_size": len(content),
                        "id": media_id,
                    }
                    return self._answer(200, json.dumps(info).encode())
                if lookup:
                    error = {"error": {"message": "Unsupported get request", "code": 100}}
                    return self._answer(400, json.dumps(error).encode())
                if download and download.group(1) in graph.media:
                    if download.group(1) in graph.expired:
                        return self._answer(404, b"")
                    mime_type, content = graph.media[download.group(1)]
                    return self._answer(200, content, mime_type)
                return self._answer(404, b"")

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with graph.lock:
                    if body.get("status") == "read":
                        graph.reads.append(body)
                        answer = (200, {"success": True}, 0, {})
                    else:
                        graph.attempts.append(
                            {
                                "path": self.path,
                                "body": body,
                                "auth": self.headers.get("Authorization"),
                            }
                        )
                        answer = graph.script.pop(0) if graph.script else (200, None, 0, {})
                status, reply, delay, headers = answer
                time.sleep(delay)
                if status == 200 and reply is None:
                    with graph.lock:
                        graph.sent.append(body)
                        reply = {
                            "messaging_product": "whatsapp",
                            "messages": [{"id": f"wamid.out.{len(graph.sent)}"}],
                        }
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (timeout tests)

            def log_message(self, *args):
                pass

        self.server = serve_http(Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.url = f"{self.base}/v20.0"

    def received(self) -> list[tuple[str, dict]]:
        """(what the person would read, the message sent), in order, whatever its type."""
        with self.lock:
            bodies = list(self.sent)
        return [
            (b["text"]["body"] if b["type"] == "text" else b["interactive"]["body"]["text"], b)
            for b in bodies
        ]

    def texts(self):
        """Everything the person would read, in order, whatever the message type."""
        return [text for text, _ in self.received()]

    def close(self):
        stop_http(self.server)


class FakeAgent:
    """Stands in for Rasa's agent: records each message and answers through the
    output channel it came with ("menu N" answers with N buttons)."""

    def __init__(self):
        self.messages = []

    async def handle_message(self, message):
        self.messages.append(message)
        if message.text.startswith("menu "):
            count = int(message.text.split()[1])
            buttons = [
                {"title": f"Opción {n}", "payload": f'/pick{{"n": {n}}}'}
                for n in range(1, count + 1)
            ]
            await message.output_channel.send_text_with_buttons(
                message.sender_id, "Elige una", buttons
            )
        else:
            await message.output_channel.send_text_message(
                message.sender_id, f"eco: {message.text}"
            )


class SanicThread:
    """A Sanic app served on a free local port from its own thread and loop."""

    def __init__(self, app, start_timeout=10.0):
        self.app = app
        self.app.config.MOTD = False
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.loop = None
        self.app.register_listener(self._started, "after_server_start")
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert wait_until(lambda: self.loop is not None, start_timeout), "server did not start"

    async def _started(self, app, loop):
        self.loop = loop

    def _run(self):
        self.app.run(host="127.0.0.1", port=self.port, register_sys_signals=False, access_log=False)

    def stop(self):
        self.loop.call_soon_threadsafe(self.app.stop)
        self.thread.join(10)


class ChannelServer(SanicThread):
    """The channel mounted by Rasa's own `register`, with a stand-in agent."""

    def __init__(self, channel, agent):
        from rasa.core.channels.channel import register

        self.channel, self.agent = channel, agent
        app = Sanic(f"whatsapp_test_{uuid.uuid4().hex[:8]}")
        app.ctx.agent = agent
        register([channel], app, route="/webhooks/")
        super().__init__(app)
        self.url = f"{self.base}/webhooks/whatsapp/webhook"

    def post(self, body: bytes, signature="sign", **headers) -> requests.Response:
        return post(self.url, body, signature, **headers)

    def idle(self, timeout=10.0) -> bool:
        """True once every acknowledged message has been handled."""
        return wait_until(lambda: not self.channel.background.running, timeout)


class GatewayThread:
    """The gateway's aiohttp app served on a free local port from its own thread."""

    def __init__(self):
        self.gateway = Gateway()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/whatsapp/webhook"
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(self.gateway.app(), access_log=None)
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.runner.setup())
            self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(10), "gateway did not start"

    def post(self, body: bytes, signature="sign", **headers) -> requests.Response:
        return post(self.url, body, signature, **headers)

    def idle(self, timeout=10.0) -> bool:
        return wait_until(lambda: not self.gateway.background.running, timeout)

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def post(url, body: bytes, signature="sign", **headers) -> requests.Response:
    """POST like Meta: signed with the app secret unless told otherwise."""
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    headers.setdefault("Content-Type", "application/json")
    return requests.post(url, data=body, headers=headers, timeout=10)


@pytest.fixture
def graph():
    fake = FakeGraph()
    yield fake
    fake.close()


def configured(database_url: str, api_url: str):
    """The line's settings for WhatsApp against a fake Graph API."""
    return dataclasses.replace(
        config.settings,
        database_url=database_url,
        whatsapp_api_url=api_url,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_access_token="access-token",
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        pseudonym_secret=PSEUDONYM_SECRET,
        whatsapp_timeout_seconds=1.0,
        whatsapp_send_attempts=3,
        redis_url="",
        whatsapp_inbox_token=INBOX_TOKEN,
        media_key=MEDIA_KEY,
    )


@pytest.fixture
def whatsapp_db(migrated, monkeypatch):
    """The line's database (SQLite and PostgreSQL) with the pseudonym secret and no Redis."""
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, pseudonym_secret=PSEUDONYM_SECRET, redis_url=""),
    )
    return migrated


@pytest.fixture
def line_settings(tmp_path, monkeypatch, graph, migrated_sqlite):
    """WhatsApp configured against the fake Graph API, on a fresh database."""
    url = fresh_sqlite(migrated_sqlite, tmp_path / "line.db")
    monkeypatch.setattr(config, "settings", configured(url, graph.url))
    yield config.settings
    db.engine(url).dispose()


@pytest.fixture
def channel(line_settings):
    from channels.whatsapp import WhatsAppInput

    made = WhatsAppInput()
    made.client.sleep = lambda seconds: None  # retries without waiting
    return made


@pytest.fixture
def server(channel):
    running = ChannelServer(channel, FakeAgent())
    yield running
    running.stop()
