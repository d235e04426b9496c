"""Small real network pieces to break the real servers with (docs/failures.md)."""

import json
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace

import requests

from tests.support.net import free_port, serve_http, stop_http
from tests.support.servers import prepare, start_actions, stop
from tests.support.whatsapp import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    PSEUDONYM_SECRET,
    VERIFY_TOKEN,
    FakeGraph,
)


class ActionGate:
    """What Rasa sees as its action server, on `port`: nothing (down), or a real HTTP
    server that waits `delay` seconds and then passes each call to the real action
    server at `target` (slow), or passes it at once (up; calls still waiting go on
    at once too). Late answers to a caller that gave up are dropped; `received` and
    `forwarded` list the actions that reached the gate and the real server."""

    def __init__(self, port: int, target: str):
        self.port, self.target, self.delay = port, target, 0.0
        self.server, self.received, self.forwarded = None, [], []

    def down(self) -> None:
        if self.server:
            stop_http(self.server)
            self.server = None

    def slow(self, delay: float) -> None:
        self.delay = delay
        self._listen()

    def up(self) -> None:
        self.slow(0.0)

    def _listen(self) -> None:
        if self.server:
            return
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                name = json.loads(body).get("next_action")
                gate.received.append(name)
                began = time.monotonic()
                while time.monotonic() - began < gate.delay:  # up() ends the wait
                    time.sleep(0.05)
                try:
                    answer = requests.post(
                        gate.target,
                        data=body,
                        timeout=60,
                        headers={"Content-Type": "application/json"},
                    )
                    status, content = answer.status_code, answer.content
                    gate.forwarded.append(name)
                except requests.RequestException:
                    status, content = 502, b"{}"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = serve_http(Handler, self.port)


def bot_texts(reply: list) -> list:
    return [message.get("text") for message in reply]


@contextmanager
def whatsapp_line(work, **settings):
    """The action server behind an ActionGate, the fake Graph API and the WhatsApp
    channel's settings, for tests that start and stop Rasa themselves."""
    graph = FakeGraph()
    gate_port, actions_port = free_port(), free_port()
    gate = ActionGate(gate_port, f"http://127.0.0.1:{actions_port}/webhook")
    env, endpoints = prepare(
        work,
        f"sqlite:///{work / 'line.db'}",
        gate_port,
        WHATSAPP_API_URL=graph.url,
        WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_ACCESS_TOKEN="access-token",
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        PSEUDONYM_SECRET=PSEUDONYM_SECRET,
        **settings,
    )
    actions = start_actions(actions_port, env, work)
    try:
        yield SimpleNamespace(work=work, env=env, graph=graph, gate=gate, endpoints=endpoints)
    finally:
        gate.down()
        stop(actions)
        graph.close()
