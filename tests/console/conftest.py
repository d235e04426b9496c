"""A console on a free port, a fake Rasa HTTP API that records events, and a
logged-in `requests` session per operator, all against a fresh SQLite database."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import requests
import yaml
from argon2 import PasswordHasher

from line.core import settings as config
from line.handoff import accounts, tickets
from tests.support.net import free_port, serve_http, stop_http
from tests.support.requirements import fresh_sqlite, point_line_at

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "clave-segura-123"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
KEY = re.compile(r'name="clave_envio" value="([0-9a-f]+)"')


class FakeRasa:
    """The three Rasa API calls the console makes, with trackers kept in memory.
    `execute` answers like Rasa with a REST (collecting) output channel."""

    def __init__(self):
        self.trackers: dict[str, list[dict]] = {}
        self.executed: list[tuple[str, str]] = []
        self.failing = False  # answer 500 to everything, like a broken server
        self.lock = threading.Lock()
        domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
        self.responses = domain["responses"]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self):
                parts = urlsplit(self.path)
                match = re.match(
                    r"^/conversations/(.+)/(tracker/events|tracker|execute)$", parts.path
                )
                return (unquote(match.group(1)), match.group(2)) if match else (None, None)

            def do_GET(self):
                sender, what = self._route()
                if fake.failing or what != "tracker":
                    return self._reply(500, {"error": "broken"})
                with fake.lock:
                    events = list(fake.trackers.get(sender, []))
                self._reply(200, {"sender_id": sender, "events": events})

            def do_POST(self):
                sender, what = self._route()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or "null")
                if fake.failing or what is None:
                    return self._reply(500, {"error": "broken"})
                if what == "tracker/events":
                    for event in body if isinstance(body, list) else [body]:
                        fake.add(sender, {"timestamp": time.time(), **event})
                    return self._reply(200, {})
                fake.executed.append((sender, body["name"]))
                texts = [r["text"] for r in fake.responses[body["name"]]][:1]
                for text in texts:
                    fake.add(
                        sender,
                        {
                            "event": "bot",
                            "text": text,
                            "timestamp": time.time(),
                            "metadata": {"utter_action": body["name"]},
                        },
                    )
                self._reply(
                    200,
                    {
                        "tracker": {},
                        "messages": [{"recipient_id": sender, "text": text} for text in texts],
                    },
                )

        self.handler = Handler

    def add(self, sender: str, event: dict) -> None:
        with self.lock:
            self.trackers.setdefault(sender, []).append(event)

    def events(self, sender: str, kind: str) -> list[dict]:
        with self.lock:
            return [e for e in self.trackers.get(sender, []) if e["event"] == kind]

    def __enter__(self):
        self.server = serve_http(self.handler, self.port)
        return self

    def __exit__(self, *exc):
        stop_http(self.server)


class ConsoleServer:
    """The real Sanic app, served from a thread on a free port."""

    def __init__(self, clock=None):
        from sanic import Sanic

        from console.app import create_app

        Sanic.test_mode = True  # several apps in one process (Sanic rewrites methods per app)
        kwargs = {"clock": clock} if clock else {}
        self.app = create_app(f"console_{uuid.uuid4().hex[:8]}", **kwargs)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            self.app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
            )
        )
        self.loop.run_until_complete(server.startup())
        self.ready.set()
        self.loop.run_forever()
        server.close()

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(20), "the console did not start"
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def database(tmp_path, monkeypatch, migrated_sqlite):
    """A fresh database, and the console's settings for tests."""
    # Still Argon2id, with the cost turned down: hashing speed is not under test.
    monkeypatch.setattr(
        accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    url = fresh_sqlite(migrated_sqlite, tmp_path / "line.db")
    point_line_at(
        monkeypatch,
        url,
        console_secret="test-secret",
        rasa_url="http://127.0.0.1:9",
        rasa_timeout_seconds=3.0,
    )
    return url


@pytest.fixture
def rasa(database, monkeypatch):
    with FakeRasa() as fake:
        monkeypatch.setattr(
            config, "settings", dataclasses.replace(config.settings, rasa_url=fake.url)
        )
        yield fake


@pytest.fixture
def console(rasa):
    with ConsoleServer() as server:
        yield server


@pytest.fixture
def accounts_made(database):
    for name, role in (
        ("ana", "operator"),
        ("beto", "operator"),
        ("coco", "coordinator"),
        ("eva", "editor"),
        ("tito", "trainer"),
    ):
        accounts.create(name, PASSWORD, role)


class Browser(requests.Session):
    """A `requests` session that knows the console's forms."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("allow_redirects", True)
        kwargs.setdefault("timeout", 20)
        return super().request(method, self.base + url, *args, **kwargs)

    def csrf(self, path: str = "/") -> str:
        return CSRF.search(self.get(path).text).group(1)

    def login(self, username: str, password: str = PASSWORD, **kwargs):
        token = self.csrf("/login")
        return self.post(
            "/login", data={"csrf": token, "usuario": username, "clave": password}, **kwargs
        )

    def submit(self, page: str, action: str, **data):
        """Post a form of `page` as a browser would: its CSRF token and one-time key."""
        html = self.get(page).text
        data.setdefault("csrf", CSRF.search(html).group(1))
        key = KEY.search(html)
        if key:
            data.setdefault("clave_envio", key.group(1))
        return self.post(action, data=data)


@pytest.fixture
def driver(tmp_path, chromium):
    """Headless Chromium (Debian's chromium and chromium-driver: `make browser-deps`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium.binary)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(str(chromium.driver)), options=options)
    browser.implicitly_wait(5)
    yield browser
    browser.quit()


@pytest.fixture
def login(console, accounts_made):
    def make(username: str) -> Browser:
        browser = Browser(console.url)
        page = browser.login(username, allow_redirects=False)
        assert page.status_code == 303, f"{username} could not log in"
        return browser

    return make


def waiting_ticket(
    sender="persona1",
    reason="requested",
    text="quiero hablar con alguien",
    rasa: FakeRasa | None = None,
    **kwargs,
) -> int:
    """A ticket as action_handoff leaves it, and the paused tracker Rasa would hold."""
    receipt = tickets.open_ticket(sender, reason, messages=[("user", text)], **kwargs)
    if rasa is not None:
        now = time.time()
        rasa.add(sender, {"event": "user", "text": text, "timestamp": now - 60})
        rasa.add(
            sender, {"event": "bot", "text": "Te paso con una persona.", "timestamp": now - 59}
        )
        rasa.add(sender, {"event": "pause", "timestamp": now - 59})
    return receipt.ticket_id


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
