"""Small real network pieces to break the real servers with (docs/failures.md)."""

import json
import time
from http.server import BaseHTTPRequestHandler

import requests

from tests.support.net import serve_http, stop_http


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
